// store/copy: every row of every table reaches the other database unchanged,
// between any two backends (SQLite, and PostgreSQL when LVYUAN_TEST_PG_URL is
// set); a non-empty target or another schema version is refused; a table the
// copy does not know fails here.
#include "store/copy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "store/migrations.h"
#include "store/postgres/postgres_database.h"
#include "store/sqlite/sqlite_database.h"
#include "store/test_support.h"

namespace lvyuan::store {
namespace {

using testing::CodeOf;
using testing::IsOk;
using testing::TestBackends;
using testing::TestDatabase;

// A migrated database of one backend in a scratch file or schema.
struct Scratch {
  explicit Scratch(const std::string& backend) : place(backend) {}
  TestDatabase place;
  std::unique_ptr<Database> db;
};

std::unique_ptr<Scratch> OpenMigrated(const std::string& backend) {
  auto scratch = std::make_unique<Scratch>(backend);
  EXPECT_TRUE(IsOk(scratch->place.status()));
  auto db = Open({.url = scratch->place.url()});
  EXPECT_TRUE(IsOk(db));
  if (!db.ok()) return scratch;
  scratch->db = std::move(db).value();
  EXPECT_TRUE(IsOk(scratch->db->Migrate()));
  return scratch;
}

// Rows in every table, with what is easy to get wrong: a unit whose parent
// comes after it, NULLs, an empty BLOB and an empty TEXT, bytes that are not
// UTF-8, Chinese text, large integers, composite keys spanning pages.
Status Fill(Database& db) {
  return db.Write([](Conn& c) -> Status {
    const Blob binary = {0x00, 0xff, 0x10, 0x80};
    const Blob empty;
    TRY(c.Exec("INSERT INTO settings (key, value) VALUES (?, ?), (?, ?), (?, ?)",
               std::vector<Value>{std::string("a.key"), binary, std::string("b.empty"), empty,
                                  std::string("c.text"), Blob{'h', 'i'}}));
    TRY(
        c.Exec("INSERT INTO units (id, name, type, region_code, parent_id, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)",
               std::vector<Value>{std::int64_t{5},
                                  std::string("湖州市生态环境局"),
                                  std::string("ecology_environment"),
                                  std::string("330500"),
                                  Null(),
                                  std::int64_t{1},
                                  std::int64_t{2},
                                  std::int64_t{7},
                                  std::string("吴兴分局"),
                                  std::string("ecology_environment"),
                                  std::string("330502"),
                                  std::int64_t{5},
                                  std::int64_t{1},
                                  std::int64_t{2},
                                  std::int64_t{9},
                                  std::string("法院"),
                                  std::string("court"),
                                  std::string("330500"),
                                  Null(),
                                  std::int64_t{1},
                                  std::int64_t{2}}));
    // Unit 5's parent is 9, a later row.
    TRY(c.Exec("UPDATE units SET parent_id = 9 WHERE id = 5"));
    TRY(
        c.Exec("INSERT INTO users (id, username, display_name, unit_id, password_hash, "
               "password_changed_at, totp_secret, created_at, updated_at, last_login_at) VALUES "
               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               std::vector<Value>{std::int64_t{3}, std::string("hzhb_admin"), std::string("管理员"),
                                  std::int64_t{7}, std::string("$argon2id$v=19$x"),
                                  std::int64_t{10}, Null(), std::int64_t{11}, std::int64_t{12},
                                  std::int64_t{4'611'686'018'427'387'904}}));
    TRY(c.Exec("INSERT INTO user_roles (user_id, role) VALUES (3, 'unit_admin'), (3, 'viewer')"));
    TRY(c.Exec(
        "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        std::vector<Value>{std::int64_t{1}, binary, std::int64_t{3}, std::int64_t{1},
                           std::int64_t{2}, std::int64_t{3}}));
    TRY(
        c.Exec("INSERT INTO login_failures (id, username, at, client_ip) VALUES "
               "(1, 'nobody', 100, ''), (2, 'nobody', 101, '::1')"));
    TRY(c.Exec("INSERT INTO login_locks (username, locked_until) VALUES ('nobody', 900)"));
    TRY(
        c.Exec("INSERT INTO api_tokens (id, name, token_hash, permissions, unit_id, created_by, "
               "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
               std::vector<Value>{std::int64_t{4}, std::string("系统对接"), Blob{1, 2, 3},
                                  std::string("[\"system:user:list\"]"), std::int64_t{7},
                                  std::int64_t{3}, std::int64_t{5}}));
    for (std::int64_t seq = 1; seq <= 5; ++seq) {
      TRY(
          c.Exec("INSERT INTO record_events (seq, at, actor_user_id, action, outcome, changes, "
                 "detail, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 std::vector<Value>{seq, 1000 + seq, seq == 1 ? Null() : Value(std::int64_t{3}),
                                    std::string("unit.create"), std::string("ok"),
                                    std::string("{\"name\":\"吴兴\"}"), std::string("{}"),
                                    Blob(32, static_cast<std::uint8_t>(seq))}));
    }
    for (std::int64_t level = 1; level <= 2; ++level) {
      for (std::int64_t idx = 0; idx < 3; ++idx) {
        TRY(c.Exec("INSERT INTO record_nodes (level, idx, hash) VALUES (?, ?, ?)",
                   std::vector<Value>{level, idx, Blob(32, static_cast<std::uint8_t>(idx))}));
      }
    }
    TRY(
        c.Exec("INSERT INTO record_checkpoints (size, root, at, body, key_id, signature) VALUES "
               "(?, ?, ?, ?, ?, ?)",
               std::vector<Value>{std::int64_t{4}, Blob(32, 9), std::int64_t{2000},
                                  std::string("lvyuan\n4\nroot\n"), std::string("abcd"), binary}));
    TRY(
        c.Exec("INSERT INTO record_cosignatures (size, witness, key_id, signature, at) VALUES "
               "(?, ?, ?, ?, ?), (?, ?, ?, ?, ?)",
               std::vector<Value>{std::int64_t{4}, std::string("court-a"), std::string("k1"),
                                  binary, std::int64_t{1}, std::int64_t{4}, std::string("court-b"),
                                  std::string("k2"), binary, std::int64_t{2}}));
    const std::string sm3(64, 'a');
    TRY(
        c.Exec("INSERT INTO record_files (sm3, sha256, size, media_type, stored_at) VALUES "
               "(?, ?, ?, ?, ?)",
               std::vector<Value>{sm3, std::string(64, 'b'), std::int64_t{0},
                                  std::string("text/plain; charset=utf-8"), std::int64_t{7}}));
    TRY(c.Exec(
        "INSERT INTO evidence (id, sm3, filename, source, captured_at, captured_by, unit_id, "
        "uploaded_by, uploaded_at, event_seq, location) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        std::vector<Value>{std::int64_t{1}, sm3, std::string("现场.txt"), std::string("scene"),
                           std::int64_t{1}, std::string("张三"), std::int64_t{7}, std::int64_t{3},
                           std::int64_t{2}, std::int64_t{5}, std::string("")}));
    TRY(c.Exec(
        "INSERT INTO uploads (id, user_id, unit_id, declared_size, filename, received, state, "
        "created_at, updated_at, evidence_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?), "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        std::vector<Value>{
            std::string("up-1"),     std::int64_t{3},  std::int64_t{7},      std::int64_t{0},
            std::string("现场.txt"), std::int64_t{0},  std::string("done"),  std::int64_t{1},
            std::int64_t{2},         std::int64_t{1},  std::string("up-2"),  std::int64_t{3},
            std::int64_t{7},         std::int64_t{10}, std::string("b.mp4"), std::int64_t{4},
            std::string("open"),     std::int64_t{1},  std::int64_t{2},      Null()}));
    TRY(
        c.Exec("INSERT INTO login_rate_buckets (key, tokens_milli, updated_at) VALUES "
               "('ip:127.0.0.1', 29000, 5)"));
    TRY(
        c.Exec("INSERT INTO subjects (id, kind, name, credit_code, created_at, updated_at) "
               "VALUES (1, 'company', '某化工有限公司', '91330500MA2B000000', 1, 1)"));
    TRY(
        c.Exec("INSERT INTO matter_numbers (unit_id, kind, year, last) VALUES "
               "(7, 'clue', 2026, 2)"));
    TRY(c.Exec(
        "INSERT INTO matters (id, kind, number, title, state, owner_unit_id, subject_id, "
        "amount_fen, fields, created_by, created_at, updated_at) VALUES "
        "(1, 'clue', '湖环线〔2026〕1号', '偷排', 'open', 7, 1, 120000, '{}', 3, 1, 1), "
        "(2, 'transfer', '湖环移〔2026〕2号', '移送', 'sent', 7, NULL, NULL, '{}', 3, 2, 2)"));
    TRY(
        c.Exec("INSERT INTO matter_participants (matter_id, unit_id, relation, added_at) VALUES "
               "(1, 7, 'owner', 1), (2, 9, 'recipient', 2)"));
    TRY(
        c.Exec("INSERT INTO matter_visibility (unit_id, matter_id, kind, state, updated_at) "
               "VALUES (7, 1, 'clue', 'open', 1), (9, 2, 'transfer', 'sent', 2)"));
    TRY(
        c.Exec("INSERT INTO matter_counts (unit_id, kind, state, n) VALUES "
               "(7, 'clue', 'open', 1), (9, 'transfer', 'sent', 1), (0, 'clue', 'open', 1)"));
    TRY(
        c.Exec("INSERT INTO matter_links (from_matter_id, to_matter_id, relation, created_at) "
               "VALUES (1, 2, 'transferred', 2)"));
    TRY(
        c.Exec("INSERT INTO matter_files (matter_id, evidence_id, field, added_at) VALUES "
               "(1, 1, 'photos', 3)"));
    TRY(
        c.Exec("INSERT INTO matter_deadlines (matter_id, name, started_at, due_at) VALUES "
               "(2, 'accept', 2, 9)"));
    TRY(
        c.Exec("INSERT INTO notifications (id, user_id, kind, matter_id, title, created_at) "
               "VALUES (1, 3, 'matter.received', 2, '收到移送', 2)"));
    return core::Ok();
  });
}

// Every row of a table, in primary-key order, as values.
std::vector<std::vector<Value>> Dump(Database& db, const std::string& table) {
  auto listed = db.ListTables();
  EXPECT_TRUE(IsOk(listed));
  if (!listed.ok()) return {};
  std::string order;
  for (const TableInfo& info : *listed) {
    if (info.name != table) continue;
    std::vector<const ColumnInfo*> key;
    for (const ColumnInfo& column : info.columns) {
      if (column.primary_key > 0) key.push_back(&column);
    }
    std::sort(key.begin(), key.end(), [](const ColumnInfo* a, const ColumnInfo* b) {
      return a->primary_key < b->primary_key;
    });
    for (const ColumnInfo* column : key) order += (order.empty() ? "" : ", ") + column->name;
  }
  std::vector<std::vector<Value>> rows;
  EXPECT_TRUE(IsOk(db.Read([&](Conn& conn) -> Status {
    const std::vector<Row> found = TRY(conn.Query("SELECT * FROM " + table + " ORDER BY " + order));
    for (const Row& row : found) {
      std::vector<Value> values;
      for (std::size_t i = 0; i < row.size(); ++i) values.push_back(row.at(i));
      rows.push_back(std::move(values));
    }
    return core::Ok();
  })));
  return rows;
}

class CopyTest : public ::testing::TestWithParam<std::string> {};

std::string BackendName(const ::testing::TestParamInfo<std::string>& param) { return param.param; }

INSTANTIATE_TEST_SUITE_P(Backends, CopyTest, ::testing::ValuesIn(TestBackends()), BackendName);

TEST_P(CopyTest, KnowsEveryTableOfTheMigratedSchema) {
  auto scratch = OpenMigrated(GetParam());
  ASSERT_NE(scratch->db, nullptr);
  auto tables = scratch->db->ListTables();
  ASSERT_TRUE(IsOk(tables));
  std::set<std::string> listed;
  for (const TableInfo& table : *tables) {
    if (table.name != "schema_version") listed.insert(table.name);
  }
  std::set<std::string> copied(CopiedTables().begin(), CopiedTables().end());
  EXPECT_EQ(listed, copied) << "a migration added or dropped a table: list it in store/copy.cc";
}

TEST_P(CopyTest, ListTablesGivesPortableTypesAndKeys) {
  auto scratch = OpenMigrated(GetParam());
  ASSERT_NE(scratch->db, nullptr);
  auto tables = scratch->db->ListTables();
  ASSERT_TRUE(IsOk(tables));
  const auto nodes = std::find_if(tables->begin(), tables->end(),
                                  [](const TableInfo& t) { return t.name == "record_nodes"; });
  ASSERT_NE(nodes, tables->end());
  ASSERT_EQ(nodes->columns.size(), 3u);
  EXPECT_EQ(nodes->columns[0].name, "level");
  EXPECT_EQ(nodes->columns[0].type, "INTEGER");
  EXPECT_EQ(nodes->columns[0].primary_key, 1);
  EXPECT_EQ(nodes->columns[1].primary_key, 2);
  EXPECT_EQ(nodes->columns[2].type, "BLOB");
  EXPECT_EQ(nodes->columns[2].primary_key, 0);
}

TEST_P(CopyTest, RefusesATargetThatHoldsRowsAndLeavesItAlone) {
  auto source = OpenMigrated("sqlite");
  auto target = OpenMigrated(GetParam());
  ASSERT_NE(source->db, nullptr);
  ASSERT_NE(target->db, nullptr);
  ASSERT_TRUE(IsOk(Fill(*source->db)));
  ASSERT_TRUE(IsOk(target->db->Write([](Conn& c) -> Status {
    TRY(c.Exec("INSERT INTO login_locks (username, locked_until) VALUES ('x', 1)"));
    return core::Ok();
  })));
  EXPECT_EQ(CodeOf(RequireEmpty(*target->db)), core::ErrorCode::kFailedPrecondition);
  auto copied = CopyDatabase(*source->db, *target->db);
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(copied.error().message.find("login_locks"), std::string::npos)
      << copied.error().message;
  EXPECT_TRUE(Dump(*target->db, "units").empty());
  EXPECT_EQ(Dump(*target->db, "login_locks").size(), 1u);
}

TEST_P(CopyTest, RefusesAnotherSchemaVersion) {
  auto source = OpenMigrated(GetParam());
  ASSERT_NE(source->db, nullptr);
  testing::TestDatabase place("sqlite");
  auto opened = sqlite::SqliteDatabase::Open(place.url().substr(7), {});
  ASSERT_TRUE(IsOk(opened));
  std::unique_ptr<sqlite::SqliteDatabase> older = std::move(opened).value();
  ASSERT_TRUE(IsOk(older->Migrate(SqliteMigrations().first(SqliteMigrations().size() - 1))));
  auto copied = CopyDatabase(*source->db, *older);
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(copied.error().message.find("结构版本"), std::string::npos) << copied.error().message;
}

TEST_P(CopyTest, AnEmptyDatabaseCopiesAsNoRows) {
  auto source = OpenMigrated(GetParam());
  auto target = OpenMigrated("sqlite");
  ASSERT_NE(source->db, nullptr);
  ASSERT_NE(target->db, nullptr);
  auto copied = CopyDatabase(*source->db, *target->db);
  ASSERT_TRUE(IsOk(copied));
  EXPECT_EQ(copied->rows, 0);
  EXPECT_EQ(copied->tables.size(), CopiedTables().size());
}

// Copies between each pair of backends ("sqlite->postgresql" …).
struct Pair {
  std::string from;
  std::string to;
};

std::vector<Pair> Pairs() {
  std::vector<Pair> pairs;
  for (const std::string& from : TestBackends()) {
    for (const std::string& to : TestBackends()) pairs.push_back({from, to});
  }
  return pairs;
}

class CopyBetweenTest : public ::testing::TestWithParam<Pair> {};

std::string PairName(const ::testing::TestParamInfo<Pair>& param) {
  return param.param.from + "_to_" + param.param.to;
}

INSTANTIATE_TEST_SUITE_P(Pairs, CopyBetweenTest, ::testing::ValuesIn(Pairs()), PairName);

TEST_P(CopyBetweenTest, CopiesEveryRowOfEveryTableUnchanged) {
  auto source = OpenMigrated(GetParam().from);
  auto target = OpenMigrated(GetParam().to);
  ASSERT_NE(source->db, nullptr);
  ASSERT_NE(target->db, nullptr);
  ASSERT_TRUE(IsOk(Fill(*source->db)));
  std::vector<std::string> progressed;
  // Small pages and INSERTs so that keyset paging and batching are exercised.
  auto copied = CopyDatabase(*source->db, *target->db,
                             {.page_rows = 2,
                              .insert_rows = 3,
                              .progress = [&progressed](std::string_view table, std::int64_t) {
                                progressed.emplace_back(table);
                              }});
  ASSERT_TRUE(IsOk(copied));
  EXPECT_EQ(copied->rows, 48);
  EXPECT_EQ(progressed, std::vector<std::string>(CopiedTables().begin(), CopiedTables().end()));
  for (std::string_view table : CopiedTables()) {
    const std::string name(table);
    const auto from = Dump(*source->db, name);
    EXPECT_FALSE(from.empty()) << "Fill leaves " << name << " empty: the test must cover it";
    EXPECT_EQ(Dump(*target->db, name), from) << name;
  }
}

TEST_P(CopyBetweenTest, GeneratedIdsContinuePastTheCopiedOnes) {
  auto source = OpenMigrated(GetParam().from);
  auto target = OpenMigrated(GetParam().to);
  ASSERT_NE(source->db, nullptr);
  ASSERT_NE(target->db, nullptr);
  ASSERT_TRUE(IsOk(Fill(*source->db)));
  ASSERT_TRUE(IsOk(CopyDatabase(*source->db, *target->db)));
  std::int64_t id = 0;
  ASSERT_TRUE(IsOk(target->db->Write([&id](Conn& c) -> Status {
    std::optional<Row> row =
        TRY(c.QueryOne("INSERT INTO units (name, type, region_code, created_at, updated_at) VALUES "
                       "('新单位', 'other', '330500', 1, 1) RETURNING id"));
    id = row ? row->Int(0) : 0;
    return core::Ok();
  })));
  EXPECT_EQ(id, 10);
}

}  // namespace
}  // namespace lvyuan::store
