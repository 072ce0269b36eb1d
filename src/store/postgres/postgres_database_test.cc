// What the PostgreSQL backend does beyond the storage contract (contract_test
// covers that on both backends): placeholders, connection settings, lost
// connections, error mapping, writers of two processes, group commit, the
// append-only tables of the migrations. The tests that need a server run when
// LVYUAN_TEST_PG_URL is set and are skipped otherwise.
#include "store/postgres/postgres_database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/notify.h"
#include "store/record.h"
#include "store/test_support.h"

// libpqxx 6.4 leaks the PGresult of a statement that finds the connection
// lost (connection_base::make_result throws before taking ownership), about
// 2 KiB per lost connection; the tests below lose connections on purpose.
extern "C" const char* __lsan_default_suppressions() { return "leak:libpqxx-6.4.so\n"; }

namespace lvyuan::store::postgres {
namespace {

using core::ErrorCode;
using core::Ok;
using testing::CodeOf;
using ::testing::HasSubstr;
using testing::IsOk;

std::string Rewrite(std::string_view sql, std::vector<std::string_view> casts = {}) {
  std::size_t count = 0;
  std::string out = RewritePlaceholders(sql, casts, &count);
  return out + " #" + std::to_string(count);
}

TEST(RewritePlaceholdersTest, NumbersPlaceholdersInOrderAndAppendsTheirCasts) {
  EXPECT_EQ(Rewrite("SELECT a FROM t WHERE b = ? AND c = ? LIMIT ?", {"::bigint", "", "::bigint"}),
            "SELECT a FROM t WHERE b = $1::bigint AND c = $2 LIMIT $3::bigint #3");
  EXPECT_EQ(Rewrite("INSERT INTO t (a, b) VALUES (?,?)"), "INSERT INTO t (a, b) VALUES ($1,$2) #2");
  EXPECT_EQ(Rewrite("SELECT 1"), "SELECT 1 #0");
}

TEST(RewritePlaceholdersTest, LeavesQuestionMarksInLiteralsIdentifiersAndComments) {
  EXPECT_EQ(Rewrite("SELECT '?', 'it''s ?', ? FROM t"), "SELECT '?', 'it''s ?', $1 FROM t #1");
  EXPECT_EQ(Rewrite("SELECT \"odd?name\" FROM t WHERE a = ?"),
            "SELECT \"odd?name\" FROM t WHERE a = $1 #1");
  EXPECT_EQ(Rewrite("SELECT ? -- why?\n, ?"), "SELECT $1 -- why?\n, $2 #2");
  EXPECT_EQ(Rewrite("SELECT /* a ? /* nested ? */ b ? */ ?"),
            "SELECT /* a ? /* nested ? */ b ? */ $1 #1");
  EXPECT_EQ(Rewrite("SELECT E'\\' ?', ?"), "SELECT E'\\' ?', $1 #1");
  EXPECT_EQ(Rewrite("DO $body$ SELECT '?' $body$; SELECT $$?$$, ?"),
            "DO $body$ SELECT '?' $body$; SELECT $$?$$, $1 #1");
}

TEST(RewritePlaceholdersTest, BackslashInAPlainLiteralDoesNotEscapeTheQuote) {
  // standard_conforming_strings: '\' is a complete literal (LIKE ... ESCAPE '\').
  EXPECT_EQ(Rewrite("SELECT a FROM t WHERE a LIKE ? ESCAPE '\\' AND b = ?"),
            "SELECT a FROM t WHERE a LIKE $1 ESCAPE '\\' AND b = $2 #2");
}

TEST(PostgresOpenTest, UnreachableServerIsUnavailable) {
  auto opened = Open({.url = "postgresql://lvyuan_test@127.0.0.1:1/lvyuan_test"});
  ASSERT_EQ(CodeOf(opened), ErrorCode::kUnavailable);
}

TEST(PostgresOpenTest, UnparsableUrlIsInvalidArgumentOnStoreUrl) {
  auto opened = Open({.url = "postgresql://127.0.0.1/lvyuan?no_such_option=1"});
  ASSERT_EQ(CodeOf(opened), ErrorCode::kInvalidArgument);
  EXPECT_EQ(opened.error().field, "store.url");
}

class PostgresDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::PostgresTestUrl().empty()) GTEST_SKIP() << "LVYUAN_TEST_PG_URL is not set";
    schema_.emplace();
    ASSERT_TRUE(IsOk(schema_->status()));
    db_ = OpenDatabase();
    ASSERT_NE(db_, nullptr);
  }

  std::unique_ptr<PostgresDatabase> OpenDatabase(int readers = 2) {
    OpenOptions options{.url = schema_->url(), .reader_pool_size = readers};
    auto opened = PostgresDatabase::Open(schema_->url(), options);
    EXPECT_TRUE(IsOk(opened));
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  std::string Show(const std::string& setting) {
    std::string value;
    EXPECT_TRUE(IsOk(db_->Read([&](Conn& conn) -> Status {
      std::optional<Row> row = TRY(conn.QueryOne("SHOW " + setting));
      value = row->Text(0);
      return Ok();
    })));
    return value;
  }

  std::int64_t BackendPid(bool writer) {
    std::int64_t pid = 0;
    auto fn = [&pid](Conn& conn) -> Status {
      std::optional<Row> row = TRY(conn.QueryOne("SELECT pg_backend_pid()"));
      pid = row->Int(0);
      return Ok();
    };
    EXPECT_TRUE(IsOk(writer ? db_->Write(fn) : db_->Read(fn)));
    return pid;
  }

  // Ends the server process behind pid, as a crash or a failover would.
  void TerminateBackend(std::int64_t pid) {
    auto other = OpenDatabase();
    ASSERT_NE(other, nullptr);
    ASSERT_TRUE(IsOk(other->Write([pid](Conn& conn) -> Status {
      std::optional<Row> row = TRY(conn.QueryOne(
          "SELECT pg_terminate_backend(CAST(? AS integer), 10000)", std::vector<Value>{pid}));
      if (row->Int(0) != 1) return core::Internal("backend not terminated");
      return Ok();
    })));
  }

  std::optional<testing::ScratchSchema> schema_;
  std::unique_ptr<PostgresDatabase> db_;
};

TEST_F(PostgresDatabaseTest, ConnectionsUseTheConfiguredSettings) {
  EXPECT_EQ(Show("statement_timeout"), "30s");
  EXPECT_EQ(Show("synchronous_commit"), "on");
  EXPECT_EQ(Show("lock_timeout"), "5s");
  EXPECT_EQ(Show("TimeZone"), "UTC");
  EXPECT_EQ(Show("server_encoding"), "UTF8");
  EXPECT_EQ(Show("transaction_isolation"), "repeatable read");
  EXPECT_EQ(Show("transaction_read_only"), "on");
}

TEST_F(PostgresDatabaseTest, LostReaderAnswersUnavailableAndTheNextReadReconnects) {
  db_ = OpenDatabase(/*readers=*/1);
  const std::int64_t pid = BackendPid(/*writer=*/false);
  const std::int64_t made = db_->connections_made();
  ASSERT_NO_FATAL_FAILURE(TerminateBackend(pid));

  Status lost = db_->Ping();
  EXPECT_EQ(CodeOf(lost), ErrorCode::kUnavailable);
  EXPECT_TRUE(IsOk(db_->Ping()));
  EXPECT_EQ(db_->connections_made(), made + 1);
  EXPECT_NE(BackendPid(/*writer=*/false), pid);
}

TEST_F(PostgresDatabaseTest, LostWriterAnswersUnavailableAndTheNextWriteReconnects) {
  ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE t (id BIGINT PRIMARY KEY)"));
    return Ok();
  })));
  const std::int64_t pid = BackendPid(/*writer=*/true);
  ASSERT_NO_FATAL_FAILURE(TerminateBackend(pid));

  Status lost = db_->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("INSERT INTO t (id) VALUES (1)"));
    return Ok();
  });
  EXPECT_EQ(CodeOf(lost), ErrorCode::kUnavailable);
  ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("INSERT INTO t (id) VALUES (2)"));
    return Ok();
  })));
  std::vector<Row> rows;
  ASSERT_TRUE(IsOk(db_->Read([&rows](Conn& conn) -> Status {
    rows = TRY(conn.Query("SELECT id FROM t ORDER BY id"));
    return Ok();
  })));
  ASSERT_EQ(rows.size(), 1u) << "the write on the lost connection was not applied";
  EXPECT_EQ(rows[0].Int(0), 2);
}

TEST_F(PostgresDatabaseTest, StatementTimeoutIsDeadlineExceeded) {
  Status status = db_->Read([](Conn& conn) -> Status {
    TRY(conn.Exec("SET LOCAL statement_timeout = 20"));
    TRY(conn.Query("SELECT pg_sleep(5)"));
    return Ok();
  });
  EXPECT_EQ(CodeOf(status), ErrorCode::kDeadlineExceeded);
  EXPECT_TRUE(IsOk(db_->Ping())) << "a timed-out statement leaves the connection usable";
}

TEST_F(PostgresDatabaseTest, SerializationFailureAndDeadlockAreAborted) {
  for (const char* state : {"serialization_failure", "deadlock_detected"}) {
    Status status = db_->Write([state](Conn& conn) -> Status {
      TRY(conn.Exec(std::string("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '") +
                    state + "'; END $$"));
      return Ok();
    });
    EXPECT_EQ(CodeOf(status), ErrorCode::kAborted) << state;
  }
}

TEST_F(PostgresDatabaseTest, UniqueViolationNamesTheConstraint) {
  Status status = db_->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE t (name TEXT CONSTRAINT t_name_unique UNIQUE)"));
    TRY(conn.Exec("INSERT INTO t (name) VALUES (?), (?)", std::vector<Value>{"a", "a"}));
    return Ok();
  });
  ASSERT_EQ(CodeOf(status), ErrorCode::kAlreadyExists);
  EXPECT_THAT(status.error().message, HasSubstr("t_name_unique"));
}

TEST_F(PostgresDatabaseTest, ResultTypesMapToThePortableOnes) {
  std::optional<Row> row;
  ASSERT_TRUE(IsOk(db_->Read([&row](Conn& conn) -> Status {
    row =
        TRY(conn.QueryOne("SELECT true, false, 7::integer, 12::numeric, 1.5::numeric, 2.5::real, "
                          "SUM(x), 'text'::varchar, '\\x00ff'::bytea, NULL::bigint "
                          "FROM (VALUES (CAST(? AS bigint)), (CAST(? AS bigint))) AS v(x)",
                          std::vector<Value>{std::int64_t{40}, std::int64_t{2}}));
    return Ok();
  })));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->at(0), Value(std::int64_t{1}));
  EXPECT_EQ(row->at(1), Value(std::int64_t{0}));
  EXPECT_EQ(row->at(2), Value(std::int64_t{7}));
  EXPECT_EQ(row->at(3), Value(std::int64_t{12}));
  EXPECT_EQ(row->at(4), Value(1.5));
  EXPECT_EQ(row->at(5), Value(2.5));
  EXPECT_EQ(row->at(6), Value(std::int64_t{42})) << "SUM of bigint is numeric";
  EXPECT_EQ(row->at(7), Value(std::string("text")));
  EXPECT_EQ(row->at(8), Value(Blob{0x00, 0xff}));
  EXPECT_TRUE(row->IsNull(9));
}

TEST_F(PostgresDatabaseTest, TextWithANulCharacterIsRefused) {
  Status status = db_->Read([](Conn& conn) -> Status {
    TRY(conn.Query("SELECT ?", std::vector<Value>{std::string("a\0b", 3)}));
    return Ok();
  });
  EXPECT_EQ(CodeOf(status), ErrorCode::kInvalidArgument);
}

TEST_F(PostgresDatabaseTest, WritersOfTwoProcessesAreSerialised) {
  // Two Database objects stand for two lvyuan processes: each Write reads the
  // highest number and inserts the next one, as the record assigns sequence
  // numbers. Serialised writers never pick the same number.
  ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE t (n BIGINT PRIMARY KEY)"));
    return Ok();
  })));
  auto other = OpenDatabase();
  ASSERT_NE(other, nullptr);
  constexpr int kWritesPerThread = 100;
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    Database& database = t % 2 == 0 ? static_cast<Database&>(*db_) : *other;
    threads.emplace_back([&database, &failures, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        Status status = database.Write([](Conn& conn) -> Status {
          std::optional<Row> row = TRY(conn.QueryOne("SELECT COALESCE(MAX(n), 0) FROM t"));
          TRY(conn.Exec("INSERT INTO t (n) VALUES (?)", std::vector<Value>{row->Int(0) + 1}));
          return Ok();
        });
        if (!status.ok()) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  std::optional<Row> row;
  ASSERT_TRUE(IsOk(db_->Read([&row](Conn& conn) -> Status {
    row = TRY(conn.QueryOne("SELECT COUNT(*), MAX(n) FROM t"));
    return Ok();
  })));
  EXPECT_EQ(row->Int(0), 4 * kWritesPerThread);
  EXPECT_EQ(row->Int(1), 4 * kWritesPerThread) << "no gaps";
}

TEST_F(PostgresDatabaseTest, MigrationsApplyEveryScriptOnceAndRecordTheSameVersions) {
  ASSERT_TRUE(IsOk(db_->Migrate()));
  auto other = OpenDatabase();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(IsOk(other->Migrate()));
  std::vector<Row> rows;
  ASSERT_TRUE(IsOk(db_->Read([&rows](Conn& conn) -> Status {
    rows = TRY(conn.Query("SELECT version, name FROM schema_version ORDER BY version"));
    return Ok();
  })));
  const auto migrations = PostgresMigrations();
  ASSERT_EQ(rows.size(), migrations.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].Int(0), migrations[i].number);
    EXPECT_EQ(rows[i].Text(1), migrations[i].name);
  }
  auto version = db_->SchemaVersion();
  ASSERT_TRUE(IsOk(version));
  EXPECT_EQ(*version, HighestMigration(SqliteMigrations()));
}

TEST_F(PostgresDatabaseTest, RecordTablesRefuseUpdateDeleteAndTruncate) {
  ASSERT_TRUE(IsOk(db_->Migrate()));
  ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
    EventRecord event;
    event.seq = 1;
    event.at = 1700000000000;
    event.action = "test.append";
    event.outcome = "ok";
    event.leaf_hash = Blob(32, 0xab);
    return AppendEvent(conn, event);
  })));
  for (const char* sql : {"UPDATE record_events SET action = 'changed'",
                          "DELETE FROM record_events", "TRUNCATE record_events CASCADE"}) {
    Status status = db_->Write([sql](Conn& conn) -> Status {
      TRY(conn.Exec(sql));
      return Ok();
    });
    ASSERT_EQ(CodeOf(status), ErrorCode::kFailedPrecondition) << sql;
    EXPECT_THAT(status.error().message, HasSubstr("record_events is append-only")) << sql;
  }
  std::optional<EventRecord> kept;
  ASSERT_TRUE(IsOk(db_->Read([&kept](Conn& conn) -> Status {
    kept = TRY(FindEvent(conn, 1));
    return Ok();
  })));
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->action, "test.append");
  EXPECT_EQ(kept->leaf_hash, Blob(32, 0xab));
}

// url (postgresql://user@host:port/db?...) with another user.
std::string WithUser(const std::string& url, const std::string& user) {
  const std::size_t start = url.find("://") + 3;
  const std::size_t at = url.find('@', start);
  const std::size_t host = at == std::string::npos ? start : at + 1;
  return url.substr(0, start) + user + "@" + url.substr(host);
}

class PostgresRolesTest : public PostgresDatabaseTest {
 protected:
  static constexpr const char* kAppRole = "lvyuan_app";

  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // scripts/pg-test-cluster creates the role; another server may not have it.
    (void)db_->Write([](Conn& conn) -> Status {
      std::optional<Row> found = TRY(
          conn.QueryOne("SELECT 1 FROM pg_roles WHERE rolname = ?", std::vector<Value>{kAppRole}));
      if (!found) TRY(conn.Exec(std::string("CREATE ROLE ") + kAppRole + " LOGIN"));
      return Ok();
    });
    ASSERT_TRUE(IsOk(db_->Migrate()));
    ASSERT_TRUE(IsOk(db_->GrantApplicationRole(kAppRole)));
    const std::string app_url = WithUser(schema_->url(), kAppRole);
    auto app = PostgresDatabase::Open(app_url, OpenOptions{.url = app_url});
    ASSERT_TRUE(IsOk(app));
    app_ = std::move(app).value();
  }

  Status AppendOne(Database& db, std::int64_t seq) {
    return db.Write([seq](Conn& conn) -> Status {
      EventRecord event;
      event.seq = seq;
      event.at = 1700000000000 + seq;
      event.action = "test.append";
      event.outcome = "ok";
      event.leaf_hash = Blob(32, 0xcd);
      return AppendEvent(conn, event);
    });
  }

  Status Run(Database& db, const std::string& sql) {
    return db.Write([&sql](Conn& conn) -> Status {
      TRY(conn.Exec(sql));
      return Ok();
    });
  }

  std::unique_ptr<PostgresDatabase> app_;
};

TEST_F(PostgresRolesTest, ApplicationRoleAppendsAndReadsTheRecord) {
  ASSERT_TRUE(IsOk(AppendOne(*app_, 1)));
  std::optional<EventRecord> read;
  ASSERT_TRUE(IsOk(app_->Read([&read](Conn& conn) -> Status {
    read = TRY(FindEvent(conn, 1));
    return Ok();
  })));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->action, "test.append");
}

TEST_F(PostgresRolesTest, ApplicationRoleMayNotChangeTheRecordEvenWithoutTheTriggers) {
  ASSERT_TRUE(IsOk(AppendOne(*app_, 1)));
  // The owner (or anyone who got hold of its password) drops the triggers.
  ASSERT_TRUE(IsOk(Run(*db_,
                       "DROP TRIGGER record_events_no_update ON record_events; "
                       "DROP TRIGGER record_events_no_delete ON record_events; "
                       "DROP TRIGGER record_events_no_truncate ON record_events")));
  for (const char* sql : {"UPDATE record_events SET action = 'changed'",
                          "DELETE FROM record_events", "TRUNCATE record_events"}) {
    Status status = Run(*app_, sql);
    EXPECT_EQ(CodeOf(status), ErrorCode::kPermissionDenied) << sql;
    if (!status.ok()) {
      EXPECT_THAT(status.error().message, HasSubstr("permission denied")) << sql;
    }
  }
  for (std::string_view table : AppendOnlyTables()) {
    const std::string name(table);
    std::string column;
    ASSERT_TRUE(IsOk(db_->Read([&](Conn& conn) -> Status {
      std::optional<Row> row = TRY(
          conn.QueryOne("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                        "current_schema() AND table_name = ? ORDER BY ordinal_position LIMIT 1",
                        std::vector<Value>{name}));
      if (!row) return core::NotFound(name);
      column = row->Text(0);
      return Ok();
    })));
    EXPECT_EQ(CodeOf(Run(*app_, "UPDATE " + name + " SET " + column + " = " + column)),
              ErrorCode::kPermissionDenied)
        << name;
    EXPECT_EQ(CodeOf(Run(*app_, "DELETE FROM " + name)), ErrorCode::kPermissionDenied) << name;
  }
  EXPECT_EQ(CodeOf(Run(*app_, "DELETE FROM schema_version")), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(Run(*app_, "CREATE TABLE intruder (id BIGINT)")), ErrorCode::kPermissionDenied);
  std::optional<EventRecord> kept;
  ASSERT_TRUE(IsOk(db_->Read([&kept](Conn& conn) -> Status {
    kept = TRY(FindEvent(conn, 1));
    return Ok();
  })));
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->action, "test.append");
}

TEST_F(PostgresRolesTest, OwnerIsStillRefusedByTheTriggers) {
  ASSERT_TRUE(IsOk(AppendOne(*app_, 1)));
  for (const char* sql : {"UPDATE record_events SET action = 'changed'",
                          "DELETE FROM record_events", "TRUNCATE record_events CASCADE"}) {
    Status status = Run(*db_, sql);
    EXPECT_EQ(CodeOf(status), ErrorCode::kFailedPrecondition) << sql;
  }
}

TEST_F(PostgresRolesTest, ApplicationRoleChangesTheOtherTablesAsUsual) {
  EXPECT_TRUE(IsOk(Run(*app_, "INSERT INTO settings (key, value) VALUES ('roles.test', 'a')")));
  EXPECT_TRUE(IsOk(Run(*app_, "UPDATE settings SET value = 'b' WHERE key = 'roles.test'")));
  EXPECT_TRUE(IsOk(Run(*app_, "DELETE FROM settings WHERE key = 'roles.test'")));
}

TEST_F(PostgresRolesTest, GrantingIsIdempotentAndRefusesTheOwnerOrAnUnknownRole) {
  ASSERT_TRUE(IsOk(db_->GrantApplicationRole(kAppRole)));
  ASSERT_TRUE(IsOk(AppendOne(*app_, 1)));
  EXPECT_EQ(CodeOf(Run(*app_, "DELETE FROM record_events")), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(db_->GrantApplicationRole("lvyuan_no_such_role")), ErrorCode::kNotFound);
  auto owner = UserOfUrl(testing::PostgresTestUrl());
  ASSERT_TRUE(IsOk(owner));
  EXPECT_EQ(CodeOf(db_->GrantApplicationRole(*owner)), ErrorCode::kInvalidArgument);
}

// Replicas: a second (and third) scratch schema on the test server stands for
// a replica; each holds a table `whereami` naming it, so a read shows where it
// ran.
class PostgresReplicaTest : public PostgresDatabaseTest {
 protected:
  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(IsOk(Label(*db_, "primary")));
    for (const char* name : {"replica-1", "replica-2"}) {
      replicas_.push_back(std::make_unique<testing::ScratchSchema>());
      ASSERT_TRUE(IsOk(replicas_.back()->status()));
      auto replica = Open({.url = replicas_.back()->url()});
      ASSERT_TRUE(IsOk(replica));
      ASSERT_TRUE(IsOk(Label(**replica, name)));
    }
  }

  static Status Label(Database& db, const std::string& name) {
    return db.Write([&name](Conn& conn) -> Status {
      TRY(conn.Exec("CREATE TABLE whereami (name TEXT NOT NULL)"));
      TRY(conn.Exec("INSERT INTO whereami (name) VALUES (?)", std::vector<Value>{name}));
      return Ok();
    });
  }

  std::unique_ptr<PostgresDatabase> OpenWithReplicas(std::vector<std::string> replica_urls) {
    OpenOptions options{.url = schema_->url(), .replica_urls = std::move(replica_urls)};
    auto opened = PostgresDatabase::Open(schema_->url(), options);
    EXPECT_TRUE(IsOk(opened));
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  // Where a read or write of kind ran: "primary", "replica-1", ... or the error.
  enum class Kind { kReadMayLag, kRead, kWrite };
  static std::string WhereAmI(PostgresDatabase& db, Kind kind) {
    std::string name;
    auto fn = [&name](Conn& conn) -> Status {
      std::optional<Row> row = TRY(conn.QueryOne("SELECT name FROM whereami"));
      name = row->Text(0);
      return Ok();
    };
    Status status = kind == Kind::kReadMayLag ? db.ReadMayLag(fn)
                    : kind == Kind::kRead     ? db.Read(fn)
                                              : db.Write(fn);
    return status.ok() ? name : status.error().ToString();
  }

  std::vector<std::unique_ptr<testing::ScratchSchema>> replicas_;
};

TEST_F(PostgresReplicaTest, ReadMayLagGoesToTheReplicasInTurnAndReadAndWriteToThePrimary) {
  auto db = OpenWithReplicas({replicas_[0]->url(), replicas_[1]->url()});
  ASSERT_NE(db, nullptr);
  std::multiset<std::string> lagging;
  for (int i = 0; i < 4; ++i) lagging.insert(WhereAmI(*db, Kind::kReadMayLag));
  EXPECT_EQ(lagging,
            (std::multiset<std::string>{"replica-1", "replica-1", "replica-2", "replica-2"}));
  EXPECT_EQ(WhereAmI(*db, Kind::kRead), "primary");
  EXPECT_EQ(WhereAmI(*db, Kind::kWrite), "primary");
  EXPECT_EQ(db->replica_fallbacks(), 0);
}

TEST_F(PostgresReplicaTest, WithoutReplicasReadMayLagReadsThePrimary) {
  EXPECT_EQ(WhereAmI(*db_, Kind::kReadMayLag), "primary");
  EXPECT_EQ(db_->replica_fallbacks(), 0);
}

TEST_F(PostgresReplicaTest, ADeadReplicaFallsBackToThePrimaryAndIsSkippedAfterwards) {
  auto db = OpenWithReplicas({"postgresql://lvyuan_test@127.0.0.1:1/lvyuan_test"});
  ASSERT_NE(db, nullptr) << "a replica that is down does not stop the open";
  const std::int64_t made = db->connections_made();
  EXPECT_EQ(WhereAmI(*db, Kind::kReadMayLag), "primary");
  EXPECT_EQ(db->replica_fallbacks(), 1);
  EXPECT_EQ(WhereAmI(*db, Kind::kReadMayLag), "primary");
  EXPECT_EQ(db->replica_fallbacks(), 2);
  EXPECT_EQ(db->connections_made(), made + 1)
      << "one reader on the primary; the dead replica is not tried again at once";
}

TEST_F(PostgresReplicaTest, ADeadReplicaIsSkippedInFavourOfALiveOne) {
  auto db =
      OpenWithReplicas({"postgresql://lvyuan_test@127.0.0.1:1/lvyuan_test", replicas_[1]->url()});
  ASSERT_NE(db, nullptr);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(WhereAmI(*db, Kind::kReadMayLag), "replica-2");
  EXPECT_EQ(db->replica_fallbacks(), 0);
}

TEST_F(PostgresReplicaTest, AReplicaLinkLostDuringAReadFallsBackWithoutFailingIt) {
  auto db = OpenWithReplicas({replicas_[0]->url()});
  ASSERT_NE(db, nullptr);
  std::int64_t replica_pid = 0;
  ASSERT_TRUE(IsOk(db->ReadMayLag([&replica_pid](Conn& conn) -> Status {
    std::optional<Row> row = TRY(conn.QueryOne("SELECT pg_backend_pid()"));
    replica_pid = row->Int(0);
    return Ok();
  })));
  ASSERT_NO_FATAL_FAILURE(TerminateBackend(replica_pid));
  EXPECT_EQ(WhereAmI(*db, Kind::kReadMayLag), "primary");
  EXPECT_EQ(db->replica_fallbacks(), 1);
}

TEST_F(PostgresReplicaTest, ReadMayLagPassesTheCallbacksOwnErrorThrough) {
  auto db = OpenWithReplicas({replicas_[0]->url()});
  ASSERT_NE(db, nullptr);
  int runs = 0;
  Status status = db->ReadMayLag([&runs](Conn&) -> Status {
    ++runs;
    return core::NotFound("nothing here");
  });
  EXPECT_EQ(CodeOf(status), ErrorCode::kNotFound);
  EXPECT_EQ(runs, 1) << "not asked again of the primary";
}

TEST(PostgresReplicaUrlTest, UnparsableReplicaUrlIsInvalidArgumentOnReplicaUrls) {
  auto opened = Open({.url = "postgresql://lvyuan_test@127.0.0.1:1/lvyuan_test",
                      .replica_urls = {"postgresql://127.0.0.1/lvyuan?no_such_option=1"}});
  ASSERT_EQ(CodeOf(opened), ErrorCode::kInvalidArgument);
  EXPECT_EQ(opened.error().field, "store.replica_urls");
}

// url with `hosts` (e.g. "127.0.0.1:1,") put before its host.
std::string WithHostsBefore(const std::string& url, const std::string& hosts) {
  const std::size_t start = url.find("://") + 3;
  const std::size_t at = url.find('@', start);
  const std::size_t host = at == std::string::npos ? start : at + 1;
  return url.substr(0, host) + hosts + url.substr(host);
}

TEST_F(PostgresDatabaseTest, MultiHostUrlSkipsADeadHostAndWritesToTheWritableOne) {
  std::string url = WithHostsBefore(schema_->url(), "127.0.0.1:1,");
  url += "&target_session_attrs=read-write";
  auto db = PostgresDatabase::Open(url, OpenOptions{.url = url});
  ASSERT_TRUE(IsOk(db));
  EXPECT_TRUE(IsOk((*db)->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE t (id BIGINT)"));
    TRY(conn.Exec("INSERT INTO t (id) VALUES (1)"));
    return Ok();
  })));
}

TEST_F(PostgresDatabaseTest, AWriterLandingOnAReadOnlyServerIsRefusedWhenConnecting) {
  // default_transaction_read_only makes the server look like a standby to a
  // session, as target_session_attrs=read-write sees one.
  const std::string url = schema_->url() + "%20-c%20default_transaction_read_only%3Don";
  auto db = PostgresDatabase::Open(url, OpenOptions{.url = url});
  ASSERT_EQ(CodeOf(db), ErrorCode::kUnavailable);
  EXPECT_THAT(db.error().message, HasSubstr("只读"));
}

TEST_F(PostgresDatabaseTest, AWriteRefusedAsReadOnlyAnswersUnavailableAndReconnects) {
  // A server that turned read-only under an open writer connection (a
  // demoted primary): the Write is not retried, its connection is dropped,
  // and the next Write connects afresh.
  ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE t (id BIGINT)"));
    return Ok();
  })));
  const std::int64_t made = db_->connections_made();
  const std::int64_t pid = BackendPid(/*writer=*/true);
  int runs = 0;
  Status refused = db_->Write([&runs](Conn& conn) -> Status {
    ++runs;
    TRY(conn.Exec("SET LOCAL transaction_read_only = on"));
    TRY(conn.Exec("INSERT INTO t (id) VALUES (1)"));
    return Ok();
  });
  EXPECT_EQ(CodeOf(refused), ErrorCode::kUnavailable);
  EXPECT_EQ(runs, 1);
  ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("INSERT INTO t (id) VALUES (2)"));
    return Ok();
  })));
  EXPECT_EQ(db_->connections_made(), made + 1);
  EXPECT_NE(BackendPid(/*writer=*/true), pid);
  std::vector<Row> rows;
  ASSERT_TRUE(IsOk(db_->Read([&rows](Conn& conn) -> Status {
    rows = TRY(conn.Query("SELECT id FROM t"));
    return Ok();
  })));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Int(0), 2);
}

// Group commit (OpenOptions::group_commit_max_batch), as the SQLite tests
// check it: the counters say how many transactions the writes took.
class PostgresGroupCommitTest : public PostgresDatabaseTest {
 protected:
  using WriteFn = std::function<Status(Conn&)>;

  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
      TRY(
          conn.Exec("CREATE TABLE items (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                    "name TEXT NOT NULL CONSTRAINT items_name_unique UNIQUE)"));
      return Ok();
    })));
  }

  std::unique_ptr<PostgresDatabase> OpenWithBatch(int max_batch) {
    OpenOptions options{.url = schema_->url(), .group_commit_max_batch = max_batch};
    auto opened = PostgresDatabase::Open(schema_->url(), options);
    EXPECT_TRUE(IsOk(opened));
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  static WriteFn Insert(std::string name) {
    return [name = std::move(name)](Conn& conn) -> Status {
      TRY(conn.Exec("INSERT INTO items (name) VALUES (?)", std::vector<Value>{name}));
      return Ok();
    };
  }

  // Runs calls (each makes one Write of db_) as one batch, in order: a first
  // Write (inserting "leader") holds the writer until every call's Write has
  // queued behind it, each started only once the one before is queued.
  // Returns the status of each call.
  std::vector<Status> RunCallsAsOneBatch(const std::vector<std::function<Status()>>& calls) {
    PostgresDatabase& db = *db_;
    const std::size_t total = calls.size() + 1;
    std::vector<Status> statuses(calls.size());
    Status leader_status;
    std::thread leader([&] {
      leader_status = db.Write([&](Conn& conn) -> Status {
        TRY(Insert("leader")(conn));
        while (db.queued_writes() < total) std::this_thread::yield();
        return Ok();
      });
    });
    while (db.queued_writes() < 1) std::this_thread::yield();
    std::vector<std::thread> followers;
    for (std::size_t i = 0; i < calls.size(); ++i) {
      followers.emplace_back([&, i] { statuses[i] = calls[i](); });
      if (i + 1 == calls.size()) break;
      while (db.queued_writes() < i + 2) std::this_thread::yield();
    }
    leader.join();
    for (auto& follower : followers) follower.join();
    EXPECT_TRUE(IsOk(leader_status));
    return statuses;
  }

  std::vector<Status> RunAsOneBatch(const std::vector<WriteFn>& fns) {
    std::vector<std::function<Status()>> calls;
    for (const WriteFn& fn : fns) {
      calls.push_back([this, &fn] { return db_->Write(fn); });
    }
    return RunCallsAsOneBatch(calls);
  }

  std::set<std::string> Names() {
    std::set<std::string> names;
    EXPECT_TRUE(IsOk(db_->Read([&names](Conn& conn) -> Status {
      names.clear();
      std::vector<Row> rows = TRY(conn.Query("SELECT name FROM items"));
      for (const Row& row : rows) names.insert(row.Text(0));
      return Ok();
    })));
    return names;
  }

  std::int64_t Transactions() const { return db_->write_counters().transactions; }
};

TEST_F(PostgresGroupCommitTest, GroupCommitIsOnByDefaultAndABoundBelowOneMeansOff) {
  EXPECT_EQ(db_->max_batch(), 256);
  auto zero = OpenWithBatch(0);
  ASSERT_NE(zero, nullptr);
  EXPECT_EQ(zero->max_batch(), 1);
}

TEST_F(PostgresGroupCommitTest, EightThreadsOfWritesAllLandAndEachCallerSeesItsOwnResult) {
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 40;
  const PostgresDatabase::WriteCounters before = db_->write_counters();
  std::vector<int> mistakes(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &mistakes] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string name = std::to_string(t) + ":" + std::to_string(i);
        const bool refuse = i % 5 == 4;
        std::int64_t id = 0;
        Status status = db_->Write([&](Conn& conn) -> Status {
          std::optional<Row> row = TRY(conn.QueryOne(
              "INSERT INTO items (name) VALUES (?) RETURNING id", std::vector<Value>{name}));
          id = row->Int(0);
          if (refuse) return core::InvalidArgument("refused " + name, name);
          return Ok();
        });
        if (refuse) {
          if (status.ok() || status.error().message != "refused " + name ||
              status.error().field != name) {
            ++mistakes[t];
          }
          continue;
        }
        if (!status.ok()) {
          ++mistakes[t];
          continue;
        }
        // Visible to a reader as soon as Write has returned.
        std::string stored;
        Status read = db_->Read([&](Conn& conn) -> Status {
          std::optional<Row> row =
              TRY(conn.QueryOne("SELECT name FROM items WHERE id = ?", std::vector<Value>{id}));
          if (row) stored = row->Text(0);
          return Ok();
        });
        if (!read.ok() || stored != name) ++mistakes[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mistakes[t], 0) << "thread " << t;
  std::set<std::string> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kWritesPerThread; ++i) {
      if (i % 5 != 4) expected.insert(std::to_string(t) + ":" + std::to_string(i));
    }
  }
  EXPECT_EQ(Names(), expected);
  const PostgresDatabase::WriteCounters after = db_->write_counters();
  EXPECT_EQ(after.writes - before.writes, kThreads * kWritesPerThread);
  EXPECT_LE(after.transactions - before.transactions, after.writes - before.writes);
  EXPECT_EQ(db_->queued_writes(), 0u);
}

TEST_F(PostgresGroupCommitTest, QueuedWritesShareOneTransaction) {
  const std::int64_t before = Transactions();
  std::vector<Status> statuses = RunAsOneBatch({Insert("a"), Insert("b"), Insert("c")});
  for (const Status& status : statuses) EXPECT_TRUE(IsOk(status));
  // The leader's own transaction, then one for the three queued behind it.
  EXPECT_EQ(Transactions() - before, 2);
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "b", "c"}));
}

TEST_F(PostgresGroupCommitTest, WriteQueuedWhileABatchRunsJoinsThatBatch) {
  PostgresDatabase& db = *db_;
  const std::int64_t before = Transactions();
  std::atomic<bool> a_running{false};
  Status leader_status, a_status, b_status, late_status;
  // The leader runs alone until "a" and "b" are queued; "a" then leads a
  // batch, and "late" queues while a's callback runs.
  std::thread leader([&] {
    leader_status = db.Write([&](Conn& conn) -> Status {
      TRY(Insert("leader")(conn));
      while (db.queued_writes() < 3) std::this_thread::yield();  // leader, a, b
      return Ok();
    });
  });
  while (db.queued_writes() < 1) std::this_thread::yield();
  std::thread a([&] {
    a_status = db.Write([&](Conn& conn) -> Status {
      TRY(Insert("a")(conn));
      a_running = true;
      while (db.queued_writes() < 3) std::this_thread::yield();  // a, b, late
      return Ok();
    });
  });
  while (db.queued_writes() < 2) std::this_thread::yield();
  std::thread b([&] { b_status = db.Write(Insert("b")); });
  while (!a_running) std::this_thread::yield();
  std::thread late([&] { late_status = db.Write(Insert("late")); });
  for (std::thread* t : {&leader, &a, &b, &late}) t->join();
  for (const Status* status : {&leader_status, &a_status, &b_status, &late_status}) {
    EXPECT_TRUE(IsOk(*status));
  }
  EXPECT_EQ(Transactions() - before, 2);
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "b", "late"}));
}

TEST_F(PostgresGroupCommitTest,
       FailingCallbackInABatchLeavesTheOthersCommittedAndItsOwnRowsAbsent) {
  const std::int64_t before = Transactions();
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [](Conn& conn) -> Status {
        TRY(Insert("b1")(conn));
        TRY(Insert("b2")(conn));
        return core::NotFound("单位不存在");
      },
      Insert("c"),
  });
  EXPECT_EQ(Transactions() - before, 2);
  EXPECT_TRUE(IsOk(statuses[0]));
  ASSERT_EQ(CodeOf(statuses[1]), ErrorCode::kNotFound);
  EXPECT_EQ(statuses[1].error().message, "单位不存在");
  EXPECT_TRUE(IsOk(statuses[2]));
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "c"}));
}

TEST_F(PostgresGroupCommitTest, FailedStatementSpoilsOnlyItsOwnCallbackInABatch) {
  ASSERT_TRUE(IsOk(db_->Write(Insert("dup"))));
  Result<std::int64_t> after_failure = std::int64_t{0};
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [&after_failure](Conn& conn) -> Status {
        TRY(Insert("fresh")(conn));
        (void)conn.Exec("INSERT INTO items (name) VALUES ('dup')");
        after_failure = conn.Exec("INSERT INTO items (name) VALUES ('later')");
        return Ok();  // swallowing the failure does not commit
      },
      Insert("c"),
  });
  EXPECT_EQ(CodeOf(after_failure), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(IsOk(statuses[0]));
  ASSERT_EQ(CodeOf(statuses[1]), ErrorCode::kAlreadyExists);
  EXPECT_THAT(statuses[1].error().message, HasSubstr("items_name_unique"));
  EXPECT_TRUE(IsOk(statuses[2]));
  EXPECT_EQ(Names(), (std::set<std::string>{"dup", "leader", "a", "c"}));
}

TEST_F(PostgresGroupCommitTest, ExceptionInABatchUndoesOnlyThatCallback) {
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [](Conn& conn) -> Status {
        TRY(Insert("b")(conn));
        throw std::runtime_error("boom");
      },
      Insert("c"),
  });
  EXPECT_TRUE(IsOk(statuses[0]));
  ASSERT_EQ(CodeOf(statuses[1]), ErrorCode::kInternal);
  EXPECT_THAT(statuses[1].error().message, HasSubstr("boom"));
  EXPECT_TRUE(IsOk(statuses[2]));
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "c"}));
}

TEST_F(PostgresGroupCommitTest, LaterCallbacksSeeTheChangesOfEarlierOnesInTheBatch) {
  std::int64_t seen = -1;
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [&seen](Conn& conn) -> Status {
        std::optional<Row> row = TRY(conn.QueryOne("SELECT COUNT(*) FROM items"));
        seen = row->Int(0);
        return Ok();
      },
  });
  EXPECT_TRUE(IsOk(statuses[0]));
  EXPECT_TRUE(IsOk(statuses[1]));
  EXPECT_EQ(seen, 2) << "leader and a";
}

TEST_F(PostgresGroupCommitTest, UnresolvedDeferredForeignKeyFailsOnlyItsCallback) {
  ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE parents (id BIGINT PRIMARY KEY)"));
    TRY(
        conn.Exec("CREATE TABLE children (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                  "parent_id BIGINT NOT NULL REFERENCES parents (id) DEFERRABLE INITIALLY "
                  "DEFERRED)"));
    return Ok();
  })));
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [](Conn& conn) -> Status {
        TRY(Insert("orphan's owner")(conn));
        TRY(conn.Exec("INSERT INTO children (parent_id) VALUES (42)"));
        return Ok();
      },
      [](Conn& conn) -> Status {
        // Resolved before the callback ends: allowed, the check stays deferred.
        TRY(conn.Exec("INSERT INTO children (parent_id) VALUES (7)"));
        TRY(conn.Exec("INSERT INTO parents (id) VALUES (7)"));
        return Ok();
      },
  });
  EXPECT_TRUE(IsOk(statuses[0]));
  EXPECT_EQ(CodeOf(statuses[1]), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(IsOk(statuses[2]));
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a"}));
  std::int64_t children = -1;
  ASSERT_TRUE(IsOk(db_->Read([&children](Conn& conn) -> Status {
    std::optional<Row> row = TRY(conn.QueryOne("SELECT COUNT(*) FROM children"));
    children = row->Int(0);
    return Ok();
  })));
  EXPECT_EQ(children, 1);
}

TEST_F(PostgresGroupCommitTest, FailedCommitIsReportedToEveryCallerOfTheBatch) {
  // A deferred constraint trigger that passes the check made at the end of
  // its callback and refuses at the COMMIT (a sequence is not rolled back).
  ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE SEQUENCE firings"));
    TRY(conn.Exec("CREATE TABLE audited (id BIGINT)"));
    TRY(
        conn.Exec("CREATE FUNCTION refuse_second() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                  "IF nextval('firings') > 1 THEN RAISE EXCEPTION 'refused at commit'; END IF; "
                  "RETURN NULL; END $$"));
    TRY(
        conn.Exec("CREATE CONSTRAINT TRIGGER refuse_second AFTER INSERT ON audited DEFERRABLE "
                  "INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_second()"));
    return Ok();
  })));
  const std::int64_t before = Transactions();
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [](Conn& conn) -> Status {
        TRY(conn.Exec("INSERT INTO audited (id) VALUES (1)"));
        return Ok();
      },
      Insert("c"),
  });
  EXPECT_EQ(Transactions() - before, 2);
  for (const Status& status : statuses) {
    ASSERT_EQ(CodeOf(status), ErrorCode::kFailedPrecondition);
    EXPECT_THAT(status.error().message, HasSubstr("refused at commit"));
  }
  EXPECT_EQ(Names(), (std::set<std::string>{"leader"}));
  EXPECT_TRUE(IsOk(db_->Write(Insert("after")))) << "the writer is usable again";
}

TEST_F(PostgresGroupCommitTest, TransactionControlInACallbackIsRefusedAndTheOthersCommit) {
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [](Conn& conn) -> Status {
        TRY(Insert("b")(conn));
        TRY(conn.Exec("COMMIT"));
        return Ok();
      },
      [](Conn& conn) -> Status {
        TRY(conn.Exec("  rollback to lvyuan_write"));
        return Ok();
      },
      Insert("c"),
  });
  EXPECT_TRUE(IsOk(statuses[0]));
  ASSERT_EQ(CodeOf(statuses[1]), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(statuses[1].error().message, HasSubstr("COMMIT"));
  EXPECT_EQ(CodeOf(statuses[2]), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(IsOk(statuses[3]));
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "c"}));
}

TEST_F(PostgresGroupCommitTest, NestedWriteOrReadInsideABatchIsRefused) {
  Status inner_write;
  Status inner_read;
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [&](Conn& conn) -> Status {
        TRY(Insert("b")(conn));
        inner_write = db_->Write(Insert("inner"));
        inner_read = db_->Read([](Conn&) -> Status { return Ok(); });
        return Ok();
      },
  });
  EXPECT_TRUE(IsOk(statuses[0]));
  EXPECT_TRUE(IsOk(statuses[1]));
  ASSERT_EQ(CodeOf(inner_write), ErrorCode::kInternal);
  EXPECT_THAT(inner_write.error().message, HasSubstr("nested transaction"));
  EXPECT_EQ(CodeOf(inner_read), ErrorCode::kInternal);
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "b"}));
}

TEST_F(PostgresGroupCommitTest, LinkLostInABatchFailsTheHeldWritesAndTheRestReconnect) {
  const std::int64_t made = db_->connections_made();
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [](Conn& conn) -> Status {
        TRY(conn.Query("SELECT pg_terminate_backend(pg_backend_pid())"));
        return Ok();
      },
      Insert("c"),
  });
  EXPECT_EQ(CodeOf(statuses[0]), ErrorCode::kUnavailable) << "held for the lost commit";
  EXPECT_EQ(CodeOf(statuses[1]), ErrorCode::kUnavailable);
  EXPECT_TRUE(IsOk(statuses[2])) << "left to the next leader, on a new connection";
  EXPECT_EQ(db_->connections_made(), made + 1);
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "c"}));
}

TEST_F(PostgresGroupCommitTest, ServerTurningReadOnlyInABatchFailsItsWritesAsUnavailable) {
  const std::int64_t made = db_->connections_made();
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [](Conn& conn) -> Status {
        TRY(conn.Exec("SET LOCAL transaction_read_only = on"));
        TRY(Insert("b")(conn));
        return Ok();
      },
      Insert("c"),
  });
  ASSERT_EQ(CodeOf(statuses[0]), ErrorCode::kUnavailable);
  EXPECT_THAT(statuses[0].error().message, HasSubstr("只读"));
  EXPECT_EQ(CodeOf(statuses[1]), ErrorCode::kUnavailable);
  EXPECT_TRUE(IsOk(statuses[2]));
  EXPECT_EQ(db_->connections_made(), made + 1) << "the read-only connection was dropped";
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "c"}));
}

TEST_F(PostgresGroupCommitTest, BatchHoldsAtMostGroupCommitMaxBatchWrites) {
  db_ = OpenWithBatch(2);
  ASSERT_NE(db_, nullptr);
  EXPECT_EQ(db_->max_batch(), 2);
  const std::int64_t before = Transactions();
  std::vector<Status> statuses =
      RunAsOneBatch({Insert("a"), Insert("b"), Insert("c"), Insert("d"), Insert("e")});
  for (const Status& status : statuses) EXPECT_TRUE(IsOk(status));
  // The leader alone, then batches of 2, 2 and 1.
  EXPECT_EQ(Transactions() - before, 4);
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "b", "c", "d", "e"}));
}

TEST_F(PostgresGroupCommitTest, MaxBatchOfOneRunsOneTransactionPerWrite) {
  db_ = OpenWithBatch(1);
  ASSERT_NE(db_, nullptr);
  EXPECT_EQ(db_->max_batch(), 1);
  constexpr int kThreads = 4;
  constexpr int kWritesPerThread = 20;
  std::atomic<int> mistakes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string name = std::to_string(t) + ":" + std::to_string(i);
        Status status = db_->Write([&name, i](Conn& conn) -> Status {
          TRY(Insert(name)(conn));
          if (i % 4 == 3) return core::Aborted("refused");
          return Ok();
        });
        if (status.ok() == (i % 4 == 3)) ++mistakes;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mistakes.load(), 0);
  const PostgresDatabase::WriteCounters counters = db_->write_counters();
  EXPECT_EQ(counters.transactions, counters.writes);
  EXPECT_EQ(counters.writes, kThreads * kWritesPerThread);
  EXPECT_EQ(db_->queued_writes(), 0u);
  EXPECT_EQ(Names().size(), static_cast<std::size_t>(kThreads * kWritesPerThread * 3 / 4));
}

// What one subscriber heard.
class Inbox {
 public:
  void Add(const Notification& message) {
    std::lock_guard lock(mu_);
    messages_.push_back(message.payload);
    changed_.notify_all();
  }
  // True once payload arrived (a generous bound stops a broken test).
  bool WaitFor(const std::string& payload) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] {
      return std::find(messages_.begin(), messages_.end(), payload) != messages_.end();
    });
  }
  std::vector<std::string> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> messages_;
};

TEST_F(PostgresGroupCommitTest, NotificationsOfARolledBackCallbackAreDroppedAndTheOthersSent) {
  std::unique_ptr<Notifier> notifier = MakeNotifier(*db_, OpenOptions{.url = schema_->url()});
  for (int i = 0; i < 2000 && !notifier->Listening(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(notifier->Listening());
  Inbox inbox;
  Notifier::Subscription subscription =
      notifier->Subscribe("items", [&inbox](const Notification& message) { inbox.Add(message); });
  auto publish = [&](std::string name, bool fail) -> std::function<Status()> {
    return [&notifier, name = std::move(name), fail] {
      return notifier->Write([&](Conn& conn, Outbox& outbox) -> Status {
        TRY(Insert(name)(conn));
        TRY(outbox.Publish("items", name));
        if (fail) return core::Aborted("changed my mind");
        return Ok();
      });
    };
  };
  const std::int64_t before = Transactions();
  std::vector<Status> statuses =
      RunCallsAsOneBatch({publish("a", false), publish("b", true), publish("c", false)});
  EXPECT_EQ(Transactions() - before, 2);
  EXPECT_TRUE(IsOk(statuses[0]));
  EXPECT_EQ(CodeOf(statuses[1]), ErrorCode::kAborted);
  EXPECT_TRUE(IsOk(statuses[2]));
  // Messages arrive in commit order: once the later one is in, the batch's
  // would have been too.
  ASSERT_TRUE(IsOk(publish("marker", false)()));
  ASSERT_TRUE(inbox.WaitFor("marker"));
  EXPECT_EQ(inbox.messages(), (std::vector<std::string>{"a", "c", "marker"}));
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "c", "marker"}));
}

TEST(PostgresUrlTest, UserOfUrlReadsTheUserOfBothSyntaxes) {
  auto uri = UserOfUrl("postgresql://lvyuan_app@db.example:5432/lvyuan");
  ASSERT_TRUE(IsOk(uri));
  EXPECT_EQ(*uri, "lvyuan_app");
  auto keywords = UserOfUrl("host=db user=owner dbname=lvyuan");
  ASSERT_TRUE(IsOk(keywords));
  EXPECT_EQ(*keywords, "owner");
  auto none = UserOfUrl("postgresql://db.example/lvyuan");
  ASSERT_TRUE(IsOk(none));
  EXPECT_EQ(*none, "");
  EXPECT_EQ(CodeOf(UserOfUrl("postgresql://[broken")), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace lvyuan::store::postgres
