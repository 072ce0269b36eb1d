// The two backends' migrations produce the same schema: the same migrations
// (numbers and names), and after migrating, the same tables, columns in
// order with their portable types and nullability, primary keys, foreign
// keys, unique constraints and indexes. A migration added to one backend only
// fails here. The schema comparison needs LVYUAN_TEST_PG_URL.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/migrations.h"
#include "store/postgres/postgres_database.h"
#include "store/test_support.h"

namespace lvyuan::store {
namespace {

using core::Ok;
using testing::IsOk;

// table -> lines describing it, each line one fact that must agree.
using Schema = std::map<std::string, std::vector<std::string>>;

std::string PortableType(std::string type) {
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (type == "INTEGER" || type == "BIGINT") return "INTEGER";
  if (type == "TEXT") return "TEXT";
  if (type == "BLOB" || type == "BYTEA") return "BLOB";
  if (type == "REAL" || type == "DOUBLE PRECISION") return "REAL";
  return "unportable type " + type;
}

std::string Column(const std::string& name, const std::string& type, bool not_null) {
  return "column " + name + " " + PortableType(type) + (not_null ? " NOT NULL" : "");
}

Result<Schema> DescribeSqlite(Database& db) {
  Schema schema;
  TRY(db.Read([&schema](Conn& conn) -> Status {
    std::vector<Row> tables =
        TRY(conn.Query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                       "'sqlite\\_%' ESCAPE '\\' ORDER BY name"));
    for (const Row& table_row : tables) {
      const std::string table = table_row.Text(0);
      std::vector<std::string>& lines = schema[table];
      const std::vector<Value> name{table};
      std::vector<Row> columns = TRY(conn.Query(
          "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid", name));
      std::map<std::int64_t, std::string> primary_key;
      for (const Row& column : columns) {
        // A PRIMARY KEY column is NOT NULL on PostgreSQL; SQLite only says so
        // for INTEGER PRIMARY KEY, so key columns count as NOT NULL here.
        lines.push_back(
            Column(column.Text(0), column.Text(1), column.Int(2) != 0 || column.Int(3) != 0));
        if (column.Int(3) > 0) primary_key[column.Int(3)] = column.Text(0);
      }
      std::string key = "primary key (";
      for (const auto& [position, column] : primary_key) {
        key += (position > 1 ? "," : "") + column;
      }
      lines.push_back(key + ")");

      std::vector<Row> foreign_keys =
          TRY(conn.Query("SELECT id, \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?) "
                         "ORDER BY id, seq",
                         name));
      std::map<std::int64_t, std::string> references;
      for (const Row& fk : foreign_keys) {
        references[fk.Int(0)] += "foreign key " + fk.Text(1) + " -> " + fk.Text(2) + "(" +
                                 (fk.IsNull(3) ? std::string("id") : fk.Text(3)) + ")";
      }
      for (const auto& [id, line] : references) lines.push_back(line);

      std::vector<Row> indexes = TRY(conn.Query(
          "SELECT name, \"unique\", origin FROM pragma_index_list(?) WHERE origin <> 'pk'", name));
      for (const Row& index : indexes) {
        std::vector<Row> index_columns =
            TRY(conn.Query("SELECT name FROM pragma_index_info(?) ORDER BY seqno",
                           std::vector<Value>{index.Text(0)}));
        std::string list;
        for (const Row& c : index_columns) list += (list.empty() ? "" : ",") + c.Text(0);
        if (index.Text(2) == "u") {
          lines.push_back("unique (" + list + ")");
        } else {
          lines.push_back(std::string(index.Int(1) != 0 ? "unique index " : "index ") +
                          index.Text(0) + " (" + list + ")");
        }
      }
    }
    return Ok();
  }));
  return schema;
}

Result<Schema> DescribePostgres(Database& db) {
  Schema schema;
  TRY(db.Read([&schema](Conn& conn) -> Status {
    std::vector<Row> columns =
        TRY(conn.Query("SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'NO' "
                       "FROM information_schema.columns c JOIN information_schema.tables t "
                       "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
                       "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
                       "ORDER BY c.table_name, c.ordinal_position"));
    for (const Row& column : columns) {
      schema[column.Text(0)].push_back(Column(column.Text(1), column.Text(2), column.Int(3) != 0));
    }
    // Keys and indexes: index column lists in index order.
    std::vector<Row> indexes = TRY(conn.Query(
        "SELECT t.relname, i.relname, ix.indisprimary, ix.indisunique, "
        "  EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid "
        "          AND k.contype = 'u'), "
        "  (SELECT string_agg(a.attname, ',' ORDER BY k.ord) "
        "   FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
        "   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) "
        "FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid "
        "JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = current_schema() ORDER BY t.relname, ix.indisprimary DESC"));
    for (const Row& index : indexes) {
      std::vector<std::string>& lines = schema[index.Text(0)];
      const std::string list = index.Text(5);
      if (index.Int(2) != 0) {
        lines.push_back("primary key (" + list + ")");
      } else if (index.Int(4) != 0) {
        lines.push_back("unique (" + list + ")");
      } else {
        lines.push_back(std::string(index.Int(3) != 0 ? "unique index " : "index ") +
                        index.Text(1) + " (" + list + ")");
      }
    }
    std::vector<Row> foreign_keys = TRY(conn.Query(
        "SELECT t.relname, "
        "  (SELECT string_agg(a.attname, ',') FROM pg_attribute a "
        "   WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)), "
        "  r.relname, "
        "  (SELECT string_agg(a.attname, ',') FROM pg_attribute a "
        "   WHERE a.attrelid = k.confrelid AND a.attnum = ANY (k.confkey)) "
        "FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid "
        "JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE k.contype = 'f' AND n.nspname = current_schema()"));
    for (const Row& fk : foreign_keys) {
      schema[fk.Text(0)].push_back("foreign key " + fk.Text(1) + " -> " + fk.Text(2) + "(" +
                                   fk.Text(3) + ")");
    }
    return Ok();
  }));
  return schema;
}

// Columns keep their order; the other lines are compared as sets.
Schema Normalised(Schema schema) {
  for (auto& [table, lines] : schema) {
    auto first_other = std::stable_partition(
        lines.begin(), lines.end(), [](const auto& line) { return line.rfind("column ", 0) == 0; });
    std::sort(first_other, lines.end());
  }
  return schema;
}

TEST(SchemaParityTest, BothBackendsHaveTheSameMigrations) {
  const auto sqlite = SqliteMigrations();
  const auto postgres = PostgresMigrations();
  std::vector<std::string> sqlite_names;
  std::vector<std::string> postgres_names;
  for (const Migration& m : sqlite) sqlite_names.push_back(std::to_string(m.number) + "_" + m.name);
  for (const Migration& m : postgres) {
    postgres_names.push_back(std::to_string(m.number) + "_" + m.name);
  }
  EXPECT_EQ(sqlite_names, postgres_names)
      << "every sqlite/migrations/NNNN_name.sql needs a postgres/migrations twin";
}

TEST(SchemaParityTest, MigratedSchemasAgree) {
  if (testing::PostgresTestUrl().empty()) GTEST_SKIP() << "LVYUAN_TEST_PG_URL is not set";
  testing::TestDatabase sqlite_scratch("sqlite");
  testing::TestDatabase postgres_scratch("postgresql");
  ASSERT_TRUE(IsOk(postgres_scratch.status()));
  auto sqlite = Open({.url = sqlite_scratch.url()});
  ASSERT_TRUE(IsOk(sqlite));
  auto postgres = Open({.url = postgres_scratch.url()});
  ASSERT_TRUE(IsOk(postgres));
  ASSERT_TRUE(IsOk((*sqlite)->Migrate()));
  ASSERT_TRUE(IsOk((*postgres)->Migrate()));

  auto sqlite_schema = DescribeSqlite(**sqlite);
  ASSERT_TRUE(IsOk(sqlite_schema));
  auto postgres_schema = DescribePostgres(**postgres);
  ASSERT_TRUE(IsOk(postgres_schema));
  const Schema expected = Normalised(*sqlite_schema);
  const Schema actual = Normalised(*postgres_schema);

  std::vector<std::string> expected_tables;
  std::vector<std::string> actual_tables;
  for (const auto& [table, lines] : expected) expected_tables.push_back(table);
  for (const auto& [table, lines] : actual) actual_tables.push_back(table);
  ASSERT_EQ(expected_tables, actual_tables);
  EXPECT_GT(expected_tables.size(), 5u);
  for (const auto& [table, lines] : expected) {
    EXPECT_EQ(lines, actual.at(table)) << "table " << table;
  }
}

}  // namespace
}  // namespace lvyuan::store
