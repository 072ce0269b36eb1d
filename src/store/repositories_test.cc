// The typed repository functions (accounts.h, record.h, evidence.h) on the
// migrated schema of each backend: SQLite always, PostgreSQL when
// LVYUAN_TEST_PG_URL is set (a scratch schema per test). They are written
// once in the portable SQL subset, so what passes on one must pass on both.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/accounts.h"
#include "store/database.h"
#include "store/evidence.h"
#include "store/record.h"
#include "store/test_support.h"

namespace lvyuan::store {
namespace {

using core::ErrorCode;
using core::Ok;
using testing::CodeOf;
using testing::IsOk;

class RepositoriesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    scratch_.emplace(GetParam());
    ASSERT_TRUE(IsOk(scratch_->status()));
    auto opened = Open({.url = scratch_->url()});
    ASSERT_TRUE(IsOk(opened));
    db_ = std::move(opened).value();
    ASSERT_TRUE(IsOk(db_->Migrate()));
  }
  void TearDown() override { db_.reset(); }

  // A unit and a user in it; returns {unit id, user id}.
  std::pair<std::int64_t, std::int64_t> MakeUnitAndUser() {
    std::pair<std::int64_t, std::int64_t> ids;
    EXPECT_TRUE(IsOk(db_->Write([&ids](Conn& conn) -> Status {
      UnitRecord unit{.name = "某市生态环境局", .type = "agency", .region_code = "110105"};
      unit.created_at = unit.updated_at = 1000;
      ids.first = TRY(InsertUnit(conn, unit));
      UserRecord user;
      user.username = "zhang.san";
      user.display_name = "张三";
      user.unit_id = ids.first;
      user.password_hash = "$argon2id$stub";
      user.password_changed_at = 1000;
      user.created_at = user.updated_at = 1000;
      ids.second = TRY(InsertUser(conn, user));
      TRY(SetUserRoles(conn, ids.second, {"reviewer", "unit_admin"}));
      return Ok();
    })));
    return ids;
  }

  std::optional<testing::TestDatabase> scratch_;
  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Backends, RepositoriesTest, ::testing::ValuesIn(testing::TestBackends()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

TEST_P(RepositoriesTest, UnitsAndUsersRoundTripAndFilter) {
  const auto [unit_id, user_id] = MakeUnitAndUser();
  ASSERT_GT(unit_id, 0);
  ASSERT_GT(user_id, 0);
  ASSERT_TRUE(IsOk(db_->Read([&, unit_id = unit_id, user_id = user_id](Conn& conn) -> Status {
    std::optional<UnitRecord> unit = TRY(FindUnitByName(conn, "某市生态环境局"));
    EXPECT_TRUE(unit.has_value());
    if (unit) {
      EXPECT_EQ(unit->id, unit_id);
    }
    std::vector<UnitRecord> units =
        TRY(ListUnits(conn, UnitFilter{.name_contains = "生态", .region_prefix = "1101"}));
    EXPECT_EQ(units.size(), 1u);
    std::optional<UserRecord> user = TRY(FindUserByName(conn, "zhang.san"));
    EXPECT_TRUE(user.has_value());
    if (user) {
      EXPECT_EQ(user->id, user_id);
      EXPECT_EQ(user->unit_name, "某市生态环境局");
      EXPECT_THAT(user->roles, ::testing::ElementsAre("reviewer", "unit_admin"));
      EXPECT_TRUE(user->enabled);
      EXPECT_FALSE(user->totp_secret.has_value());
    }
    std::vector<UserRecord> reviewers =
        TRY(ListUsers(conn, UserFilter{.text_contains = "张", .role = "reviewer"}));
    EXPECT_EQ(reviewers.size(), 1u);
    return Ok();
  })));
  Status duplicate = db_->Write([unit_id = unit_id](Conn& conn) -> Status {
    UnitRecord unit{.name = "某市生态环境局", .type = "agency", .region_code = "110105"};
    TRY(InsertUnit(conn, unit));
    return Ok();
  });
  EXPECT_EQ(CodeOf(duplicate), ErrorCode::kAlreadyExists);
}

TEST_P(RepositoriesTest, SessionsLoginFailuresLocksTokensAndSettings) {
  const auto [unit_id, user_id] = MakeUnitAndUser();
  const Blob token = {0x01, 0x00, 0xfe};
  ASSERT_TRUE(IsOk(db_->Write([&, unit_id = unit_id, user_id = user_id](Conn& conn) -> Status {
    SessionRecord session{.token_hash = token,
                          .user_id = user_id,
                          .created_at = 10,
                          .last_seen_at = 10,
                          .expires_at = 100,
                          .client_ip = "127.0.0.1"};
    const std::int64_t session_id = TRY(InsertSession(conn, session));
    TRY(TouchSession(conn, session_id, 20));
    TRY(InsertLoginFailure(conn, "zhang.san", 30, "10.0.0.1"));
    TRY(InsertLoginFailure(conn, "zhang.san", 40, "10.0.0.1"));
    TRY(SetLock(conn, "zhang.san", 500));
    TRY(SetLock(conn, "zhang.san", 600));  // ON CONFLICT DO UPDATE
    ApiTokenRecord api{.name = "对接系统",
                       .token_hash = Blob{0xaa, 0xbb},
                       .permissions = {"matter:clue:view"},
                       .unit_id = unit_id,
                       .created_by = user_id,
                       .created_at = 50};
    TRY(InsertApiToken(conn, api));
    Blob first = TRY(PutSettingIfAbsent(conn, "secret", Blob{1, 2, 3}));
    Blob second = TRY(PutSettingIfAbsent(conn, "secret", Blob{9}));
    EXPECT_EQ(first, (Blob{1, 2, 3}));
    EXPECT_EQ(second, (Blob{1, 2, 3})) << "the first value is kept";
    return Ok();
  })));
  ASSERT_TRUE(IsOk(db_->Read([&](Conn& conn) -> Status {
    std::optional<SessionRecord> session = TRY(FindSessionByHash(conn, token));
    EXPECT_TRUE(session.has_value());
    if (session) {
      EXPECT_EQ(session->last_seen_at, 20);
      EXPECT_FALSE(session->revoked_at.has_value());
    }
    EXPECT_EQ(TRY(CountLoginFailures(conn, "zhang.san", 35)), 1);
    EXPECT_EQ(TRY(LockedUntil(conn, "zhang.san")), 600);
    std::optional<ApiTokenRecord> api = TRY(FindApiTokenByHash(conn, Blob{0xaa, 0xbb}));
    EXPECT_TRUE(api.has_value());
    if (api) {
      EXPECT_THAT(api->permissions, ::testing::ElementsAre("matter:clue:view"));
    }
    std::optional<Blob> setting = TRY(GetSetting(conn, "secret"));
    EXPECT_EQ(setting, std::optional<Blob>(Blob{1, 2, 3}));
    return Ok();
  })));
  ASSERT_TRUE(IsOk(db_->Write([user_id = user_id](Conn& conn) -> Status {
    TRY(RevokeUserSessions(conn, user_id, 70));
    EXPECT_EQ(TRY(PruneSessions(conn, 80)), 1);
    EXPECT_EQ(TRY(PruneLoginFailures(conn, 35)), 1);
    return Ok();
  })));
}

TEST_P(RepositoriesTest, RecordEventsNodesAndCheckpoints) {
  ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
    for (std::int64_t seq = 1; seq <= 3; ++seq) {
      EventRecord event;
      event.seq = seq;
      event.at = 1000 * seq;
      event.actor_username = "zhang.san";
      event.action = seq == 2 ? "unit.update" : "user.login";
      event.object_type = "unit";
      event.object_id = "7";
      event.outcome = "ok";
      event.changes = R"({"name":"某市"})";
      event.leaf_hash = Blob(32, static_cast<std::uint8_t>(seq));
      TRY(AppendEvent(conn, event));
    }
    TRY(PutNode(conn, 1, 0, Blob(32, 0x12)));
    TRY(PutCheckpoint(conn, CheckpointRecord{.size = 3,
                                             .root = Blob(32, 0x33),
                                             .at = 4000,
                                             .body = "lvyuan\n3\n",
                                             .key_id = "k1",
                                             .signature = Blob{0x30, 0x00, 0x01}}));
    return Ok();
  })));
  ASSERT_TRUE(IsOk(db_->Read([](Conn& conn) -> Status {
    auto last = TRY(LastEvent(conn));
    EXPECT_TRUE(last.has_value());
    if (last) {
      EXPECT_EQ(last->first, 3);
    }
    std::vector<EventRecord> logins =
        TRY(ListEvents(conn, EventFilter{.action_prefix = "user.", .from_ms = 500}));
    EXPECT_EQ(logins.size(), 2u);
    if (logins.size() == 2) {
      EXPECT_EQ(logins[0].seq, 3) << "newest first";
    }
    std::vector<EventRecord> scanned = TRY(ScanEvents(conn, 1, 10));
    EXPECT_EQ(scanned.size(), 2u);
    if (!scanned.empty()) {
      EXPECT_EQ(scanned[0].changes, R"({"name":"某市"})");
    }
    int viewed = 0;
    TRY(ScanEventViews(conn, 0, 10, [&viewed](const EventView&) -> Status {
      ++viewed;
      return Ok();
    }));
    EXPECT_EQ(viewed, 3);
    std::vector<Blob> streamed;
    TRY(ScanNodes(conn, 1, 0, 10,
                  [&streamed](std::int64_t, std::span<const std::uint8_t> hash) -> Status {
                    streamed.emplace_back(hash.begin(), hash.end());
                    return Ok();
                  }));
    EXPECT_EQ(streamed, std::vector<Blob>{Blob(32, 0x12)});
    EXPECT_EQ(TRY(FindLeafHash(conn, 1)), std::optional<Blob>(Blob(32, 2)));
    EXPECT_EQ(TRY(FindNode(conn, 1, 0)), std::optional<Blob>(Blob(32, 0x12)));
    auto nodes = TRY(ListNodes(conn, 1, 0, 10));
    EXPECT_EQ(nodes.size(), 1u);
    auto checkpoint = TRY(LatestCheckpoint(conn));
    EXPECT_TRUE(checkpoint.has_value());
    if (checkpoint) {
      EXPECT_EQ(checkpoint->signature, (Blob{0x30, 0x00, 0x01}));
    }
    return Ok();
  })));
  Status taken = db_->Write([](Conn& conn) -> Status {
    EventRecord event;
    event.seq = 3;
    event.action = "again";
    event.outcome = "ok";
    event.leaf_hash = Blob(32, 0);
    return AppendEvent(conn, event);
  });
  EXPECT_EQ(CodeOf(taken), ErrorCode::kAlreadyExists);
  Status changed = db_->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("UPDATE record_events SET outcome = 'denied' WHERE seq = 1"));
    return Ok();
  });
  EXPECT_EQ(CodeOf(changed), ErrorCode::kFailedPrecondition);
}

TEST_P(RepositoriesTest, EvidenceFilesAndUploads) {
  const auto [unit_id, user_id] = MakeUnitAndUser();
  const std::string sm3(64, 'a');
  ASSERT_TRUE(IsOk(db_->Write([&, unit_id = unit_id, user_id = user_id](Conn& conn) -> Status {
    EventRecord event;
    event.seq = 1;
    event.action = "evidence.upload";
    event.outcome = "ok";
    event.leaf_hash = Blob(32, 1);
    TRY(AppendEvent(conn, event));
    FileRecord file{.sm3 = sm3,
                    .sha256 = std::string(64, 'b'),
                    .size = 5,
                    .media_type = "image/jpeg",
                    .stored_at = 10};
    EXPECT_TRUE(TRY(InsertFileIfAbsent(conn, file)));
    EXPECT_FALSE(TRY(InsertFileIfAbsent(conn, file)));
    UploadRecord upload{.id = "u1",
                        .user_id = user_id,
                        .unit_id = unit_id,
                        .declared_size = 5,
                        .filename = "现场.jpg",
                        .created_at = 10,
                        .updated_at = 10};
    TRY(InsertUpload(conn, upload));
    EXPECT_TRUE(TRY(SetUploadReceived(conn, "u1", 5, 11)));
    EvidenceRecord evidence;
    evidence.id = TRY(NextEvidenceId(conn));
    evidence.sm3 = sm3;
    evidence.filename = "现场.jpg";
    evidence.source = "camera";
    evidence.captured_at = 5;
    evidence.captured_by = "李四";
    evidence.object_type = "matter";
    evidence.object_id = "M-1";
    evidence.unit_id = unit_id;
    evidence.uploaded_by = user_id;
    evidence.uploaded_at = 12;
    evidence.event_seq = 1;
    TRY(InsertEvidence(conn, evidence));
    EXPECT_TRUE(TRY(CloseUpload(conn, "u1", UploadState::kDone, 5, evidence.id, 12)));
    return Ok();
  })));
  ASSERT_TRUE(IsOk(db_->Read([&](Conn& conn) -> Status {
    EXPECT_EQ(TRY(CountFiles(conn)), 1);
    EXPECT_EQ(TRY(CountEvidenceOfFile(conn, sm3)), 1);
    std::vector<EvidenceRecord> listed =
        TRY(ListEvidence(conn, EvidenceFilter{.object_type = "matter", .object_id = "M-1"}));
    EXPECT_EQ(listed.size(), 1u);
    if (!listed.empty()) {
      EXPECT_EQ(listed[0].media_type, "image/jpeg");
      EXPECT_EQ(listed[0].captured_by, "李四");
    }
    std::optional<UploadRecord> upload = TRY(FindUpload(conn, "u1"));
    EXPECT_TRUE(upload.has_value());
    if (upload) {
      EXPECT_EQ(upload->state, UploadState::kDone);
    }
    return Ok();
  })));
}

}  // namespace
}  // namespace lvyuan::store
