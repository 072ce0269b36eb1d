// Typed access to the evidence tables: stored files (one row per distinct
// content), evidence rows (a file entered as evidence, with its provenance)
// and uploads in progress. record_files and evidence are append-only (the
// schema refuses UPDATE and DELETE); uploads change as bytes arrive.
//
// Every function runs inside the caller's transaction and returns the
// store's errors unchanged (see database.h). Times are unix milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"

namespace lvyuan::store {

struct FileRecord {
  std::string sm3;  // 64 lower-case hex digits: the blob's address
  std::string sha256;
  std::int64_t size = 0;
  std::string media_type;
  std::int64_t stored_at = 0;
};

struct EvidenceRecord {
  std::int64_t id = 0;
  std::string sm3;
  std::string sha256;      // filled by reads (from record_files)
  std::int64_t size = 0;   // filled by reads
  std::string media_type;  // filled by reads
  std::string filename;
  std::string source;
  std::int64_t captured_at = 0;
  std::string captured_by;
  std::string device_id;
  std::string location;  // JSON object text, or empty
  std::string description;
  std::string object_type;
  std::string object_id;
  std::int64_t unit_id = 0;
  std::optional<std::int64_t> uploaded_by;
  std::int64_t uploaded_at = 0;
  std::int64_t event_seq = 0;
};

struct EvidenceFilter {
  std::string object_type;  // exact; empty = any
  std::string object_id;    // exact; empty = any
  std::optional<std::int64_t> only_unit_id;
  std::int64_t before_id = 0;  // keyset cursor, newest first; 0 = from the newest
  int limit = 50;
};

enum class UploadState { kOpen, kDone, kAborted };
std::string_view UploadStateName(UploadState state);  // "open" | "done" | "aborted"

struct UploadRecord {
  std::string id;
  std::int64_t user_id = 0;
  std::int64_t unit_id = 0;
  std::int64_t declared_size = 0;
  std::string filename;
  std::string metadata = "{}";  // JSON object text
  std::int64_t received = 0;
  UploadState state = UploadState::kOpen;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> evidence_id;
};

// Inserts the file unless a row with its sm3 exists. Returns true when it
// inserted one.
Result<bool> InsertFileIfAbsent(Conn& conn, const FileRecord& file);
Result<std::optional<FileRecord>> FindFile(Conn& conn, std::string_view sm3);
Result<std::int64_t> CountFiles(Conn& conn);

// The id the next InsertEvidence should use (one more than the highest).
// Only meaningful inside a write transaction.
Result<std::int64_t> NextEvidenceId(Conn& conn);
// Inserts evidence.id as given. FailedPrecondition when the file row, unit,
// user or event does not exist, or neither captured_by nor device_id is set;
// AlreadyExists when the id is taken.
Status InsertEvidence(Conn& conn, const EvidenceRecord& evidence);
Result<std::optional<EvidenceRecord>> FindEvidence(Conn& conn, std::int64_t id);
// Newest first, filtered.
Result<std::vector<EvidenceRecord>> ListEvidence(Conn& conn, const EvidenceFilter& filter);
// How many evidence rows hold the file with this sm3.
Result<std::int64_t> CountEvidenceOfFile(Conn& conn, std::string_view sm3);

// AlreadyExists when the id is taken.
Status InsertUpload(Conn& conn, const UploadRecord& upload);
Result<std::optional<UploadRecord>> FindUpload(Conn& conn, std::string_view id);
// Sets received and updated_at of an open upload. Returns false when there
// is no open upload with that id.
Result<bool> SetUploadReceived(Conn& conn, std::string_view id, std::int64_t received,
                               std::int64_t now);
// Ends an open upload (state done or aborted, optionally naming the
// evidence row it became). Returns false when there is no open upload with
// that id.
Result<bool> CloseUpload(Conn& conn, std::string_view id, UploadState state, std::int64_t received,
                         std::optional<std::int64_t> evidence_id, std::int64_t now);

}  // namespace lvyuan::store
