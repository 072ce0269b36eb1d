#include "record/log.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "record/canonical.h"
#include "store/test_support.h"

namespace lvyuan::record {
namespace {

using store::testing::CodeOf;
using store::testing::IsOk;
using store::testing::ScratchDirectory;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(HashAlgorithm algorithm = HashAlgorithm::kSm3) {
    log_.reset();
    db_.reset();
    auto db = store::Open({.url = (dir_.path() / "lvyuan.db").string()});
    ASSERT_TRUE(IsOk(db));
    db_ = std::move(db).value();
    ASSERT_TRUE(IsOk(db_->Migrate()));
    auto log = Log::Open(*db_, clock_, algorithm);
    ASSERT_TRUE(IsOk(log));
    log_ = std::move(log).value();
  }

  EventInput Input(int i) {
    EventInput in;
    in.actor = {.user_id = 1, .username = "tester", .unit_id = 2};
    in.action = "test.append";
    in.object_type = "thing";
    in.object_id = std::to_string(i);
    in.changes = {{"n", boost::json::object{{"before", i - 1}, {"after", i}}}};
    in.detail = {{"note", "第 " + std::to_string(i) + " 条"}};
    in.request_id = "r" + std::to_string(i);
    return in;
  }

  // Appends `count` events, one transaction each; returns their leaf hashes.
  std::vector<Hash> AppendMany(int count, int first = 1) {
    std::vector<Hash> leaves;
    for (int i = first; i < first + count; ++i) {
      EXPECT_TRUE(IsOk(db_->Write([&](store::Conn& conn) -> core::Status {
        auto e = TRY(log_->Append(conn, Input(i)));
        leaves.push_back(TRY(ToHash(e.leaf_hash, "leaf")));
        return core::Ok();
      })));
    }
    return leaves;
  }

  ScratchDirectory dir_;
  core::FakeClock clock_{1764633600000};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Log> log_;
};

TEST_F(LogTest, StoredTreeMatchesTheInMemoryTreeAtEverySize) {
  auto leaves = AppendMany(37);
  MerkleTree reference(HashAlgorithm::kSm3);
  for (const auto& leaf : leaves) reference.Append(leaf);
  ASSERT_TRUE(IsOk(db_->Read([&](store::Conn& conn) -> core::Status {
    TreeHead head = TRY(log_->Head(conn));
    EXPECT_EQ(head.size, 37U);
    EXPECT_EQ(head.root, reference.Root());
    for (std::uint64_t size = 1; size <= 37; ++size) {
      EXPECT_EQ(TRY(log_->RootAt(conn, size)), *reference.RootAt(size)) << size;
      for (std::uint64_t i = 0; i < size; ++i) {
        auto proof = TRY(log_->InclusionProof(conn, static_cast<std::int64_t>(i + 1), size));
        EXPECT_EQ(proof, *reference.InclusionProof(i, size));
        EXPECT_TRUE(IsOk(VerifyInclusion(HashAlgorithm::kSm3, i, size, leaves[i], proof,
                                         *reference.RootAt(size))));
      }
      for (std::uint64_t from = 1; from <= size; ++from) {
        auto proof = TRY(log_->ConsistencyProof(conn, from, size));
        EXPECT_TRUE(IsOk(VerifyConsistency(HashAlgorithm::kSm3, from, size, proof,
                                           *reference.RootAt(from), *reference.RootAt(size))));
      }
    }
    return core::Ok();
  })));
}

TEST_F(LogTest, LeafHashIsTheHashOfTheCanonicalStoredEvent) {
  AppendMany(3);
  ASSERT_TRUE(IsOk(db_->Read([&](store::Conn& conn) -> core::Status {
    auto e = TRY(store::FindEvent(conn, 2));
    EXPECT_TRUE(e.has_value());
    const std::string canonical = TRY(CanonicalEvent(*e));
    EXPECT_EQ(TRY(ToHash(e->leaf_hash, "leaf")),
              LeafHash(HashAlgorithm::kSm3, core::AsBytes(canonical)));
    EXPECT_EQ(e->seq, 2);
    EXPECT_EQ(e->at, 1764633600000);
    EXPECT_EQ(e->detail, R"({"note":"第 2 条"})");
    EXPECT_EQ(e->changes, R"({"n":{"after":2,"before":1}})");
    return core::Ok();
  })));
}

TEST_F(LogTest, ContinuesAfterReopeningWithoutRebuilding) {
  auto leaves = AppendMany(21);
  Reopen();
  auto more = AppendMany(12, 22);
  leaves.insert(leaves.end(), more.begin(), more.end());
  MerkleTree reference(HashAlgorithm::kSm3);
  for (const auto& leaf : leaves) reference.Append(leaf);
  ASSERT_TRUE(IsOk(db_->Read([&](store::Conn& conn) -> core::Status {
    EXPECT_EQ(TRY(log_->Head(conn)).root, reference.Root());
    // 33 leaves: every perfect subtree of 2+ leaves is stored once.
    std::size_t nodes = 0;
    for (int level = 1; level <= 5; ++level) {
      nodes += TRY(store::ListNodes(conn, level, 0, 1 << 20)).size();
    }
    EXPECT_EQ(nodes, 16U + 8U + 4U + 2U + 1U);
    return core::Ok();
  })));
}

TEST_F(LogTest, RolledBackAppendLeavesNoTrace) {
  AppendMany(5);
  auto failed = db_->Write([&](store::Conn& conn) -> core::Status {
    TRY(log_->Append(conn, Input(6)));
    TRY(log_->Append(conn, Input(7)));
    return core::Aborted("the change itself failed");
  });
  ASSERT_EQ(CodeOf(failed), core::ErrorCode::kAborted);
  auto leaves = AppendMany(3, 100);
  ASSERT_TRUE(IsOk(db_->Read([&](store::Conn& conn) -> core::Status {
    TreeHead head = TRY(log_->Head(conn));
    EXPECT_EQ(head.size, 8U);
    auto e = TRY(store::FindEvent(conn, 6));
    EXPECT_TRUE(e && e->object_id == "100");
    EXPECT_EQ(TRY(log_->RootAt(conn, 8)), head.root);
    auto proof = TRY(log_->InclusionProof(conn, 6, 8));
    EXPECT_TRUE(IsOk(VerifyInclusion(HashAlgorithm::kSm3, 5, 8, leaves[0], proof, head.root)));
    return core::Ok();
  })));
}

TEST_F(LogTest, SeveralAppendsInOneTransactionGetConsecutiveNumbers) {
  ASSERT_TRUE(IsOk(db_->Write([&](store::Conn& conn) -> core::Status {
    for (int i = 1; i <= 4; ++i) {
      auto e = TRY(log_->Append(conn, Input(i)));
      EXPECT_EQ(e.seq, i);
    }
    return core::Ok();
  })));
  EXPECT_EQ(log_->appended(), 4U);
}

TEST_F(LogTest, RefusesFloatsAndBadOutcomesWithoutStoringAnything) {
  EventInput in = Input(1);
  in.detail["ratio"] = 0.5;
  auto s = db_->Write([&](store::Conn& conn) -> core::Status {
    TRY(log_->Append(conn, in));
    return core::Ok();
  });
  EXPECT_EQ(CodeOf(s), core::ErrorCode::kInvalidArgument);
  in = Input(1);
  in.outcome = "maybe";
  s = db_->Write([&](store::Conn& conn) -> core::Status {
    TRY(log_->Append(conn, in));
    return core::Ok();
  });
  EXPECT_EQ(CodeOf(s), core::ErrorCode::kInvalidArgument);
  ASSERT_TRUE(IsOk(db_->Read([&](store::Conn& conn) -> core::Status {
    EXPECT_EQ(TRY(log_->Head(conn)).size, 0U);
    return core::Ok();
  })));
}

TEST_F(LogTest, TheHashOfADeploymentCannotBeChanged) {
  AppendMany(1);
  log_.reset();
  auto other = Log::Open(*db_, clock_, HashAlgorithm::kSha256);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(other.error().field, "record.hash");
}

TEST_F(LogTest, Sha256DeploymentsHashWithSha256) {
  ScratchDirectory other_dir;
  auto db = store::Open({.url = (other_dir.path() / "x.db").string()});
  ASSERT_TRUE(IsOk(db));
  ASSERT_TRUE(IsOk((*db)->Migrate()));
  auto log = Log::Open(**db, clock_, HashAlgorithm::kSha256);
  ASSERT_TRUE(IsOk(log));
  ASSERT_TRUE(IsOk((*db)->Write([&](store::Conn& conn) -> core::Status {
    auto e = TRY((*log)->Append(conn, Input(1)));
    const std::string canonical = TRY(CanonicalEvent(e));
    EXPECT_EQ(TRY(ToHash(e.leaf_hash, "leaf")),
              LeafHash(HashAlgorithm::kSha256, core::AsBytes(canonical)));
    return core::Ok();
  })));
}

TEST_F(LogTest, EventTablesRefuseUpdateAndDelete) {
  AppendMany(2);
  for (std::string_view sql :
       {"UPDATE record_events SET action = 'x'", "DELETE FROM record_events WHERE seq = 2",
        "UPDATE record_nodes SET hash = x'00'", "DELETE FROM record_nodes"}) {
    auto s = db_->Write([&](store::Conn& conn) -> core::Status {
      TRY(conn.Exec(sql));
      return core::Ok();
    });
    EXPECT_EQ(CodeOf(s), core::ErrorCode::kFailedPrecondition) << sql;
  }
}

TEST_F(LogTest, ProofRequestsOutsideTheTreeAreRefused) {
  AppendMany(4);
  ASSERT_TRUE(IsOk(db_->Read([&](store::Conn& conn) -> core::Status {
    EXPECT_EQ(CodeOf(log_->InclusionProof(conn, 5, 4)), core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(CodeOf(log_->InclusionProof(conn, 1, 5)), core::ErrorCode::kOutOfRange);
    EXPECT_EQ(CodeOf(log_->InclusionProof(conn, 0, 4)), core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(CodeOf(log_->ConsistencyProof(conn, 3, 2)), core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(CodeOf(log_->RootAt(conn, 9)), core::ErrorCode::kOutOfRange);
    return core::Ok();
  })));
}

}  // namespace
}  // namespace lvyuan::record
