// Signed checkpoints of the record's tree, the deployment's signing key,
// and the background job that makes checkpoints. The formats are those of
// docs/record-format.md §3–4.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/sign.h"
#include "record/log.h"
#include "store/database.h"
#include "store/notify.h"
#include "store/record.h"

namespace lvyuan::record {

// The settings key holding the deployment's public key (SubjectPublicKeyInfo DER).
inline constexpr std::string_view kPublicKeySetting = "record.public_key";

struct CheckpointBody {
  std::string origin;  // "lvyuan/<key id>"
  std::uint64_t size = 0;
  Hash root{};
  HashAlgorithm hash = HashAlgorithm::kSm3;
  std::int64_t at_ms = 0;
};

// "lvyuan/" + the key id.
std::string OriginOf(const crypto::PublicKey& key);
// The exact signed text, five lines each ending in '\n'.
std::string FormatCheckpointBody(const CheckpointBody& body);
// The inverse; InvalidArgument naming the line at fault.
core::Result<CheckpointBody> ParseCheckpointBody(std::string_view text);
// The signed note: body, a blank line, "— <origin> <base64 signature>\n".
std::string SignedNote(const store::CheckpointRecord& checkpoint, std::string_view origin);
// What a witness signs (record-format.md §3.1).
std::string CosignatureMessage(std::string_view body, std::int64_t at_ms);

// Ok iff the checkpoint's body parses, names `key`'s origin and `hash`,
// agrees with the stored size/root/time, and its signature verifies with
// `key`. DataLoss saying which of these fails.
core::Status VerifyCheckpoint(const store::CheckpointRecord& checkpoint,
                              const crypto::PublicKey& key, HashAlgorithm hash);

// The deployment's signing key. On a deployment without a recorded public
// key, loads `key_file` if it exists or creates it (mode 0600) with
// `algorithm`, and records its public key. Otherwise loads `key_file` and
// requires it to be the recorded key (FailedPrecondition, field
// "record.key_file", when it is missing or another key).
core::Result<crypto::PrivateKey> EnsureSigningKey(store::Database& db,
                                                  const std::filesystem::path& key_file,
                                                  crypto::SignatureAlgorithm algorithm);
// The recorded public key; NotFound before EnsureSigningKey ran.
core::Result<crypto::PublicKey> DeploymentPublicKey(store::Conn& conn);

// In one write transaction: signs and stores a checkpoint of the current
// tree unless the newest checkpoint already has its size (then nullopt).
// The empty tree gets no checkpoint. Several processes may race to make the
// same checkpoint: when the insert finds one of that size already stored
// (AlreadyExists) with the same root, the checkpoint is done (nullopt, no
// error); with another root the record has forked (DataLoss). Other errors
// are the store's.
core::Result<std::optional<store::CheckpointRecord>> MakeCheckpoint(store::Database& db, Log& log,
                                                                    const crypto::PrivateKey& key,
                                                                    const core::Clock& clock);

struct CheckpointPolicy {
  std::uint64_t every_events = 1000;
  std::chrono::milliseconds interval{60'000};
};

// The notifier channel of new checkpoints; payload "<size> <root hex>".
inline constexpr std::string_view kRecordChannel = "record";
// The lease (store::Notifier::TryLead) held by the process that makes checkpoints.
inline constexpr std::string_view kCheckpointLease = "checkpoints";

// Makes checkpoints on a thread of its own: after policy.every_events
// appends, and every policy.interval while anything was appended. Stop()
// makes a last checkpoint so a clean shutdown leaves every event covered.
//
// With a notifier (several processes on one database), only the process
// holding the kCheckpointLease lease makes checkpoints: the others try to
// take it every interval (so one takes over within an interval of the
// leader's end). The leader checks every interval whatever this process
// appended, since the other processes append too, and publishes each new
// checkpoint on kRecordChannel. Stop() makes the last checkpoint only when
// it leads or can take the lease then (the leader covers the rest).
class Checkpointer {
 public:
  Checkpointer(store::Database& db, Log& log, const crypto::PrivateKey& key,
               const core::Clock& clock, CheckpointPolicy policy,
               store::Notifier* notifier = nullptr);
  ~Checkpointer();  // calls Stop()
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void Start();
  void Stop();
  // Wakes the thread to check the event count now (cheap; call after appends).
  void Poke();
  std::uint64_t made() const { return made_.load(); }

 private:
  void Run();
  void MakeOne();
  // True when this process may make checkpoints now (no notifier, or it
  // holds or could take the lease).
  bool Leads();

  store::Database& db_;
  Log& log_;
  const crypto::PrivateKey& key_;
  const core::Clock& clock_;
  CheckpointPolicy policy_;
  store::Notifier* const notifier_;
  std::unique_ptr<store::Lease> lease_;  // only touched by the thread (and Stop after the join)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool poked_ = false;
  std::thread thread_;
  std::atomic<std::uint64_t> made_{0};
};

}  // namespace lvyuan::record
