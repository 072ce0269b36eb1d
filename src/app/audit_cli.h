// `lvyuan audit verify`: the command-line face of record::VerifyRecord.
#pragma once

#include <filesystem>
#include <iosfwd>

#include "store/database.h"

namespace lvyuan::record {
struct VerifyReport;
}  // namespace lvyuan::record

namespace lvyuan::app {

// Exit codes of `lvyuan audit verify` (docs/cli.md).
inline constexpr int kAuditVerified = 0;   // everything verified
inline constexpr int kAuditCannotRun = 1;  // the database could not be read
inline constexpr int kAuditFailed = 3;     // verification failed: the first bad seq is named

// Verifies the record of `db` and the files under `files_root` (the blob
// store; a missing directory holds no files). Writes the summary to `out`
// (plain text: the outcome, the first bad seq and why, the counts) and, when
// `progress_bar` is set, a progress bar redrawn in place on `err`; errors that
// stop the verification go to `err`. Returns one of the exit codes above;
// when `report` is given it receives the verification's report (unless the
// verification could not run). Call from one thread.
int RunAuditVerify(store::Database& db, const std::filesystem::path& files_root, std::ostream& out,
                   std::ostream& err, bool progress_bar, record::VerifyReport* report = nullptr);

}  // namespace lvyuan::app
