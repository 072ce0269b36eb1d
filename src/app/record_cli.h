// `lvyuan record export --object TYPE:ID [--out PATH]`: the command-line face
// of record::ExportBundle.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

#include "crypto/sign.h"
#include "record/log.h"
#include "store/database.h"

namespace lvyuan::app {

// Exit codes of `lvyuan record export` (docs/cli.md).
inline constexpr int kExportDone = 0;       // the bundle was written
inline constexpr int kExportFailed = 1;     // the export failed (message on err)
inline constexpr int kExportBadObject = 2;  // --object is not TYPE:ID
inline constexpr int kExportNoEvents = 3;   // the object has no events

// Exports the bundle of `object` ("unit:3") into `out` (a file, a directory or
// empty for the current directory), reading attached files from the blob
// store at `files_root`; a checkpoint is made with `key` first when the
// events are not all covered by one. Prints the bundle path and the event and
// file counts to `out_stream`, errors to `err`. Returns an exit code above.
// Call from one thread.
int RunRecordExport(store::Database& db, record::Log& log, const crypto::PrivateKey& key,
                    const std::filesystem::path& files_root, const std::string& object,
                    const std::string& out, std::ostream& out_stream, std::ostream& err);

}  // namespace lvyuan::app
