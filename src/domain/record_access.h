// Reading the whole-process record: the public key, checkpoints and
// consistency proofs (public), and events with their inclusion proofs for
// those allowed to see them. Every read of an event is itself recorded
// (调阅监督): action "record.view", visible to the audit administrator.
//
// Who may see an event: holders of audit:event:list see every event; the
// system and security administrators the events they caused themselves
// (三员分立: not the audit administrator's, who shares their unit); other
// users the events their own unit's people caused. Anything else is
// NotFound, so its existence is not revealed. An object's evidence bundle
// may be exported by whoever may see every one of its events.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/sign.h"
#include "domain/accounts.h"
#include "domain/principal.h"
#include "record/blob_store.h"
#include "record/bundle.h"
#include "record/log.h"
#include "store/database.h"
#include "store/record.h"

namespace lvyuan::domain {

struct RecordKeyInfo {
  std::string algorithm;  // "sm2" | "ed25519"
  std::string key_id;
  std::string public_key_pem;
  std::string origin;  // "lvyuan/<key id>"
  std::string hash;    // "sm3" | "sha256"
};

struct CheckpointView {
  store::CheckpointRecord checkpoint;
  std::vector<store::CosignatureRecord> cosignatures;
  std::string signed_note;
};

struct EventProof {
  store::EventRecord event;
  std::string canonical;  // the bytes the leaf hash covers
  std::uint64_t tree_size = 0;
  record::Hash root{};
  std::vector<record::Hash> proof;
  // The checkpoint of tree_size, when there is one.
  std::optional<CheckpointView> checkpoint;
};

// One event of an object's record with what proves it: its canonical form and,
// when the page's checkpoint covers it, its inclusion proof in that tree.
struct ProvenEvent {
  store::EventRecord event;
  std::string canonical;
  std::optional<std::vector<record::Hash>> proof;  // nullopt: newer than the checkpoint
};

// A page of an object's record (newest first) proven against one checkpoint.
struct ObjectRecordPage {
  std::vector<ProvenEvent> items;
  std::optional<std::int64_t> next_before;  // cursor for the next page
  // The newest checkpoint, when there is one; every proof is against it.
  std::optional<CheckpointView> checkpoint;
  // On the first page: whether `who` may export the object's bundle (may see
  // every one of its events). Not computed for later pages.
  std::optional<bool> exportable;
};

// What the public may learn of a file: whether and when it was recorded,
// and the proof that the event entering it is in the signed log — no names.
struct RecordedFile {
  std::string sm3;
  bool recorded = false;
  std::int64_t recorded_at = 0;
  std::int64_t seq = 0;
  std::string leaf_hash;  // hex
  std::uint64_t tree_size = 0;
  std::vector<record::Hash> proof;
  std::optional<CheckpointView> checkpoint;
};

// What exporting bundles needs: the signing key (an export makes a
// checkpoint when the newest does not cover the object's newest event), the
// evidence files, the clock, and a directory for the bundles being sent.
struct BundleExportSettings {
  const crypto::PrivateKey* key = nullptr;
  const record::BlobStore* blobs = nullptr;
  const core::Clock* clock = nullptr;
  std::filesystem::path dir;
};

struct ExportedBundle {
  std::filesystem::path path;  // the tar, under BundleExportSettings::dir
  std::string filename;        // the name to offer: evidence-<type>-<id>-<date>.tar
  record::BundleSummary summary;
};

class RecordAccess {
 public:
  // Without export settings (key unset) ExportBundle answers FailedPrecondition.
  RecordAccess(store::Database& db, record::Log& log, crypto::PublicKey key,
               BundleExportSettings exports = {});

  // Computed once: the key and hash of a deployment do not change.
  const RecordKeyInfo& Key() const { return key_info_; }
  // NotFound before the first checkpoint.
  core::Result<CheckpointView> LatestCheckpoint();
  // NotFound when no checkpoint has that size.
  core::Result<CheckpointView> CheckpointAt(std::int64_t size);
  // RFC 9162 consistency proof between two sizes up to the current tree.
  core::Result<std::vector<record::Hash>> Consistency(std::uint64_t from, std::uint64_t to);

  // One event, its canonical form and its inclusion proof in the tree of
  // `size` leaves; without `size`, the newest checkpoint's tree
  // (FailedPrecondition when the event is not yet covered by a checkpoint).
  // Records a record.view event.
  // Public: the file with this SM3 (64 hex digits; InvalidArgument, field
  // "sm3", otherwise). When its event is newer than the newest checkpoint,
  // recorded is true but no proof is given yet.
  core::Result<RecordedFile> FindFile(std::string_view sm3);

  core::Result<EventProof> Prove(const Principal& who, std::int64_t seq,
                                 std::optional<std::uint64_t> size, const RequestMeta& meta);

  // One page (newest first, before `before_seq` when not 0, at most `limit`)
  // of the events of object (type, id) that `who` may see, each with its
  // canonical form and its inclusion proof against the newest checkpoint, so
  // the reader can check every one. The read is recorded as one
  // "record.view" event on object ("record", "<type>:<id>") when the page is
  // not empty — not on the object itself, whose record would otherwise grow
  // with every look at it.
  // InvalidArgument (field "object_type" / "object_id") as for ExportBundle.
  core::Result<ObjectRecordPage> ObjectRecord(const Principal& who, std::string_view object_type,
                                              std::string_view object_id, std::int64_t before_seq,
                                              int limit, const RequestMeta& meta);

  // The evidence bundle of object (type, id) — every event of it, their
  // proofs, the signed checkpoint, the public key and the attached files
  // (record::ExportBundle) — written to a new uniquely named tar under the
  // export directory, which the caller removes once sent. The export is
  // recorded first, as a "record.view.bundle" event on ("record",
  // "<type>:<id>"); a refused export is recorded as denied.
  // InvalidArgument (field "object_type" / "object_id") for an empty or
  // over-long type or id; NotFound when the object has no events or `who` may
  // not see every one of them (its existence is not revealed); the errors of
  // record::ExportBundle otherwise (the tar is then not left behind).
  core::Result<ExportedBundle> ExportBundle(const Principal& who, std::string_view object_type,
                                            std::string_view object_id, const RequestMeta& meta);

 private:
  bool MaySee(const Principal& who, const store::EventRecord& event) const;
  struct Visibility {
    std::int64_t events = 0;  // counted up to the first one `who` may not see
    bool all_visible = true;
  };
  core::Result<Visibility> VisibilityOf(store::Conn& conn, const Principal& who,
                                        std::string_view object_type,
                                        std::string_view object_id) const;
  core::Result<CheckpointView> ViewOf(store::Conn& conn, store::CheckpointRecord checkpoint);

  store::Database& db_;
  record::Log& log_;
  crypto::PublicKey key_;
  std::string origin_;
  RecordKeyInfo key_info_;
  BundleExportSettings exports_;
};

}  // namespace lvyuan::domain
