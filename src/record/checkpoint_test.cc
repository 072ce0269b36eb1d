#include "record/checkpoint.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "store/test_support.h"

namespace lvyuan::record {
namespace {

using store::testing::CodeOf;
using store::testing::IsOk;
using store::testing::ScratchDirectory;

class CheckpointTest : public ::testing::TestWithParam<crypto::SignatureAlgorithm> {
 protected:
  void SetUp() override {
    auto db = store::Open({.url = (dir_.path() / "lvyuan.db").string()});
    ASSERT_TRUE(IsOk(db));
    db_ = std::move(db).value();
    ASSERT_TRUE(IsOk(db_->Migrate()));
    log_ = std::move(Log::Open(*db_, clock_, HashAlgorithm::kSm3).value());
    auto key = EnsureSigningKey(*db_, key_file(), GetParam());
    ASSERT_TRUE(IsOk(key));
    key_ = std::make_unique<crypto::PrivateKey>(std::move(key).value());
  }

  std::filesystem::path key_file() const { return dir_.path() / "keys" / "record-key.pem"; }

  void Append(int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(IsOk(db_->Write([&](store::Conn& conn) -> core::Status {
        EventInput in;
        in.action = "test.event";
        in.object_id = std::to_string(i);
        TRY(log_->Append(conn, in));
        return core::Ok();
      })));
    }
  }

  store::CheckpointRecord Make() {
    auto c = MakeCheckpoint(*db_, *log_, *key_, clock_);
    EXPECT_TRUE(IsOk(c));
    EXPECT_TRUE(c.ok() && c->has_value());
    return c.ok() && *c ? **c : store::CheckpointRecord{};
  }

  ScratchDirectory dir_;
  core::FakeClock clock_{1764633600000};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Log> log_;
  std::unique_ptr<crypto::PrivateKey> key_;
};

TEST_P(CheckpointTest, SignedCheckpointVerifiesAndStatesTheTree) {
  Append(5);
  clock_.Advance(1234);
  store::CheckpointRecord c = Make();
  EXPECT_EQ(c.size, 5);
  const crypto::PublicKey pub = key_->Public();
  EXPECT_TRUE(IsOk(VerifyCheckpoint(c, pub, HashAlgorithm::kSm3)));
  auto body = ParseCheckpointBody(c.body);
  ASSERT_TRUE(IsOk(body));
  EXPECT_EQ(body->origin, "lvyuan/" + pub.KeyId());
  EXPECT_EQ(body->size, 5U);
  EXPECT_EQ(body->at_ms, 1764633601234);
  EXPECT_EQ(FormatCheckpointBody(*body), c.body);
  ASSERT_TRUE(IsOk(db_->Read([&](store::Conn& conn) -> core::Status {
    EXPECT_EQ(TRY(log_->Head(conn)).root, body->root);
    EXPECT_EQ(TRY(DeploymentPublicKey(conn)).KeyId(), pub.KeyId());
    return core::Ok();
  })));
  EXPECT_NE(c.body.find("\n5\n"), std::string::npos);
  EXPECT_NE(c.body.find("hash sm3\ntime 2025-12-02T00:00:01.234Z\n"), std::string::npos);
  const std::string note = SignedNote(c, body->origin);
  EXPECT_EQ(note.substr(0, c.body.size() + 1), c.body + "\n");
  EXPECT_NE(note.find("\u2014 lvyuan/" + pub.KeyId() + " "), std::string::npos);
}

TEST_P(CheckpointTest, AnyChangeToACheckpointIsDetected) {
  Append(3);
  const store::CheckpointRecord good = Make();
  const crypto::PublicKey pub = key_->Public();
  auto expect_bad = [&](store::CheckpointRecord c, const char* what) {
    auto s = VerifyCheckpoint(c, pub, HashAlgorithm::kSm3);
    EXPECT_EQ(CodeOf(s), core::ErrorCode::kDataLoss) << what;
  };
  store::CheckpointRecord c = good;
  c.signature[c.signature.size() / 2] ^= 1;
  expect_bad(c, "signature byte");
  c = good;
  c.root[0] ^= 1;
  expect_bad(c, "stored root");
  c = good;
  c.body.replace(c.body.find("\n3\n"), 3, "\n4\n");
  expect_bad(c, "body size");
  c = good;
  c.size = 4;
  expect_bad(c, "stored size");
  c = good;
  c.at += 1;
  expect_bad(c, "stored time");
  EXPECT_EQ(CodeOf(VerifyCheckpoint(good, pub, HashAlgorithm::kSha256)),
            core::ErrorCode::kDataLoss);
  auto other = crypto::PrivateKey::Generate(GetParam());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(CodeOf(VerifyCheckpoint(good, other->Public(), HashAlgorithm::kSm3)),
            core::ErrorCode::kDataLoss);
}

TEST_P(CheckpointTest, NoNewCheckpointWithoutNewEvents) {
  auto empty = MakeCheckpoint(*db_, *log_, *key_, clock_);
  ASSERT_TRUE(IsOk(empty));
  EXPECT_FALSE(empty->has_value());
  Append(2);
  Make();
  auto again = MakeCheckpoint(*db_, *log_, *key_, clock_);
  ASSERT_TRUE(IsOk(again));
  EXPECT_FALSE(again->has_value());
  Append(1);
  EXPECT_EQ(Make().size, 3);
}

TEST_P(CheckpointTest, KeyFileIsPrivateAndTheRecordedKeyIsRequired) {
  struct stat st {};
  ASSERT_EQ(::stat(key_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  // Reopening loads the same key.
  auto again = EnsureSigningKey(*db_, key_file(), GetParam());
  ASSERT_TRUE(IsOk(again));
  EXPECT_EQ(again->Public().KeyId(), key_->Public().KeyId());
  // Another key in its place is refused, and so is a missing file.
  std::filesystem::remove(key_file());
  auto other = crypto::PrivateKey::Generate(GetParam());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(IsOk(other->SaveFile(key_file())));
  auto replaced = EnsureSigningKey(*db_, key_file(), GetParam());
  EXPECT_EQ(CodeOf(replaced), core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(replaced.error().field, "record.key_file");
  std::filesystem::remove(key_file());
  auto missing = EnsureSigningKey(*db_, key_file(), GetParam());
  EXPECT_EQ(CodeOf(missing), core::ErrorCode::kFailedPrecondition);
}

TEST_P(CheckpointTest, CheckpointerCoversEveryEventByTheTimeItStops) {
  Checkpointer checkpointer(*db_, *log_, *key_, clock_,
                            {.every_events = 4, .interval = std::chrono::hours(1)});
  checkpointer.Start();
  Append(10);
  checkpointer.Poke();
  checkpointer.Stop();
  ASSERT_TRUE(IsOk(db_->Read([&](store::Conn& conn) -> core::Status {
    auto latest = TRY(store::LatestCheckpoint(conn));
    EXPECT_TRUE(latest && latest->size == 10);
    for (const auto& c : TRY(store::ListCheckpoints(conn, 0, 100))) {
      EXPECT_TRUE(IsOk(VerifyCheckpoint(c, key_->Public(), HashAlgorithm::kSm3)));
    }
    return core::Ok();
  })));
  EXPECT_GE(checkpointer.made(), 1U);
}

// A view of a database in which the newest-checkpoint lookup finds nothing,
// as in a process whose transaction began before another process committed
// its checkpoint: MakeCheckpoint then goes on to insert one of the same size.
class CheckpointsHiddenConn final : public store::Conn {
 public:
  explicit CheckpointsHiddenConn(store::Conn& inner) : inner_(inner) {}
  core::Result<std::int64_t> Exec(std::string_view sql,
                                  std::span<const store::Value> params) override {
    return inner_.Exec(sql, params);
  }
  core::Result<std::vector<store::Row>> Query(std::string_view sql,
                                              std::span<const store::Value> params) override {
    if (sql.find("FROM record_checkpoints ORDER BY size DESC") != std::string_view::npos) {
      return std::vector<store::Row>{};
    }
    return inner_.Query(sql, params);
  }

 private:
  store::Conn& inner_;
};

class CheckpointsHiddenDatabase final : public store::Database {
 public:
  explicit CheckpointsHiddenDatabase(store::Database& inner) : inner_(inner) {}
  core::Status Write(const std::function<core::Status(store::Conn&)>& fn) override {
    return inner_.Write([&](store::Conn& conn) {
      CheckpointsHiddenConn hidden(conn);
      return fn(hidden);
    });
  }
  core::Status Read(const std::function<core::Status(store::Conn&)>& fn) override {
    return inner_.Read(fn);
  }
  std::uint64_t WriteCount() const override { return inner_.WriteCount(); }
  core::Status Ping() override { return inner_.Ping(); }
  core::Status Migrate() override { return inner_.Migrate(); }
  core::Result<int> SchemaVersion() override { return inner_.SchemaVersion(); }
  std::string_view Backend() const override { return inner_.Backend(); }

 private:
  store::Database& inner_;
};

TEST_P(CheckpointTest, CheckpointAnotherProcessAlreadyStoredIsDoneNotAnError) {
  Append(3);
  const store::CheckpointRecord first = Make();
  clock_.Advance(500);  // the other process signs at another time
  CheckpointsHiddenDatabase stale(*db_);
  auto again = MakeCheckpoint(stale, *log_, *key_, clock_);
  ASSERT_TRUE(IsOk(again));
  EXPECT_FALSE(again->has_value());
  ASSERT_TRUE(IsOk(db_->Read([&](store::Conn& conn) -> core::Status {
    auto all = TRY(store::ListCheckpoints(conn, 0, 100));
    EXPECT_EQ(all.size(), 1U);
    EXPECT_TRUE(!all.empty() && all[0].at == first.at) << "the first checkpoint is kept";
    return core::Ok();
  })));
}

TEST_P(CheckpointTest, StoredCheckpointOfTheSameSizeWithAnotherRootIsDataLoss) {
  Append(3);
  store::CheckpointRecord forged = Make();
  // Someone stored a checkpoint of the next size whose root is not the tree's.
  Append(1);
  forged.size = 4;
  forged.root.assign(forged.root.size(), 0xab);
  ASSERT_TRUE(IsOk(db_->Write(
      [&](store::Conn& conn) -> core::Status { return store::PutCheckpoint(conn, forged); })));
  CheckpointsHiddenDatabase stale(*db_);
  auto made = MakeCheckpoint(stale, *log_, *key_, clock_);
  EXPECT_EQ(CodeOf(made), core::ErrorCode::kDataLoss);
}

TEST_P(CheckpointTest, OtherStoreErrorsOfTheInsertStillFail) {
  Append(2);
  // Nothing stored at size 2, but the insert is refused: the error stands.
  ASSERT_TRUE(IsOk(db_->Write([&](store::Conn& conn) -> core::Status {
    TRY(
        conn.Exec("CREATE TRIGGER refuse_checkpoints BEFORE INSERT ON record_checkpoints "
                  "BEGIN SELECT RAISE(ABORT, 'refused'); END"));
    return core::Ok();
  })));
  auto made = MakeCheckpoint(*db_, *log_, *key_, clock_);
  EXPECT_FALSE(made.ok());
  EXPECT_NE(CodeOf(made), core::ErrorCode::kAlreadyExists);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, CheckpointTest,
                         ::testing::Values(crypto::SignatureAlgorithm::kSm2,
                                           crypto::SignatureAlgorithm::kEd25519),
                         [](const auto& param_info) {
                           return std::string(crypto::SignatureAlgorithmName(param_info.param));
                         });

TEST(CheckpointBodyTest, RefusesMalformedBodies) {
  const std::string root = core::Base64Encode(Hash{});
  const std::string good =
      "lvyuan/0011223344556677\n12\n" + root + "\nhash sm3\ntime 2026-01-02T03:04:05.006Z\n";
  EXPECT_TRUE(ParseCheckpointBody(good).ok());
  const std::string t = "\ntime 2026-01-02T03:04:05.006Z\n";
  for (const std::string& bad : std::vector<std::string>{
           good.substr(0, good.size() - 1), "other/1\n12\n" + root + "\nhash sm3" + t,
           "lvyuan/1\n012\n" + root + "\nhash sm3" + t,
           "lvyuan/1\n12\nAAAA\nhash sm3\ntime 2026-01-02T03:04:05.006Z\n",
           "lvyuan/1\n12\n" + root + "\nhash md5" + t,
           "lvyuan/1\n12\n" + root + "\nhash sm3\ntime 2026-01-02T03:04:05Z\n", good + "extra\n"}) {
    EXPECT_EQ(CodeOf(ParseCheckpointBody(bad)), core::ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace lvyuan::record
