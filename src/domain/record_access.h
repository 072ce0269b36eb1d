// Reading the whole-process record: the public key, checkpoints and
// consistency proofs (public), and events with their inclusion proofs for
// those allowed to see them. Every read of an event is itself recorded
// (调阅监督): action "record.view", visible to the audit administrator.
//
// Who may see an event: holders of audit:event:list see every event; other
// users see the events their own unit's people caused. Anything else is
// NotFound, so its existence is not revealed.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "crypto/sign.h"
#include "domain/accounts.h"
#include "domain/principal.h"
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

class RecordAccess {
 public:
  RecordAccess(store::Database& db, record::Log& log, crypto::PublicKey key);

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

 private:
  bool MaySee(const Principal& who, const store::EventRecord& event) const;
  core::Result<CheckpointView> ViewOf(store::Conn& conn, store::CheckpointRecord checkpoint);

  store::Database& db_;
  record::Log& log_;
  crypto::PublicKey key_;
  std::string origin_;
  RecordKeyInfo key_info_;
};

}  // namespace lvyuan::domain
