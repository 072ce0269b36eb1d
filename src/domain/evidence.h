// Evidence files (证据文件): uploads with provenance, stored once by content
// in the blob store, and read under 调阅监督 (every read is an event).
//
// An upload is opened with its declared size and provenance (CreateUpload),
// then its bytes arrive in one or more pieces (ContinueUpload → an
// UploadSession): a dropped connection keeps what arrived, and the client
// continues at the offset GetUpload reports. When the last byte arrives the
// content's type is checked against the allow-list (data/evidence.json), the
// blob is committed (dedupe by SM3) and one write transaction inserts the
// file row if new, the evidence row, the upload's end and the
// "evidence.upload" event carrying the file's hashes.
//
// Scope: an upload belongs to the user who opened it; an evidence file to
// the unit that entered it. A file attached to a matter may also be read
// (Get, Open) by the users with kMatterReadPermission of every unit that
// sees the matter (participates or was shared it; matter:scope:all alone is
// not enough). The audit administrator (audit:event:list) and the command
// line read every unit's files. Anything outside the caller's scope answers
// NotFound; every read is an event, whoever reads.
//
// Thread-safe. An UploadSession is used by one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/accounts.h"
#include "domain/principal.h"
#include "record/blob_store.h"
#include "record/log.h"
#include "store/database.h"
#include "store/evidence.h"

namespace lvyuan::domain {

inline constexpr std::string_view kEvidenceUploadPermission = "evidence:file:upload";
inline constexpr std::string_view kEvidenceReadPermission = "evidence:file:read";

struct EvidenceLabel {
  std::string code;  // a media type or a source code
  std::string name_zh;
  std::string name_en;
};

// data/evidence.json: the accepted media types, the size limit and the
// sources. Read-only after Load; safe to share between threads.
class EvidenceCatalog {
 public:
  // Reads dir/evidence.json. InvalidArgument naming the file and entry on
  // malformed content (missing lists, a code without labels, a size of 0).
  static Result<EvidenceCatalog> Load(const std::filesystem::path& dir);

  std::uint64_t max_size_bytes() const { return max_size_bytes_; }
  const std::vector<EvidenceLabel>& media_types() const { return media_types_; }
  const std::vector<EvidenceLabel>& sources() const { return sources_; }
  // Null when not in the list.
  const EvidenceLabel* FindMediaType(std::string_view media_type) const;
  const EvidenceLabel* FindSource(std::string_view code) const;

 private:
  std::uint64_t max_size_bytes_ = 0;
  std::vector<EvidenceLabel> media_types_;
  std::vector<EvidenceLabel> sources_;
};

struct EvidenceLocation {
  std::string text;
  std::string lat;  // decimal degrees as text, e.g. "30.6340"; empty when unknown
  std::string lng;
};

// Where a file came from. Required: source (a catalogue code), captured_at
// (ISO 8601 UTC time or YYYY-MM-DD), and captured_by or device_id.
struct Provenance {
  std::string source;
  std::string captured_at;
  std::string captured_by;  // the officer's name or id
  std::string device_id;    // the recorder, camera or monitoring station
  std::optional<EvidenceLocation> location;
  std::string description;
  std::string object_type;  // what the file is attached to (e.g. "matter")
  std::string object_id;
};

struct UploadInput {
  std::string filename;
  std::int64_t size = 0;  // declared, in bytes
  Provenance provenance;
};

// How far a clock may be ahead of ours for captured_at still to count.
inline constexpr std::int64_t kCaptureClockSkewMs = 5 * 60 * 1000;

// Checks the provenance and returns captured_at in unix milliseconds.
// InvalidArgument (messages in Chinese) with field source, captured_at,
// captured_by (when neither it nor device_id is given), device_id,
// location.text / location.lat / location.lng, description, object_type or
// object_id.
Result<std::int64_t> ValidateProvenance(const Provenance& provenance,
                                        const EvidenceCatalog& catalog, std::int64_t now_ms);

// An upload as its owner sees it.
struct UploadStatus {
  store::UploadRecord upload;
  bool in_progress = false;  // a PUT is writing to it right now
};

// What one piece of an upload ended in.
struct UploadResult {
  store::UploadRecord upload;
  std::optional<store::EvidenceRecord> evidence;  // set when the upload completed
};

// A file ready to send.
struct EvidenceContent {
  store::EvidenceRecord evidence;
  std::filesystem::path path;
};

class Evidence;

// Receives the bytes of one PUT. Obtained from Evidence::ContinueUpload.
// Destroying it without Finish is Abort.
class UploadSession {
 public:
  // Only Evidence can make the key: sessions come from ContinueUpload.
  class Key {
    friend class Evidence;
    Key() = default;
  };
  UploadSession(Key key, Evidence& owner, const Principal& who, RequestMeta meta,
                store::UploadRecord upload, record::BlobWriter writer);
  UploadSession(const UploadSession&) = delete;
  UploadSession& operator=(const UploadSession&) = delete;
  ~UploadSession();

  // Bytes of the upload on disk so far, and its declared size.
  std::uint64_t received() const { return writer_.size(); }
  std::uint64_t size() const { return static_cast<std::uint64_t>(upload_.declared_size); }

  // Appends bytes. OutOfRange (field "size") beyond the declared size;
  // the blob writer's errors (ResourceExhausted when the disk is full).
  Status Write(std::span<const std::uint8_t> bytes);
  // The request body is complete. When the upload is not yet whole, records
  // how much arrived and returns the open upload. When it is whole: checks
  // the content's type (InvalidArgument with field "media_type" when not
  // accepted: the upload is aborted and its bytes deleted), commits the blob
  // and records the evidence (see the file comment).
  Result<UploadResult> Finish();
  // The body will not be completed: keeps what arrived for a later resume.
  void Abort();

 private:
  friend class Evidence;
  void Release();

  Evidence& owner_;
  record::Actor actor_;
  RequestMeta meta_;
  store::UploadRecord upload_;
  record::BlobWriter writer_;
  bool done_ = false;
};

class Evidence {
 public:
  // All references must outlive this object (and every UploadSession).
  Evidence(store::Database& db, record::Log& log, record::BlobStore& blobs,
           const EvidenceCatalog& catalog, const core::Clock& clock);

  const EvidenceCatalog& catalog() const { return catalog_; }

  // Opens an upload (evidence:file:upload). PermissionDenied without the
  // permission or without a user behind the principal; InvalidArgument for
  // a bad filename (field "filename"), size (field "size") or provenance;
  // ResourceExhausted with field "size" when the declared size is over the
  // catalogue's limit. Writes an "evidence.upload_open" event.
  Result<store::UploadRecord> CreateUpload(const Principal& who, const UploadInput& input,
                                           const RequestMeta& meta);
  // NotFound unless `who` opened it. For an open upload, received is the
  // count on disk.
  Result<UploadStatus> GetUpload(const Principal& who, std::string_view upload_id);
  // Continues an open upload. `offset`, when given, must equal the bytes
  // already received: FailedPrecondition (field "Upload-Offset", the message
  // names the current offset) otherwise. NotFound unless `who` opened it;
  // FailedPrecondition when it is done or aborted; Aborted while another
  // request is writing to it.
  Result<std::unique_ptr<UploadSession>> ContinueUpload(const Principal& who,
                                                        std::string_view upload_id,
                                                        std::optional<std::uint64_t> offset,
                                                        const RequestMeta& meta);
  // Abandons an open upload and deletes its bytes ("evidence.upload_abandon"
  // event). Errors as ContinueUpload.
  Status AbandonUpload(const Principal& who, std::string_view upload_id, const RequestMeta& meta);

  // Evidence in the caller's scope, newest first (evidence:file:read or
  // audit:event:list, else PermissionDenied). No event: a list shows no
  // content.
  Result<Page<store::EvidenceRecord>> List(const Principal& who, store::EvidenceFilter filter);
  // One file's metadata; writes an "evidence.view" event. PermissionDenied
  // without evidence:file:read, audit:event:list or (for a user in a unit)
  // matter:item:read; NotFound outside the caller's scope (see the file
  // comment).
  Result<store::EvidenceRecord> Get(const Principal& who, std::int64_t id, const RequestMeta& meta);
  // One file's content; writes an "evidence.download" event. Errors as Get;
  // DataLoss when the blob is missing.
  Result<EvidenceContent> Open(const Principal& who, std::int64_t id, const RequestMeta& meta);

 private:
  friend class UploadSession;
  bool MayRead(const Principal& who) const;
  // A user in a unit with kMatterReadPermission: may read the files of the
  // matters the unit sees.
  bool MayReadMatterFiles(const Principal& who) const;
  // Whether `who` may read `e` (see the file comment), in the caller's
  // transaction.
  Result<bool> MayReadFile(store::Conn& conn, const Principal& who,
                           const store::EvidenceRecord& e) const;
  bool SeesAllUnits(const Principal& who) const;
  Result<store::UploadRecord> OwnUpload(const Principal& who, std::string_view upload_id);
  Result<UploadResult> Complete(UploadSession& session);
  // Appends the 调阅 event of one read of `e`.
  Status AppendRead(store::Conn& conn, const Principal& who, const store::EvidenceRecord& e,
                    std::string_view action, const RequestMeta& meta);
  Status RecordReceived(std::string_view upload_id, std::uint64_t received);
  std::filesystem::path TempPathOf(std::string_view upload_id) const;
  bool MarkActive(const std::string& upload_id);
  void ClearActive(const std::string& upload_id);

  store::Database& db_;
  record::Log& log_;
  record::BlobStore& blobs_;
  const EvidenceCatalog& catalog_;
  const core::Clock& clock_;

  std::mutex active_mu_;          // guards active_
  std::set<std::string> active_;  // uploads with an UploadSession alive
};

}  // namespace lvyuan::domain
