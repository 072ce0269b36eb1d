// Evidence bundles: one object's events, their inclusion proofs against a
// signed checkpoint, the public key and the attached files, in one POSIX tar
// that anyone can verify offline — with `lvyuan-verify` or by hand with
// OpenSSL (the bundle's README.md says how). docs/cli.md (`lvyuan record export`) lists
// the members; the verifier needs nothing but the tar (no database).
//
// Members, in this order:
//   README.md          what the bundle is and how to check it (Chinese, then English)
//   manifest.json      format, origin, algorithms, object, export time, the
//                      events (seq, leaf hash), the files, the checkpoint size
//   public-key.pem     the deployment's public key (SubjectPublicKeyInfo)
//   checkpoint.txt     the signed note (body, blank line, signature line)
//   checkpoint.body    the exact signed bytes
//   checkpoint.sig     the raw signature bytes
//   cosignatures/<n>.json  witness cosignatures of that checkpoint, if any
//   events/<seq>.json  each event's canonical form, byte for byte
//   proofs/<seq>.json  its inclusion proof against the checkpoint
//   files/<sm3>        each attached file's bytes
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/sign.h"
#include "record/blob_store.h"
#include "record/log.h"
#include "store/database.h"

namespace lvyuan::record {

// manifest.json's "format" and "version".
inline constexpr std::string_view kBundleFormat = "lvyuan-evidence-bundle";
inline constexpr int kBundleVersion = 1;

struct BundleRequest {
  std::string object_type;  // e.g. "unit"
  std::string object_id;    // e.g. "3"
  // The tar to write, or an existing directory to write
  // evidence-<type>-<id>-<date>.tar into (the date in China). Empty: the
  // current directory.
  std::filesystem::path out;
};

struct BundleSummary {
  std::filesystem::path path;  // the tar written
  std::uint64_t events = 0;
  std::uint64_t files = 0;  // distinct files (by SM3) included
  std::uint64_t file_bytes = 0;
  std::uint64_t checkpoint_size = 0;
  // True when the newest checkpoint did not cover every exported event and
  // the export made one (signed with the deployment key) first.
  bool made_checkpoint = false;
  std::uint64_t cosignatures = 0;
};

// The default file name: evidence-<type>-<id>-<YYYY-MM-DD>.tar, with every
// character of type and id other than [A-Za-z0-9._-] replaced by '_'.
std::string BundleFileName(std::string_view object_type, std::string_view object_id,
                           std::int64_t now_ms);

// Exports the bundle of every event whose object is (object_type, object_id)
// and of the files those events list (read from `blobs`; nullptr leaves the
// files out — the manifest still lists them, without a path). When the newest
// checkpoint does not cover the newest of these events, a checkpoint is made
// first with `key` (MakeCheckpoint), so every exported event has a proof.
//
// The tar is written to "<path>.part" and renamed when complete, so a failed
// export leaves no bundle behind. Files are streamed in 64 KiB pieces and
// re-hashed on the way (constant memory).
//
// Errors: InvalidArgument (field "object") for an empty type or id; NotFound
// when the object has no events (and only then); DataLoss naming the SM3 of a
// listed file that is not in the blob store, when a stored event does not give
// its stored leaf hash, a file's bytes do not match their recorded digests or the
// checkpoint does not verify with `key`; Internal when the tar cannot be
// written; the store's errors unchanged. Thread-safe with respect to other
// users of `db` and `log` (reads through Database::Read).
core::Result<BundleSummary> ExportBundle(store::Database& db, Log& log,
                                         const crypto::PrivateKey& key, const core::Clock& clock,
                                         const BlobStore* blobs, const BundleRequest& request);

struct BundleProblem {
  std::string item;     // the bundle member at fault: "events/12.json", "checkpoint.sig", …
  std::string message;  // Chinese, then English
};

struct BundleReport {
  // Empty when the bundle verified.
  std::optional<BundleProblem> problem;
  bool ok() const { return !problem.has_value(); }

  std::string origin;  // "lvyuan/<key id>"
  std::string key_id;
  // True when a trusted key was given and is the bundle's key. False without
  // one: the key must then be compared with the deployment's published key.
  bool key_trusted = false;
  HashAlgorithm hash = HashAlgorithm::kSm3;
  std::string signature;  // "sm2" | "ed25519"
  std::string object_type;
  std::string object_id;
  std::string exported_at;
  std::uint64_t checkpoint_size = 0;
  std::string checkpoint_root;  // lower-case hex
  std::string checkpoint_time;
  std::uint64_t events_checked = 0;
  std::uint64_t files_checked = 0;
  std::uint64_t file_bytes = 0;
  std::uint64_t files_not_included = 0;  // listed without a path (exported without files)
  std::uint64_t cosignatures = 0;        // present, not verified (witness keys are not bundled)
};

// Verifies the bundle at `path` offline: the checkpoint signature over
// checkpoint.body with public-key.pem (and that checkpoint.txt says the
// same), each event's bytes are canonical and give the manifest's leaf hash,
// each inclusion proof leads to the checkpoint's root, each file's SM3,
// SHA-256 and size match the events' `files` entries and the manifest, and —
// with `trusted_key` — that public-key.pem is that key. Reads the tar once;
// files are hashed as they stream past (constant memory), other members are
// held in memory (each at most 64 MiB).
//
// Returns the report (with `problem` naming the first member at fault) or an
// error only when the file cannot be read as a tar at all (InvalidArgument,
// or NotFound when it does not exist). Thread-safe (no shared state).
core::Result<BundleReport> VerifyBundle(const std::filesystem::path& path,
                                        const crypto::PublicKey* trusted_key = nullptr);

}  // namespace lvyuan::record
