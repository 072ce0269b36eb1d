// Schema migrations: numbered SQL scripts applied in order, each once.
//
// The SQLite scripts live in src/store/sqlite/migrations/NNNN_name.sql and
// are embedded into the binary at build time (src/store/embed_migrations.cmake),
// sorted by number; a duplicate number fails the build. A backend records each
// applied script in
//   schema_version(version INTEGER PRIMARY KEY, name TEXT NOT NULL,
//                  applied_at INTEGER NOT NULL)  -- unix milliseconds
// which the runner creates itself, so 0001 needs no SQL.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lvyuan::store {

struct Migration {
  int number = 0;
  std::string name;
  // One or more statements separated by ';'. Must not BEGIN or COMMIT: the
  // runner wraps each script in its own transaction.
  std::string_view sql;
};

// The migrations built into this binary for SQLite, sorted by number
// (strictly increasing, starting at 1). The storage lives for the program.
std::span<const Migration> SqliteMigrations();

// Ok when every number is positive and strictly greater than the one before;
// otherwise InvalidArgument naming the offending migration.
core::Status CheckMigrationOrder(std::span<const Migration> migrations);

// The highest number in migrations, or 0 for an empty list.
int HighestMigration(std::span<const Migration> migrations);

}  // namespace lvyuan::store
