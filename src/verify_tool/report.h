// The face of `lvyuan-verify BUNDLE [--public-key PEM]`: runs
// record::VerifyBundle and prints a report in Chinese and English.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

#include "record/bundle.h"

namespace lvyuan::verify_tool {

// Exit codes (docs/cli.md, "lvyuan-verify").
inline constexpr int kVerified = 0;   // every check passed
inline constexpr int kCannotRun = 1;  // bad invocation, unreadable bundle or key file
inline constexpr int kFailed = 3;     // a check failed: the first failing member is named

// Writes the report of a finished verification to `out` and returns kVerified
// or kFailed. Without a trusted key the report gives the bundle's key id and
// warns that it must be compared with the deployment's published key.
int PrintReport(const record::BundleReport& report, std::ostream& out);

// Reads the trusted key from `public_key_file` (empty: none), verifies the
// bundle and prints the report to `out`; errors that stop the verification
// (unreadable bundle or key) go to `err` as one line. Returns an exit code
// above. Call from one thread.
int RunVerify(const std::filesystem::path& bundle, const std::filesystem::path& public_key_file,
              std::ostream& out, std::ostream& err);

}  // namespace lvyuan::verify_tool
