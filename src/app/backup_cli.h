// Moving a deployment's data (docs/cli.md): `lvyuan backup`, `lvyuan restore`
// and `lvyuan migrate-store`. The database is copied with store/copy.h (one
// consistent snapshot of the source, whatever its backend); the record is
// re-verified (record/verify.h, as `lvyuan audit verify`) on what was written
// before the command reports success.
//
// A backup is a directory:
//   MANIFEST.json   format "lvyuan-backup", version 1, created_at, the source
//                   backend and schema version, the record at the snapshot
//                   (events, root, hash algorithm) and every other file with
//                   its size, SM3 and mode
//   store.sqlite    the database as SQLite, whatever the source's backend
//   data/           the data directory's own files (the field key and the
//                   record signing key, 0600) and data/files/sm3/…, the
//                   evidence files the snapshot lists
#pragma once

#include <iosfwd>
#include <string>

#include "app/runtime.h"

namespace lvyuan::app {

// Exit codes of the three verbs (docs/cli.md).
inline constexpr int kMoveOk = 0;             // done and verified
inline constexpr int kMoveFailed = 1;         // refused or failed; nothing reported as done
inline constexpr int kMoveBadInvocation = 2;  // bad flags or configuration
inline constexpr int kMoveNotVerified = 3;    // a backup file or the record failed verification

// The MANIFEST.json format name and version this binary writes and reads.
inline constexpr std::string_view kBackupFormat = "lvyuan-backup";
inline constexpr int kBackupVersion = 1;

// `lvyuan backup --out PATH`: writes a backup of the deployment named by
// `common` (its configured store, its data directory) to `out_path`, which
// must not exist or be an empty directory. The backup is assembled in
// PATH.part and renamed to PATH once verified, so PATH appears only complete.
// The source is read, never changed or migrated; the server may keep running.
// Reports on `out`, errors on `err`; returns an exit code above.
int RunBackup(const CommonOptions& common, const std::string& out_path, std::ostream& out,
              std::ostream& err);

// `lvyuan restore --from PATH`: checks every file of the backup against its
// manifest (before writing anything), refuses a data directory that is not
// empty or a target database that holds rows, restores the data files and the
// database (migrated as store.migration_url when set), then verifies the
// whole record and checks it is the one the manifest names.
int RunRestore(const CommonOptions& common, const std::string& from_path, std::ostream& out,
               std::ostream& err);

// `lvyuan migrate-store --from URL --to URL`: migrates the target (`to`, a
// "sqlite:PATH" or "postgresql://" URL of the owner role) to the source's
// schema version, refuses it when it holds rows, copies the source's database
// into it and verifies the record there, with the evidence files of the data
// directory (which both share; nothing is copied there).
int RunMigrateStore(const CommonOptions& common, const std::string& from_url,
                    const std::string& to_url, std::ostream& out, std::ostream& err);

}  // namespace lvyuan::app
