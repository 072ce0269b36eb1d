// Copies every row of one deployment's database into another, whatever the
// two backends (SQLite to PostgreSQL, PostgreSQL to SQLite, SQLite to
// SQLite): the storage half of `lvyuan backup`, `lvyuan restore` and
// `lvyuan migrate-store`.
//
// The copy is consistent and online: every row is read inside ONE
// Database::Read of the source (SQLite: one read transaction; PostgreSQL:
// REPEATABLE READ), so it is the database as it was at one moment while
// writers go on. Rows are read page by page in primary-key order (keyset
// pagination, so no statement runs long and memory stays bounded) and
// written in multi-row INSERTs, all inside ONE Database::Write of the target:
// a failed copy leaves the target as it was (empty).
//
// Tables are copied in dependency order (CopiedTables()); a column that
// refers to its own table (units.parent_id) is inserted empty and set once
// the table is complete, so rows may refer to later rows. The append-only
// triggers refuse only UPDATE and DELETE, so inserting the record is allowed;
// its rows are copied byte for byte and verify on the target as on the
// source. Afterwards the target's generated ids continue past the copied ones
// (Database::AdvanceIdentities).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"

namespace lvyuan::store {

// The tables the copy knows, in the order it copies them (a table after the
// tables it refers to). schema_version is not among them: the target gets it
// from its own migrations. A migration that adds a table must add it here
// (copy_test checks this list against the migrated schema of each backend).
std::span<const std::string_view> CopiedTables();

struct TableCopyCount {
  std::string table;
  std::int64_t rows = 0;
};

struct CopyReport {
  int schema_version = 0;
  std::int64_t rows = 0;               // all tables
  std::vector<TableCopyCount> tables;  // in copy order
};

struct CopyOptions {
  // Rows read per page; values below 1 count as 1.
  int page_rows = 2000;
  // Rows per INSERT statement; values below 1 count as 1.
  int insert_rows = 50;
  // Called after each table with its name and row count (on the calling
  // thread, inside the copy's transactions).
  std::function<void(std::string_view table, std::int64_t rows)> progress;
};

// FailedPrecondition (the message names the table) when any table the copy
// knows holds a row; Ok for a database that is only migrated. The store's
// errors otherwise.
Status RequireEmpty(Database& database);

// Copies every row of `from` into `to`, which must be migrated to the same
// schema version and hold no rows (checked inside the target's transaction).
// Returns the counts copied. Errors: FailedPrecondition when the schema
// versions differ, when either database has a table the copy does not know
// or lacks one it knows, when the two disagree on a table's columns, or when
// the target holds rows (naming the table); DataLoss when a table's row count
// read back differs from the rows copied; the stores' errors unchanged
// otherwise. `from` and `to` must be different databases. Call from one
// thread; no other process should write to `to` meanwhile.
Result<CopyReport> CopyDatabase(Database& from, Database& to, const CopyOptions& options = {});

}  // namespace lvyuan::store
