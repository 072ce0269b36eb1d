// Offline re-verification of the whole-process record (`lvyuan audit verify`,
// docs/record-format.md §5): recomputes, from the events alone, every
// canonical form and leaf hash, every stored node of the Merkle tree, the root
// at every checkpoint and every checkpoint signature, and re-hashes every
// stored evidence file. It names the first thing that is wrong.
//
// Memory is O(batch + log n): events are streamed in seq order and only the
// right edge of the tree (one hash per level) is kept.
#pragma once

#include <boost/json/kind.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "record/merkle.h"
#include "store/database.h"
#include "store/record.h"

namespace lvyuan::record {

// What is wrong. DefectCode gives the stable machine name of each.
enum class Defect {
  kBadHashSetting,          // "hash_setting": the deployment's record.hash is unreadable
  kSeqGap,                  // "seq_gap": a seq is missing, or one that cannot exist is present
  kNotCanonical,            // "not_canonical": a stored JSON column is not canonical
  kLeafMismatch,            // "leaf_mismatch": the stored leaf hash is not the event's
  kNodeMismatch,            // "node_mismatch": a stored tree node differs from the events'
  kNodeMissing,             // "node_missing": a tree node that must be stored is not
  kNodeUnexpected,          // "node_unexpected": a stored node lies outside the tree
  kCheckpointSignature,     // "checkpoint_signature": a checkpoint is not authentic
  kCheckpointRootMismatch,  // "checkpoint_root_mismatch": authentic, but not these events' root
  kCheckpointTime,          // "checkpoint_time": a checkpoint is older than the one before
  kTruncated,               // "truncated": a checkpoint covers events that are gone
  kFileMissing,             // "file_missing": a stored file's content is absent
  kFileMismatch,            // "file_mismatch": a stored file's content, size or SHA-256 differ
};
std::string_view DefectCode(Defect defect);

// The first failure found. first_bad_seq is:
//   - for an event defect, the seq of the event at fault (for a gap, the
//     first missing seq);
//   - for a node defect, the first event the node covers (node_level and
//     node_index name it; the events may be intact, a node is a cache);
//   - for a checkpoint defect, the checkpoint's size; range_from (exclusive)
//     and range_to (inclusive) are the events it covers beyond the previous
//     checkpoint — for truncated, first_bad_seq is the first missing event;
//   - for a file defect, the oldest event entering the file as evidence
//     (0 when none does); file_sm3 names it.
struct VerifyProblem {
  Defect defect = Defect::kLeafMismatch;
  std::int64_t first_bad_seq = 0;
  std::int64_t checkpoint_size = 0;  // checkpoint defects only
  std::int64_t range_from = 0;
  std::int64_t range_to = 0;
  int node_level = -1;  // node defects only
  std::int64_t node_index = -1;
  std::string file_sm3;  // file defects only
  std::string message;   // in Chinese, for people
};

struct VerifyReport {
  // Empty when everything verified.
  std::optional<VerifyProblem> problem;
  bool ok() const { return !problem.has_value(); }

  HashAlgorithm algorithm = HashAlgorithm::kSm3;
  std::uint64_t tree_size = 0;  // the newest seq in the snapshot verified
  Hash root{};                  // the recomputed root of the whole log (when ok)
  std::uint64_t events_checked = 0;
  std::uint64_t nodes_checked = 0;
  std::uint64_t checkpoints_checked = 0;
  std::uint64_t files_checked = 0;
  std::uint64_t event_bytes = 0;      // canonical event bytes hashed
  std::uint64_t file_bytes = 0;       // file bytes hashed (each file with SM3 and SHA-256)
  std::uint64_t unsigned_events = 0;  // events after the newest checkpoint (not yet signed)
  std::chrono::milliseconds elapsed{0};
};

struct VerifyOptions {
  // Events read per query; values below 1 count as 1.
  int batch_size = 8192;
  // The blob store root (see blob_store.h). Empty: files are not checked.
  std::filesystem::path files_root;
};

// Called after every batch with the events verified so far and the total.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Verifies the record of `db` (migrated) on one read snapshot, taken at the
// start: everything up to the newest event visible then. Returns the report
// — with `problem` set when verification failed — or an error only when the
// verification could not run (the database cannot be read: the store's
// errors unchanged). The stored files are re-hashed after the events, only
// when the events verified. Thread-safe (it reads through Database::Read);
// `progress` is called on the calling thread.
core::Result<VerifyReport> VerifyRecord(store::Database& db, const VerifyOptions& options,
                                        const ProgressFn& progress = {});

// Exactly the bytes of CanonicalEvent(event), appended to `out`, computed
// without building a JSON document: the event's members are written in their
// canonical order and the stored JSON columns are copied after a one-pass
// canonical check (falling back to CanonicalEvent's parser whenever that
// check is unsure). Errors as CanonicalEvent's (DataLoss for a stored JSON
// column that is not canonical). Pure and thread-safe.
core::Status AppendCanonicalEvent(const store::EventRecord& event, std::string& out);
// The same for an event row in place (store::ScanEventViews).
core::Status AppendCanonicalEvent(const store::EventView& event, std::string& out);

// A one-pass check that `text` is canonical JSON (docs/record-format.md §1.1)
// of the given kind (object or array). Conservative: true only for text that
// ParseCanonical accepts; it may say false for unusual canonical text (deep
// nesting), which callers then hand to ParseCanonical. Pure and thread-safe.
bool IsPlainCanonicalJson(std::string_view text, boost::json::kind kind);

}  // namespace lvyuan::record
