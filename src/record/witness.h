// Witnesses of the record (docs/record-format.md §3.1): other parties that
// check each new checkpoint of a deployment against the last one they saw and
// cosign it only when it extends that one.
//
// Two sides live here:
//  - the deployment's: which witnesses it accepts (their public keys, kept in
//    the deployment's settings) and the check a submitted cosignature must
//    pass before it is stored (WitnessRegistry);
//  - the witness's: the decision to cosign or refuse, made against anything
//    that serves a deployment's key, checkpoints and consistency proofs
//    (DeploymentSource, RunWitness), and the small state file that remembers
//    the deployment's key and the last cosigned checkpoint.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/sign.h"
#include "record/merkle.h"
#include "store/database.h"
#include "store/record.h"

namespace lvyuan::record {

// The settings key under which a witness's public key (SubjectPublicKeyInfo
// DER) is kept: this prefix followed by its name.
inline constexpr std::string_view kWitnessSettingPrefix = "record.witness.";

// Ok iff `name` is 1–64 characters of ASCII letters, digits, '.', '-' and
// '_' (a witness names itself in every cosignature). InvalidArgument with
// field "witness" otherwise.
core::Status ValidateWitnessName(std::string_view name);

// The witnesses a deployment accepts and the cosignatures they submit.
// Thread-safe: every call is one store transaction.
class WitnessRegistry {
 public:
  explicit WitnessRegistry(store::Database& db) : db_(db) {}

  // Accepts the witness `name` with `key`. Ok when it is new or already has
  // exactly this key; AlreadyExists (field "name") when the name is taken by
  // another key (a witness's key is never replaced); InvalidArgument for a
  // bad name.
  core::Status Add(std::string_view name, const crypto::PublicKey& key);
  // The key of witness `name`; nullopt when the deployment does not accept
  // it. DataLoss when the stored key cannot be read.
  core::Result<std::optional<crypto::PublicKey>> Find(std::string_view name);

  // Stores `cosignature` once it passes every check, in this order:
  // PermissionDenied (field "witness") when the witness is not accepted or
  // `key_id` is not its key's id; NotFound when no checkpoint has that size;
  // InvalidArgument (field "signature") when the signature does not verify
  // over CosignatureMessage(checkpoint body, at) with the witness's key;
  // AlreadyExists when the witness has cosigned that size already.
  core::Status Accept(const store::CosignatureRecord& cosignature);

 private:
  store::Database& db_;
};

// What a witness remembers between runs (a JSON file of its own).
struct WitnessState {
  std::string deployment_key_id;   // the deployment key trusted so far
  std::string deployment_key_pem;  // its SubjectPublicKeyInfo PEM
  HashAlgorithm hash = HashAlgorithm::kSm3;
  std::uint64_t size = 0;  // the last cosigned checkpoint; 0 before the first
  Hash root{};
};

// Reads a state file written by SaveWitnessState. NotFound when the file does
// not exist (a first run); DataLoss when it cannot be parsed.
core::Result<WitnessState> LoadWitnessState(const std::filesystem::path& path);
// Writes `state` atomically (a temporary file in the same directory is
// written, synced and renamed over `path`). Unavailable on I/O errors.
core::Status SaveWitnessState(const std::filesystem::path& path, const WitnessState& state);

// The deployment as a witness sees it. Implementations report transport and
// server failures as errors (Unavailable, NotFound, ...) and nothing else:
// every judgement about the answers is RunWitness's.
class DeploymentSource {
 public:
  virtual ~DeploymentSource() = default;
  struct KeyInfo {
    std::string public_key_pem;
    HashAlgorithm hash = HashAlgorithm::kSm3;
  };
  virtual core::Result<KeyInfo> Key() = 0;
  // The newest checkpoint; nullopt when the deployment has none yet.
  virtual core::Result<std::optional<store::CheckpointRecord>> LatestCheckpoint() = 0;
  virtual core::Result<std::vector<Hash>> Consistency(std::uint64_t from, std::uint64_t to) = 0;
  // Ok, or AlreadyExists when this witness has cosigned that size before.
  virtual core::Status SubmitCosignature(const store::CosignatureRecord& cosignature) = 0;
};

struct WitnessIdentity {
  std::string name;
  const crypto::PrivateKey* key = nullptr;  // not owned; must outlive the call
};

enum class WitnessOutcome {
  kCosigned,         // a new checkpoint was checked, cosigned and submitted
  kAlreadyCosigned,  // the latest checkpoint is the one cosigned last time
  kNoCheckpoint,     // the deployment has no checkpoint yet (its key is trusted)
  kRefused,          // the deployment is not consistent with what was seen
};

struct WitnessReport {
  WitnessOutcome outcome = WitnessOutcome::kRefused;
  // For kRefused: why, in Chinese and English on one line each.
  std::string reason;
  std::uint64_t previous_size = 0;  // the last cosigned checkpoint (0: none)
  Hash previous_root{};
  std::uint64_t size = 0;  // the deployment's latest checkpoint, when there is one
  Hash root{};
  std::string deployment_key_id;
};

// One witness run against `source`, with `state` holding what was seen
// before (nullopt on a first run) and updated in place on every outcome but
// kRefused (the caller saves it). On a first run the key is trusted as served
// unless `trusted_key` is given, which it must then equal; afterwards it must
// equal the one in `state`. The latest checkpoint must verify with that key
// and hash, must not be smaller than the last cosigned one, must have its
// root at an equal size and must be proven consistent with it at a larger
// one; then it is cosigned at clock.NowMs() and submitted. Refusals are a
// report (kRefused), not an error; errors are the source's (the run is then
// inconclusive) or Internal when signing fails.
core::Result<WitnessReport> RunWitness(DeploymentSource& source, const WitnessIdentity& witness,
                                       std::optional<WitnessState>& state,
                                       const crypto::PublicKey* trusted_key,
                                       const core::Clock& clock);

// The cosignature of `checkpoint` by `witness` at `at_ms`: the signature of
// CosignatureMessage(checkpoint.body, at_ms). Internal when signing fails.
core::Result<store::CosignatureRecord> Cosign(const store::CheckpointRecord& checkpoint,
                                              const WitnessIdentity& witness, std::int64_t at_ms);

}  // namespace lvyuan::record
