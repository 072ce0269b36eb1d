// Tamper tests of the offline verifier: a real record of 300 events with a
// signed checkpoint every 50, copied fresh for each test and altered through
// a raw SQLite connection that first drops the append-only triggers, as an
// attacker with access to the file could. Each alteration must be reported
// with its exact defect and first bad seq.
#include "record/verify.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <random>

#include "core/encoding.h"
#include "record/blob_store.h"
#include "record/canonical.h"
#include "record/checkpoint.h"
#include "record/log.h"
#include "store/accounts.h"
#include "store/evidence.h"
#include "store/test_support.h"

namespace lvyuan::record {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using store::testing::IsOk;
using store::testing::ScratchDirectory;

constexpr int kEvents = 300;
constexpr int kCheckpointEvery = 50;
constexpr std::int64_t kStart = 1764633600000;  // 2025-12-02T00:00:00Z
constexpr std::int64_t kFileEventSeq = 77;      // the event that enters the evidence file

EventInput EventNumber(int i) {
  EventInput in;
  if (i % 7 != 0) {
    in.actor.username = "officer_" + std::to_string(i % 5);
    in.actor.user_id = i % 5 + 1;
    in.actor.unit_id = i % 3 + 1;
  }
  in.action = i % 4 == 0 ? "unit.update" : "record.view";
  in.object_type = "unit";
  in.object_id = std::to_string(1000 + i);
  in.outcome = i % 11 == 0 ? "denied" : "ok";
  in.changes = {
      {"contact_phone", json::object{{"before", ""}, {"after", "0572-" + std::to_string(i)}}},
      {"name", json::object{{"before", "湖州市生态环境局"},
                            {"after", "湖州市生态环境局 " + std::to_string(i)}}}};
  in.detail = {{"note", "巡查记录 \"" + std::to_string(i) + "\"\n第二行"}, {"count", i}};
  in.client_ip = "10.0.0." + std::to_string(i % 250);
  in.request_id = "req-" + std::to_string(i);
  return in;
}

// The golden deployment, built once per test run: a migrated database with
// 300 events, a checkpoint after every 50, and one evidence file entered by
// event 77. Tests work on copies.
class Golden {
 public:
  static const Golden& Get() {
    static const Golden* golden = new Golden();  // lives for the whole run
    return *golden;
  }
  const fs::path& dir() const { return dir_; }
  const std::string& file_sm3() const { return file_sm3_; }
  const Hash& root() const { return root_; }
  bool built() const { return built_; }

 private:
  Golden() {
    dir_ = fs::path(::testing::TempDir()) / ("lvyuan_verify_golden_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    built_ = Build().ok();
  }

  core::Status Build() {
    core::FakeClock clock(kStart);
    auto db = TRY(store::Open({.url = (dir_ / "lvyuan.db").string()}));
    TRY(db->Migrate());
    auto log = TRY(Log::Open(*db, clock, HashAlgorithm::kSm3));
    auto key =
        TRY(EnsureSigningKey(*db, dir_ / "record-key.pem", crypto::SignatureAlgorithm::kSm2));

    BlobStore blobs(dir_ / "files");
    auto writer = TRY(blobs.Begin("evidence-1"));
    const std::string content = "%PDF-1.7\n现场检查笔录\n" + std::string(5000, 'x');
    TRY(writer.Write(core::AsBytes(content)));
    const BlobInfo info = TRY(writer.Commit());
    file_sm3_ = info.sm3_hex;

    for (int block = 0; block < kEvents / kCheckpointEvery; ++block) {
      TRY(db->Write([&](store::Conn& conn) -> core::Status {
        for (int j = 1; j <= kCheckpointEvery; ++j) {
          const int i = block * kCheckpointEvery + j;
          clock.Advance(1234);
          EventInput in = EventNumber(i);
          if (i == kFileEventSeq) {
            in.action = "evidence.upload";
            in.files = {json::object{{"sm3", info.sm3_hex},
                                     {"sha256", info.sha256_hex},
                                     {"size", info.size},
                                     {"name", "笔录.pdf"}}};
          }
          const store::EventRecord e = TRY(log->Append(conn, in));
          if (i == kFileEventSeq) TRY(AddEvidence(conn, info, e.seq));
        }
        return core::Ok();
      }));
      clock.Advance(500);
      TRY(MakeCheckpoint(*db, *log, key, clock));
    }
    TRY(db->Read([&](store::Conn& conn) -> core::Status {
      root_ = TRY(log->Head(conn)).root;
      return core::Ok();
    }));
    return core::Ok();
  }

  static core::Status AddEvidence(store::Conn& conn, const BlobInfo& info, std::int64_t seq) {
    const std::int64_t unit_id = TRY(store::InsertUnit(conn, {.name = "湖州市生态环境局",
                                                              .type = "ecology_environment",
                                                              .region_code = "330500",
                                                              .created_at = kStart,
                                                              .updated_at = kStart}));
    TRY(store::InsertFileIfAbsent(conn, {.sm3 = info.sm3_hex,
                                         .sha256 = info.sha256_hex,
                                         .size = static_cast<std::int64_t>(info.size),
                                         .media_type = info.media_type,
                                         .stored_at = kStart}));
    return store::InsertEvidence(conn, {.id = 1,
                                        .sm3 = info.sm3_hex,
                                        .filename = "笔录.pdf",
                                        .source = "on_site_capture",
                                        .captured_at = kStart,
                                        .captured_by = "officer_1",
                                        .unit_id = unit_id,
                                        .uploaded_at = kStart,
                                        .event_seq = seq});
  }

  fs::path dir_;
  std::string file_sm3_;
  Hash root_{};
  bool built_ = false;
};

// A raw connection to a copy of the golden database, without the triggers
// that keep the record append-only.
class Attacker {
 public:
  explicit Attacker(const fs::path& db_file) {
    EXPECT_EQ(sqlite3_open(db_file.c_str(), &db_), SQLITE_OK);
    for (const char* table :
         {"record_events", "record_nodes", "record_checkpoints", "record_files"}) {
      Exec(std::string("DROP TRIGGER IF EXISTS ") + table + "_no_update");
      Exec(std::string("DROP TRIGGER IF EXISTS ") + table + "_no_delete");
    }
    Exec("PRAGMA foreign_keys=OFF");
  }
  ~Attacker() { sqlite3_close(db_); }
  Attacker(const Attacker&) = delete;
  Attacker& operator=(const Attacker&) = delete;

  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
  }
  // Sets a BLOB column of the rows matching `where`.
  void SetBlob(const std::string& table, const std::string& column, const std::string& where,
               const Hash& value) {
    sqlite3_stmt* stmt = nullptr;
    const std::string sql = "UPDATE " + table + " SET " + column + " = ? WHERE " + where;
    ASSERT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    sqlite3_bind_blob(stmt, 1, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
  }
  // Flips the lowest bit of the first byte of a BLOB column.
  void FlipFirstByte(const std::string& table, const std::string& column,
                     const std::string& where) {
    Exec("UPDATE " + table + " SET " + column + " = CASE WHEN substr(" + column +
         ", 1, 1) = X'00' THEN X'01' ELSE X'00' END || substr(" + column + ", 2) WHERE " + where);
  }

 private:
  sqlite3* db_ = nullptr;
};

// Removes the golden deployment after the last test.
class GoldenCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(
        fs::path(::testing::TempDir()) / ("lvyuan_verify_golden_" + std::to_string(::getpid())),
        ignored);
  }
};
[[maybe_unused]] ::testing::Environment* const kGoldenCleanup =
    ::testing::AddGlobalTestEnvironment(new GoldenCleanup);  // gtest owns it

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Golden& golden = Golden::Get();
    ASSERT_TRUE(golden.built());
    fs::copy(golden.dir(), dir_.path(), fs::copy_options::recursive);
  }

  fs::path db_file() const { return dir_.path() / "lvyuan.db"; }
  fs::path files_root() const { return dir_.path() / "files"; }

  VerifyReport Verify(int batch_size = 64) {
    auto db = store::Open({.url = db_file().string()});
    EXPECT_TRUE(IsOk(db));
    if (!db.ok()) return {};
    auto report = VerifyRecord(**db, {.batch_size = batch_size, .files_root = files_root()});
    EXPECT_TRUE(IsOk(report));
    return report.ok() ? *report : VerifyReport{};
  }

  // Verifies, expecting `defect` with first bad seq `seq`.
  VerifyProblem ExpectDefect(Defect defect, std::int64_t seq) {
    VerifyReport report = Verify();
    EXPECT_FALSE(report.ok());
    if (report.ok()) return {};
    EXPECT_EQ(DefectCode(report.problem->defect), DefectCode(defect)) << report.problem->message;
    EXPECT_EQ(report.problem->first_bad_seq, seq) << report.problem->message;
    EXPECT_FALSE(report.problem->message.empty());
    return *report.problem;
  }

  store::EventRecord ReadEvent(std::int64_t seq) {
    auto db = std::move(store::Open({.url = db_file().string()}).value());
    store::EventRecord e;
    EXPECT_TRUE(IsOk(db->Read([&](store::Conn& conn) -> core::Status {
      e = TRY(store::FindEvent(conn, seq)).value();
      return core::Ok();
    })));
    return e;
  }

  // Replaces event `seq` by `e` (same seq), with a leaf hash that matches it.
  void ReplaceWithConsistentEvent(store::EventRecord e) {
    const std::string canonical = CanonicalEvent(e).value();
    const Hash leaf = LeafHash(HashAlgorithm::kSm3, core::AsBytes(canonical));
    e.leaf_hash.assign(leaf.begin(), leaf.end());
    {
      Attacker attacker(db_file());
      attacker.Exec("DELETE FROM record_events WHERE seq = " + std::to_string(e.seq));
    }
    auto db = std::move(store::Open({.url = db_file().string()}).value());
    ASSERT_TRUE(IsOk(db->Write([&](store::Conn& conn) { return store::AppendEvent(conn, e); })));
  }

  ScratchDirectory dir_;
};

TEST_F(VerifyTest, UntouchedRecordVerifiesWithEveryCount) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  auto db = std::move(store::Open({.url = db_file().string()}).value());
  auto report = VerifyRecord(
      *db, {.batch_size = 64, .files_root = files_root()},
      [&](std::uint64_t done, std::uint64_t total) { progress.emplace_back(done, total); });
  ASSERT_TRUE(IsOk(report));
  EXPECT_TRUE(report->ok()) << report->problem->message;
  EXPECT_EQ(report->tree_size, 300U);
  EXPECT_EQ(report->events_checked, 300U);
  EXPECT_EQ(report->checkpoints_checked, 6U);
  EXPECT_EQ(report->files_checked, 1U);
  EXPECT_EQ(report->unsigned_events, 0U);
  EXPECT_EQ(report->root, Golden::Get().root());
  EXPECT_GT(report->event_bytes, 300U * 200U);
  EXPECT_GT(report->file_bytes, 5000U);
  // Every perfect subtree of 2 or more of the 300 leaves: the sum of 300 >> l.
  EXPECT_EQ(report->nodes_checked, 150U + 75U + 37U + 18U + 9U + 4U + 2U + 1U);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(std::uint64_t{300}, std::uint64_t{300}));
  EXPECT_GE(progress.size(), 5U);  // one per batch of 64
}

TEST_F(VerifyTest, BatchSizeDoesNotChangeTheResult) {
  for (int batch : {1, 7, 50, 8192}) {
    VerifyReport report = Verify(batch);
    EXPECT_TRUE(report.ok()) << batch;
    EXPECT_EQ(report.root, Golden::Get().root()) << batch;
    EXPECT_EQ(report.checkpoints_checked, 6U) << batch;
  }
}

TEST_F(VerifyTest, BatchSizeDoesNotChangeTheReportOfATamperedEvent) {
  // Batches of every size split the leaves differently between the two
  // hashing threads; the first bad event named must not depend on it.
  Attacker(db_file()).FlipFirstByte("record_events", "leaf_hash", "seq = 201");
  for (int batch : {1, 3, 64, 65, 199, 200, 201, 8192}) {
    VerifyReport report = Verify(batch);
    ASSERT_FALSE(report.ok()) << batch;
    EXPECT_EQ(DefectCode(report.problem->defect), DefectCode(Defect::kLeafMismatch)) << batch;
    EXPECT_EQ(report.problem->first_bad_seq, 201) << batch;
    EXPECT_EQ(report.events_checked, 200U) << batch;
  }
}

TEST_F(VerifyTest, LeafHashOfTheWrongLengthNamesThatEvent) {
  Attacker(db_file()).Exec(
      "UPDATE record_events SET leaf_hash = substr(leaf_hash, 1, 31) WHERE seq = 77");
  ExpectDefect(Defect::kLeafMismatch, 77);
}

TEST_F(VerifyTest, NodeHashOfTheWrongLengthIsReportedAsAMismatch) {
  Attacker(db_file()).Exec(
      "UPDATE record_nodes SET hash = hash || X'00' WHERE level = 2 AND idx = 10");
  VerifyProblem p = ExpectDefect(Defect::kNodeMismatch, 41);
  EXPECT_EQ(p.node_level, 2);
  EXPECT_EQ(p.node_index, 10);
}

TEST_F(VerifyTest, OneChangedByteInAnEventColumnNamesThatEvent) {
  Attacker(db_file()).Exec(
      "UPDATE record_events SET object_id = '2' || substr(object_id, 2) WHERE seq = 137");
  ExpectDefect(Defect::kLeafMismatch, 137);
}

TEST_F(VerifyTest, OneChangedByteInTheDetailTextNamesThatEvent) {
  Attacker(db_file()).Exec(
      "UPDATE record_events SET detail = replace(detail, '巡查', '检查') WHERE seq = 138");
  ExpectDefect(Defect::kLeafMismatch, 138);
}

TEST_F(VerifyTest, NonCanonicalJsonColumnIsRefused) {
  Attacker(db_file()).Exec(
      "UPDATE record_events SET changes = replace(changes, '\":{', '\": {') WHERE seq = 139");
  ExpectDefect(Defect::kNotCanonical, 139);
}

TEST_F(VerifyTest, ChangedLeafHashNamesThatEvent) {
  Attacker(db_file()).FlipFirstByte("record_events", "leaf_hash", "seq = 200");
  ExpectDefect(Defect::kLeafMismatch, 200);
}

TEST_F(VerifyTest, ChangedTimeNamesThatEvent) {
  Attacker(db_file()).Exec("UPDATE record_events SET at = at + 1 WHERE seq = 12");
  ExpectDefect(Defect::kLeafMismatch, 12);
}

TEST_F(VerifyTest, DeletedEventIsReportedAsAGapAtItsSeq) {
  Attacker(db_file()).Exec("DELETE FROM record_events WHERE seq = 120");
  ExpectDefect(Defect::kSeqGap, 120);
}

TEST_F(VerifyTest, DeletedFirstEventIsReportedAsAGapAtOne) {
  Attacker(db_file()).Exec("DELETE FROM record_events WHERE seq = 1");
  ExpectDefect(Defect::kSeqGap, 1);
}

TEST_F(VerifyTest, EventWithSeqZeroIsRefused) {
  Attacker(db_file()).Exec(
      "INSERT INTO record_events SELECT 0, at, actor_user_id, actor_username, actor_unit_id, "
      "action, object_type, object_id, outcome, changes, files, client_ip, request_id, detail, "
      "leaf_hash FROM record_events WHERE seq = 5");
  ExpectDefect(Defect::kSeqGap, 0);
}

TEST_F(VerifyTest, CopiedEventAppendedBeyondTheCheckpointNamesTheCopy) {
  Attacker(db_file()).Exec(
      "INSERT INTO record_events SELECT 301, at, actor_user_id, actor_username, actor_unit_id, "
      "action, object_type, object_id, outcome, changes, files, client_ip, request_id, detail, "
      "leaf_hash FROM record_events WHERE seq = 120");
  ExpectDefect(Defect::kLeafMismatch, 301);
}

TEST_F(VerifyTest, FabricatedConsistentEventIsCaughtByTheCheckpointCoveringIt) {
  store::EventRecord e = ReadEvent(163);
  e.object_id = "9999";
  e.changes = R"({"name":{"after":"伪造","before":""}})";
  ReplaceWithConsistentEvent(e);
  VerifyProblem p = ExpectDefect(Defect::kCheckpointRootMismatch, 200);
  EXPECT_EQ(p.checkpoint_size, 200);
  EXPECT_EQ(p.range_from, 150);
  EXPECT_EQ(p.range_to, 200);
  EXPECT_NE(p.message.find("163"), std::string::npos) << p.message;
}

TEST_F(VerifyTest, FabricatedEventsAppendedWithoutTheirNodeAreCaught) {
  for (std::int64_t seq : {301, 302}) {
    store::EventRecord e = ReadEvent(seq - 100);
    e.seq = seq;
    const std::string canonical = CanonicalEvent(e).value();
    const Hash leaf = LeafHash(HashAlgorithm::kSm3, core::AsBytes(canonical));
    e.leaf_hash.assign(leaf.begin(), leaf.end());
    auto db = std::move(store::Open({.url = db_file().string()}).value());
    ASSERT_TRUE(IsOk(db->Write([&](store::Conn& conn) { return store::AppendEvent(conn, e); })));
  }
  VerifyProblem p = ExpectDefect(Defect::kNodeMissing, 301);
  EXPECT_EQ(p.node_level, 1);
  EXPECT_EQ(p.node_index, 150);
}

// What the events alone cannot show: one well-formed event after the newest
// checkpoint is what an honest append looks like until the next checkpoint
// signs it. The report counts it as not yet signed.
TEST_F(VerifyTest, EventAfterTheNewestCheckpointIsCountedAsUnsigned) {
  store::EventRecord e = ReadEvent(200);
  e.seq = 301;
  const std::string canonical = CanonicalEvent(e).value();
  const Hash leaf = LeafHash(HashAlgorithm::kSm3, core::AsBytes(canonical));
  e.leaf_hash.assign(leaf.begin(), leaf.end());
  {
    auto db = std::move(store::Open({.url = db_file().string()}).value());
    ASSERT_TRUE(IsOk(db->Write([&](store::Conn& conn) { return store::AppendEvent(conn, e); })));
  }
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.unsigned_events, 1U);
  EXPECT_EQ(report.checkpoints_checked, 6U);
}

TEST_F(VerifyTest, SwappedEventsNameTheEarlierOne) {
  Attacker attacker(db_file());
  attacker.Exec("UPDATE record_events SET seq = -210 WHERE seq = 210");
  attacker.Exec("UPDATE record_events SET seq = 210 WHERE seq = 230");
  attacker.Exec("UPDATE record_events SET seq = 230 WHERE seq = -210");
  ExpectDefect(Defect::kLeafMismatch, 210);
}

TEST_F(VerifyTest, SwappedContentsWithRecomputedHashesAreCaughtByTheCheckpoint) {
  store::EventRecord a = ReadEvent(210);
  store::EventRecord b = ReadEvent(211);
  std::swap(a.seq, b.seq);
  ReplaceWithConsistentEvent(b);  // now seq 210
  ReplaceWithConsistentEvent(a);  // now seq 211
  VerifyProblem p = ExpectDefect(Defect::kCheckpointRootMismatch, 250);
  EXPECT_EQ(p.range_from, 200);
}

TEST_F(VerifyTest, TruncatedTailBehindACheckpointIsReported) {
  Attacker(db_file()).Exec("DELETE FROM record_events WHERE seq > 270");
  VerifyProblem p = ExpectDefect(Defect::kTruncated, 271);
  EXPECT_EQ(p.checkpoint_size, 300);
  EXPECT_EQ(p.range_from, 270);
  EXPECT_EQ(p.range_to, 300);
}

TEST_F(VerifyTest, ReplacedNodeHashIsReportedAsTheNodeWithIntactEvents) {
  Attacker(db_file()).FlipFirstByte("record_nodes", "hash", "level = 3 AND idx = 5");
  VerifyProblem p = ExpectDefect(Defect::kNodeMismatch, 41);
  EXPECT_EQ(p.node_level, 3);
  EXPECT_EQ(p.node_index, 5);
  EXPECT_EQ(p.range_to, 48);
}

TEST_F(VerifyTest, DeletedNodeIsReportedMissing) {
  Attacker(db_file()).Exec("DELETE FROM record_nodes WHERE level = 1 AND idx = 100");
  VerifyProblem p = ExpectDefect(Defect::kNodeMissing, 201);
  EXPECT_EQ(p.node_level, 1);
}

TEST_F(VerifyTest, NodeOutsideTheTreeIsReported) {
  Attacker(db_file()).Exec(
      "INSERT INTO record_nodes SELECT 2, 75, hash FROM record_nodes WHERE level = 2 AND idx = 0");
  VerifyProblem p = ExpectDefect(Defect::kNodeUnexpected, 301);
  EXPECT_EQ(p.node_level, 2);
  EXPECT_EQ(p.node_index, 75);
}

TEST_F(VerifyTest, ForgedCheckpointRootFailsItsSignature) {
  Attacker(db_file()).FlipFirstByte("record_checkpoints", "root", "size = 100");
  VerifyProblem p = ExpectDefect(Defect::kCheckpointSignature, 100);
  EXPECT_EQ(p.range_from, 50);
  EXPECT_EQ(p.range_to, 100);
}

TEST_F(VerifyTest, ForgedCheckpointBodyAndRootFailItsSignature) {
  // The attacker restates the checkpoint for another root, body and all.
  store::CheckpointRecord c;
  {
    auto db = std::move(store::Open({.url = db_file().string()}).value());
    ASSERT_TRUE(IsOk(db->Read([&](store::Conn& conn) -> core::Status {
      c = TRY(store::FindCheckpoint(conn, 150)).value();
      return core::Ok();
    })));
  }
  CheckpointBody body = ParseCheckpointBody(c.body).value();
  body.root[0] ^= 1;
  Attacker attacker(db_file());
  attacker.SetBlob("record_checkpoints", "root", "size = 150", body.root);
  attacker.Exec("UPDATE record_checkpoints SET body = '" + FormatCheckpointBody(body) +
                "' WHERE size = 150");
  VerifyProblem p = ExpectDefect(Defect::kCheckpointSignature, 150);
  EXPECT_EQ(p.range_from, 100);
}

TEST_F(VerifyTest, MissingPublicKeyMakesCheckpointsUnverifiable) {
  Attacker(db_file()).Exec("DELETE FROM settings WHERE key = 'record.public_key'");
  ExpectDefect(Defect::kCheckpointSignature, 50);
}

TEST_F(VerifyTest, ChangedFileContentNamesTheFileAndItsEvent) {
  auto path = BlobStore(files_root()).PathOf(Golden::Get().file_sm3());
  ASSERT_TRUE(IsOk(path));
  fs::permissions(*path, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream f(*path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('y');
  }
  VerifyProblem p = ExpectDefect(Defect::kFileMismatch, kFileEventSeq);
  EXPECT_EQ(p.file_sm3, Golden::Get().file_sm3());
}

TEST_F(VerifyTest, ChangedFileDigestInTheDatabaseIsReported) {
  Attacker(db_file()).Exec(
      "UPDATE record_files SET sha256 = replace(sha256, substr(sha256, 1, 1), "
      "CASE WHEN substr(sha256, 1, 1) = '0' THEN '1' ELSE '0' END)");
  ExpectDefect(Defect::kFileMismatch, kFileEventSeq);
}

TEST_F(VerifyTest, DeletedFileIsReportedMissing) {
  auto path = BlobStore(files_root()).PathOf(Golden::Get().file_sm3());
  ASSERT_TRUE(IsOk(path));
  fs::remove(*path);
  ExpectDefect(Defect::kFileMissing, kFileEventSeq);
}

TEST_F(VerifyTest, FilesAreNotCheckedWithoutAFilesRoot) {
  auto db = std::move(store::Open({.url = db_file().string()}).value());
  auto report = VerifyRecord(*db, {});
  ASSERT_TRUE(IsOk(report));
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->files_checked, 0U);
}

TEST(VerifyEmptyTest, EmptyRecordVerifies) {
  ScratchDirectory dir;
  auto db = std::move(store::Open({.url = (dir.path() / "lvyuan.db").string()}).value());
  ASSERT_TRUE(IsOk(db->Migrate()));
  auto report = VerifyRecord(*db, {});
  ASSERT_TRUE(IsOk(report));
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->events_checked, 0U);
  EXPECT_EQ(report->root, EmptyRoot(HashAlgorithm::kSm3));
}

TEST(VerifyClockTest, CheckpointOlderThanThePreviousIsReported) {
  ScratchDirectory dir;
  core::FakeClock clock(kStart);
  auto db = std::move(store::Open({.url = (dir.path() / "lvyuan.db").string()}).value());
  ASSERT_TRUE(IsOk(db->Migrate()));
  auto log = std::move(Log::Open(*db, clock, HashAlgorithm::kSha256).value());
  auto key = EnsureSigningKey(*db, dir.path() / "key.pem", crypto::SignatureAlgorithm::kEd25519);
  ASSERT_TRUE(IsOk(key));
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(IsOk(db->Write([&](store::Conn& conn) -> core::Status {
      for (int i = 0; i < 5; ++i) TRY(log->Append(conn, EventNumber(i)));
      return core::Ok();
    })));
    ASSERT_TRUE(IsOk(MakeCheckpoint(*db, *log, *key, clock)));
    clock.Advance(-60'000);  // the clock is set back before the second checkpoint
  }
  auto report = VerifyRecord(*db, {});
  ASSERT_TRUE(IsOk(report));
  ASSERT_FALSE(report->ok());
  EXPECT_EQ(DefectCode(report->problem->defect), "checkpoint_time");
  EXPECT_EQ(report->problem->first_bad_seq, 10);
  EXPECT_EQ(report->checkpoints_checked, 1U);
}

// ---- The canonical fast path agrees with CanonicalEvent ---------------------

TEST(FastCanonicalTest, SameBytesAsCanonicalEventForVariedEvents) {
  std::vector<store::EventRecord> events;
  for (int i = 0; i < 40; ++i) {
    store::EventRecord e;
    e.seq = i + 1;
    e.at = kStart + i * 86'399'997LL - (i == 3 ? 2'000'000'000'000LL : 0);  // one before 1970
    if (i % 3 != 0) e.actor_user_id = i * 1000003LL - 7;
    if (i % 2 == 0) e.actor_unit_id = -i;
    e.actor_username = i % 5 == 0 ? std::string("tab\there \"q\" \\ \x01\x1f\x7f") : "用户";
    e.action = "unit.update";
    e.object_type = std::string("ty\0pe", 5);
    e.object_id = "id/" + std::to_string(i) + "\xff";  // bytes are kept as they are
    e.outcome = "ok";
    e.changes = CanonicalJson(json::parse(R"({"z":[1,-2,18446744073709551615],"a":{"b":null,)"
                                          R"("c":true,"d":"\u0001\n\"é😀"}})"))
                    .value();
    e.files = i % 2 ? "[]" : R"([{"name":"a.pdf","sha256":"00","size":12,"sm3":"ff"}])";
    e.detail = i % 4 ? "{}" : R"({"\u0000k":"v","k":"w","k\n":-9223372036854775808})";
    e.client_ip = "::1";
    e.request_id = "r\r\n";
    events.push_back(e);
  }
  for (const auto& e : events) {
    std::string fast;
    ASSERT_TRUE(IsOk(AppendCanonicalEvent(e, fast)));
    EXPECT_EQ(fast, CanonicalEvent(e).value()) << e.seq;
  }
}

TEST(FastCanonicalTest, RefusesWhatCanonicalEventRefuses) {
  store::EventRecord e;
  e.seq = 1;
  e.action = "a";
  for (const char* bad : {"{ }", R"({"b":1,"a":2})", R"({"a":1.5})", R"({"a":"\u001F"})"}) {
    e.changes = bad;
    std::string fast;
    EXPECT_EQ(store::testing::CodeOf(AppendCanonicalEvent(e, fast)), core::ErrorCode::kDataLoss)
        << bad;
  }
}

TEST(FastCanonicalTest, OnePassCheckAcceptsOnlyWhatTheParserAccepts) {
  const std::vector<std::string> seeds = {
      "{}",
      "[]",
      R"({"a":{"after":"0572-1","before":""},"b":[1,2,{"c":null}]})",
      R"({"\u0000":1,"\u001f":"\b\f\n\r\t\"\\","z":-9223372036854775808,"é":"中文😀"})",
      R"([18446744073709551615,-1,0,true,false,null,"/"])",
  };
  for (const auto& s : seeds) {
    const auto kind = s[0] == '{' ? json::kind::object : json::kind::array;
    EXPECT_TRUE(IsPlainCanonicalJson(s, kind)) << s;
    EXPECT_TRUE(IsOk(ParseCanonical(s, kind, "t"))) << s;
  }
  const std::vector<std::string> refused = {
      "",
      "{",
      "{} ",
      " {}",
      R"({"a":1,"a":2})",
      R"({"b":1,"a":2})",
      R"({"a":01})",
      R"({"a":-0})",
      R"({"a":1e2})",
      R"({"a":1.0})",
      R"(["\/"])",
      R"(["\u0041"])",
      R"(["\u000a"])",
      R"(["\u001F"])",
      "[\"\x01\"]",
      "[\"\xc0\x80\"]",
      "[\"\xed\xa0\x80\"]",
      "[\"\xf4\x90\x80\x80\"]",
      "[18446744073709551616]",
      "[-9223372036854775809]",
      "[tru]",
      "[1,]",
      "{\"a\":1,}",
      "[]]",
  };
  for (const auto& s : refused) {
    EXPECT_FALSE(IsPlainCanonicalJson(s, json::kind::array) ||
                 IsPlainCanonicalJson(s, json::kind::object))
        << s;
    EXPECT_FALSE(ParseCanonical(s, json::kind::array, "t").ok() ||
                 ParseCanonical(s, json::kind::object, "t").ok())
        << s;
  }
  // Random single-byte changes of the seeds: whatever the one-pass check
  // accepts, the parser accepts too.
  std::mt19937 rng(20251202);
  const std::string alphabet = "{}[]\":,\\01-9eE.aunlt \x01\x7f\xc3\xa9\xed\xff";
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits && !s.empty(); ++k) {
      const std::size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          s.erase(at, 1);
          break;
        default:
          s.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    for (auto kind : {json::kind::object, json::kind::array}) {
      if (!IsPlainCanonicalJson(s, kind)) continue;
      ++accepted;
      EXPECT_TRUE(IsOk(ParseCanonical(s, kind, "t"))) << s;
    }
  }
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace lvyuan::record
