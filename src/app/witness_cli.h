// The witness verbs (docs/cli.md):
//  - `lvyuan record witness`, run by a witness on its own machine (from cron):
//    fetches a deployment's key and latest checkpoint over HTTP, checks it
//    against the last checkpoint it cosigned (record::RunWitness), cosigns
//    and posts it, or refuses a forked or rewritten log;
//  - `lvyuan record witness-key`: creates or shows a witness's key;
//  - `lvyuan record witness-add`, run on the deployment: accepts a witness.
#pragma once

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <string>

#include "store/database.h"

namespace lvyuan::app {

// Exit codes of `lvyuan record witness` (docs/cli.md).
inline constexpr int kWitnessOk = 0;       // cosigned, or nothing new to cosign
inline constexpr int kWitnessFailed = 1;   // network, server or configuration error
inline constexpr int kWitnessRefused = 4;  // the checkpoint was refused (fork, key change…)

struct WitnessOptions {
  std::string url;   // http://HOST:PORT of the deployment (http only)
  std::string name;  // the witness's name, as the deployment accepted it
  std::filesystem::path key_file;
  std::filesystem::path state_file;
  std::filesystem::path trust_key_file;  // empty: trust on first use
  bool create_key = false;               // create key_file when it is absent
  std::string algorithm = "sm2";         // for a created key: sm2 | ed25519
  std::chrono::seconds timeout{30};      // per connect, read and write
};

// One witness run. Writes one result line to `out` on success; on a refusal
// writes the reason (Chinese and English) and both roots to `err`; on an
// error its message. Saves the state file (atomically) unless refused or
// failed. Returns one of the exit codes above. Call from one thread.
int RunWitnessCommand(const WitnessOptions& options, std::ostream& out, std::ostream& err);

// Loads the witness key at `key_file`, creating it (mode 0600) with
// `algorithm` when absent and `create` is set, and prints its public key PEM
// to `out`. Returns 0, or 1 with the message on `err`.
int RunWitnessKey(const std::filesystem::path& key_file, bool create, const std::string& algorithm,
                  std::ostream& out, std::ostream& err);

// Accepts witness `name` on the deployment of `db` with the public key in
// `public_key` (a PEM file, or the PEM text itself). Returns 0, or 1 with the
// message on `err` (also when the name already has another key).
int RunWitnessAdd(store::Database& db, const std::string& name, const std::string& public_key,
                  std::ostream& out, std::ostream& err);

}  // namespace lvyuan::app
