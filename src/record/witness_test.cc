#include "record/witness.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/encoding.h"
#include "record/checkpoint.h"
#include "store/test_support.h"

namespace lvyuan::record {
namespace {

using store::testing::CodeOf;
using store::testing::IsOk;
using store::testing::ScratchDirectory;

constexpr std::int64_t kStartMs = 1764633600000;

Hash Leaf(const std::string& text) { return LeafHash(HashAlgorithm::kSm3, core::AsBytes(text)); }

store::CheckpointRecord SignCheckpoint(const crypto::PrivateKey& key, const MerkleTree& tree,
                                       std::int64_t at_ms) {
  CheckpointBody body{.origin = OriginOf(key.Public()),
                      .size = tree.size(),
                      .root = tree.Root(),
                      .hash = tree.algorithm(),
                      .at_ms = at_ms};
  store::CheckpointRecord c;
  c.size = static_cast<std::int64_t>(tree.size());
  c.root.assign(body.root.begin(), body.root.end());
  c.at = at_ms;
  c.body = FormatCheckpointBody(body);
  c.key_id = key.Public().KeyId();
  c.signature = key.Sign(core::AsBytes(c.body)).value();
  return c;
}

// A deployment held in memory: its key and Merkle tree; it signs a checkpoint
// of the whole tree when asked for the latest one and keeps what was posted.
class FakeDeployment : public DeploymentSource {
 public:
  explicit FakeDeployment(crypto::SignatureAlgorithm algorithm = crypto::SignatureAlgorithm::kSm2)
      : key_(crypto::PrivateKey::Generate(algorithm).value()) {}

  void Append(int count, const std::string& tag = "event") {
    for (int i = 0; i < count; ++i) {
      tree_.Append(Leaf(tag + " " + std::to_string(tree_.size())));
    }
  }

  core::Result<KeyInfo> Key() override {
    return KeyInfo{.public_key_pem = key_.Public().ToPem(), .hash = tree_.algorithm()};
  }
  core::Result<std::optional<store::CheckpointRecord>> LatestCheckpoint() override {
    if (tree_.size() == 0) return std::optional<store::CheckpointRecord>();
    auto c = SignCheckpoint(key_, tree_, kStartMs + static_cast<std::int64_t>(tree_.size()));
    if (tamper_signature_) c.signature[5] ^= 0x01;
    return std::optional<store::CheckpointRecord>(std::move(c));
  }
  core::Result<std::vector<Hash>> Consistency(std::uint64_t from, std::uint64_t to) override {
    ++consistency_requests_;
    return tree_.ConsistencyProof(from, to);
  }
  core::Status SubmitCosignature(const store::CosignatureRecord& c) override {
    for (const auto& seen : submitted_) {
      if (seen.size == c.size && seen.witness == c.witness) return core::AlreadyExists("dup");
    }
    submitted_.push_back(c);
    return core::Ok();
  }

  crypto::PrivateKey key_;
  MerkleTree tree_{HashAlgorithm::kSm3};
  bool tamper_signature_ = false;
  int consistency_requests_ = 0;
  std::vector<store::CosignatureRecord> submitted_;
};

class WitnessRunTest : public ::testing::Test {
 protected:
  core::Result<WitnessReport> Run(DeploymentSource& source,
                                  const crypto::PublicKey* trusted = nullptr) {
    return RunWitness(source, {.name = "procuratorate", .key = &witness_key_}, state_, trusted,
                      clock_);
  }

  crypto::PrivateKey witness_key_ =
      crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kSm2).value();
  core::FakeClock clock_{kStartMs + 100000};
  std::optional<WitnessState> state_;
};

TEST(CosignatureTest, CosignatureVerifiesOverTheMessageWithTheCheckpointBody) {
  auto deployment_key = crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kSm2).value();
  auto witness_key = crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kEd25519).value();
  MerkleTree tree;
  tree.Append(Leaf("a"));
  const auto checkpoint = SignCheckpoint(deployment_key, tree, kStartMs);
  auto c = Cosign(checkpoint, {.name = "w1", .key = &witness_key}, kStartMs + 5);
  ASSERT_TRUE(IsOk(c));
  EXPECT_EQ(c->size, 1);
  EXPECT_EQ(c->witness, "w1");
  EXPECT_EQ(c->key_id, witness_key.Public().KeyId());
  EXPECT_EQ(c->at, kStartMs + 5);
  const std::string message = CosignatureMessage(checkpoint.body, kStartMs + 5);
  EXPECT_EQ(message.rfind("lvyuan-cosignature/v1\ntime 2025-12-02T00:00:00.005Z\n", 0), 0u)
      << message;
  EXPECT_TRUE(witness_key.Public().Verify(core::AsBytes(message), c->signature));
  EXPECT_FALSE(witness_key.Public().Verify(
      core::AsBytes(CosignatureMessage(checkpoint.body, kStartMs + 6)), c->signature));
  EXPECT_FALSE(deployment_key.Public().Verify(core::AsBytes(message), c->signature));
}

TEST(WitnessNameTest, AcceptsPlainNamesAndRejectsOthers) {
  EXPECT_TRUE(ValidateWitnessName("sz-procuratorate_1.cn").ok());
  EXPECT_EQ(CodeOf(ValidateWitnessName("")), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(ValidateWitnessName("has space")), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(ValidateWitnessName("检察院")), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(ValidateWitnessName(std::string(65, 'a'))), core::ErrorCode::kInvalidArgument);
}

TEST_F(WitnessRunTest, FirstRunTrustsTheKeyAndCosignsTheLatestCheckpoint) {
  FakeDeployment d;
  d.Append(5);
  auto r = Run(d);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->outcome, WitnessOutcome::kCosigned) << r->reason;
  ASSERT_EQ(d.submitted_.size(), 1u);
  EXPECT_EQ(d.submitted_[0].size, 5);
  EXPECT_EQ(d.submitted_[0].at, clock_.NowMs());
  const auto checkpoint = d.LatestCheckpoint().value().value();
  EXPECT_TRUE(witness_key_.Public().Verify(
      core::AsBytes(CosignatureMessage(checkpoint.body, d.submitted_[0].at)),
      d.submitted_[0].signature));
  ASSERT_TRUE(state_.has_value());
  EXPECT_EQ(state_->deployment_key_id, d.key_.Public().KeyId());
  EXPECT_EQ(state_->size, 5u);
  EXPECT_EQ(state_->root, d.tree_.Root());
  EXPECT_EQ(d.consistency_requests_, 0);
}

TEST_F(WitnessRunTest, GrowingLogIsCheckedForConsistencyAndCosigned) {
  FakeDeployment d;
  d.Append(5);
  ASSERT_EQ(Run(d)->outcome, WitnessOutcome::kCosigned);
  d.Append(8);
  auto r = Run(d);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->outcome, WitnessOutcome::kCosigned) << r->reason;
  EXPECT_EQ(r->previous_size, 5u);
  EXPECT_EQ(r->size, 13u);
  EXPECT_EQ(d.consistency_requests_, 1);
  EXPECT_EQ(state_->size, 13u);
  EXPECT_EQ(d.submitted_.size(), 2u);
}

TEST_F(WitnessRunTest, UnchangedLogIsNotCosignedTwice) {
  FakeDeployment d;
  d.Append(3);
  ASSERT_EQ(Run(d)->outcome, WitnessOutcome::kCosigned);
  auto r = Run(d);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->outcome, WitnessOutcome::kAlreadyCosigned);
  EXPECT_EQ(d.submitted_.size(), 1u);
}

TEST_F(WitnessRunTest, NoCheckpointYetTrustsTheKeyOnly) {
  FakeDeployment d;
  auto r = Run(d);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->outcome, WitnessOutcome::kNoCheckpoint);
  ASSERT_TRUE(state_.has_value());
  EXPECT_EQ(state_->size, 0u);
  EXPECT_EQ(state_->deployment_key_id, d.key_.Public().KeyId());
}

TEST_F(WitnessRunTest, RefusesADifferentRootAtTheSameSize) {
  FakeDeployment d;
  d.Append(6);
  ASSERT_EQ(Run(d)->outcome, WitnessOutcome::kCosigned);
  const Hash seen = d.tree_.Root();
  // Same key, same size, other history: a fork.
  FakeDeployment fork(crypto::SignatureAlgorithm::kSm2);
  fork.key_ = std::move(d.key_);
  fork.Append(6, "other");
  auto r = Run(fork);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->outcome, WitnessOutcome::kRefused);
  EXPECT_NE(r->reason.find("FORK"), std::string::npos) << r->reason;
  EXPECT_NE(r->reason.find(core::HexEncode(seen)), std::string::npos) << r->reason;
  EXPECT_NE(r->reason.find(core::HexEncode(fork.tree_.Root())), std::string::npos) << r->reason;
  EXPECT_TRUE(fork.submitted_.empty());
  EXPECT_EQ(state_->root, seen);  // what was seen stays the reference
}

TEST_F(WitnessRunTest, RefusesAShorterTree) {
  FakeDeployment d;
  d.Append(6);
  ASSERT_EQ(Run(d)->outcome, WitnessOutcome::kCosigned);
  FakeDeployment truncated;
  truncated.key_ = std::move(d.key_);
  truncated.Append(4);  // the same first four events
  auto r = Run(truncated);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->outcome, WitnessOutcome::kRefused);
  EXPECT_NE(r->reason.find("shrank"), std::string::npos) << r->reason;
  EXPECT_EQ(r->size, 4u);
  EXPECT_EQ(r->previous_size, 6u);
  EXPECT_TRUE(truncated.submitted_.empty());
}

TEST_F(WitnessRunTest, RefusesARewrittenHistoryWhoseConsistencyProofFails) {
  FakeDeployment d;
  d.Append(6);
  ASSERT_EQ(Run(d)->outcome, WitnessOutcome::kCosigned);
  FakeDeployment rewritten;
  rewritten.key_ = std::move(d.key_);
  rewritten.Append(2);
  rewritten.Append(1, "changed");  // event 3 of 6 was rewritten
  rewritten.Append(3);
  rewritten.Append(4);  // and the log grew on top
  auto r = Run(rewritten);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->outcome, WitnessOutcome::kRefused);
  EXPECT_NE(r->reason.find("consistency proof fails"), std::string::npos) << r->reason;
  EXPECT_EQ(rewritten.consistency_requests_, 1);
  EXPECT_TRUE(rewritten.submitted_.empty());
  EXPECT_EQ(state_->size, 6u);
}

TEST_F(WitnessRunTest, RefusesAChangedDeploymentKey) {
  FakeDeployment d;
  d.Append(2);
  ASSERT_EQ(Run(d)->outcome, WitnessOutcome::kCosigned);
  FakeDeployment other;  // a fresh key
  other.Append(3);
  auto r = Run(other);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->outcome, WitnessOutcome::kRefused);
  EXPECT_NE(r->reason.find("deployment key changed"), std::string::npos) << r->reason;
  EXPECT_TRUE(other.submitted_.empty());
}

TEST_F(WitnessRunTest, FirstRunWithTrustedKeyRefusesAnotherKey) {
  FakeDeployment d;
  d.Append(2);
  auto other = crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kSm2).value();
  const crypto::PublicKey trusted = other.Public();
  auto r = Run(d, &trusted);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->outcome, WitnessOutcome::kRefused);
  EXPECT_FALSE(state_.has_value());
  const crypto::PublicKey right = d.key_.Public();
  auto ok = Run(d, &right);
  ASSERT_TRUE(IsOk(ok));
  EXPECT_EQ(ok->outcome, WitnessOutcome::kCosigned);
}

TEST_F(WitnessRunTest, RefusesACheckpointWithABadSignature) {
  FakeDeployment d;
  d.Append(2);
  d.tamper_signature_ = true;
  auto r = Run(d);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->outcome, WitnessOutcome::kRefused);
  EXPECT_NE(r->reason.find("does not verify"), std::string::npos) << r->reason;
  EXPECT_TRUE(d.submitted_.empty());
}

TEST_F(WitnessRunTest, AlreadyStoredCosignatureCountsAsDone) {
  FakeDeployment d;
  d.Append(2);
  ASSERT_EQ(Run(d)->outcome, WitnessOutcome::kCosigned);
  state_.reset();  // the state file was lost
  auto r = Run(d);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->outcome, WitnessOutcome::kAlreadyCosigned);
  EXPECT_EQ(state_->size, 2u);
}

TEST(WitnessStateTest, SavedStateLoadsBackAndMissingFileIsNotFound) {
  ScratchDirectory dir;
  const auto path = dir.path() / "state.json";
  EXPECT_EQ(CodeOf(LoadWitnessState(path)), core::ErrorCode::kNotFound);
  auto key = crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kSm2).value();
  WitnessState s{.deployment_key_id = key.Public().KeyId(),
                 .deployment_key_pem = key.Public().ToPem(),
                 .hash = HashAlgorithm::kSha256,
                 .size = 42,
                 .root = Leaf("root")};
  ASSERT_TRUE(IsOk(SaveWitnessState(path, s)));
  ASSERT_TRUE(IsOk(SaveWitnessState(path, s)));  // overwrites
  auto loaded = LoadWitnessState(path);
  ASSERT_TRUE(IsOk(loaded));
  EXPECT_EQ(loaded->deployment_key_id, s.deployment_key_id);
  EXPECT_EQ(loaded->hash, HashAlgorithm::kSha256);
  EXPECT_EQ(loaded->size, 42u);
  EXPECT_EQ(loaded->root, s.root);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "state.json.tmp"));
}

TEST(WitnessStateTest, CorruptStateIsDataLoss) {
  ScratchDirectory dir;
  const auto path = dir.path() / "state.json";
  std::ofstream(path) << "{\"size\": 3}";
  EXPECT_EQ(CodeOf(LoadWitnessState(path)), core::ErrorCode::kDataLoss);
}

class WitnessRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::Open({.url = (dir_.path() / "lvyuan.db").string()});
    ASSERT_TRUE(IsOk(db));
    db_ = std::move(db).value();
    ASSERT_TRUE(IsOk(db_->Migrate()));
    registry_ = std::make_unique<WitnessRegistry>(*db_);
    tree_.Append(Leaf("a"));
    tree_.Append(Leaf("b"));
    checkpoint_ = SignCheckpoint(deployment_key_, tree_, kStartMs);
    ASSERT_TRUE(IsOk(db_->Write([&](store::Conn& conn) -> core::Status {
      return store::PutCheckpoint(conn, checkpoint_);
    })));
  }

  store::CosignatureRecord CosignedBy(const crypto::PrivateKey& key, const std::string& name) {
    return Cosign(checkpoint_, {.name = name, .key = &key}, kStartMs + 10).value();
  }

  std::vector<store::CosignatureRecord> Stored() {
    std::vector<store::CosignatureRecord> out;
    EXPECT_TRUE(IsOk(db_->Read([&](store::Conn& conn) -> core::Status {
      out = TRY(store::ListCosignatures(conn, checkpoint_.size));
      return core::Ok();
    })));
    return out;
  }

  ScratchDirectory dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<WitnessRegistry> registry_;
  crypto::PrivateKey deployment_key_ =
      crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kSm2).value();
  crypto::PrivateKey witness_key_ =
      crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kSm2).value();
  MerkleTree tree_;
  store::CheckpointRecord checkpoint_;
};

TEST_F(WitnessRegistryTest, AcceptsAValidCosignatureOfAKnownWitnessOnce) {
  ASSERT_TRUE(IsOk(registry_->Add("court", witness_key_.Public())));
  const auto c = CosignedBy(witness_key_, "court");
  ASSERT_TRUE(IsOk(registry_->Accept(c)));
  auto stored = Stored();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].witness, "court");
  EXPECT_EQ(stored[0].signature, c.signature);
  EXPECT_EQ(CodeOf(registry_->Accept(c)), core::ErrorCode::kAlreadyExists);
}

TEST_F(WitnessRegistryTest, RejectsAnUnknownWitness) {
  auto s = registry_->Accept(CosignedBy(witness_key_, "court"));
  EXPECT_EQ(CodeOf(s), core::ErrorCode::kPermissionDenied);
  EXPECT_EQ(s.error().field, "witness");
  EXPECT_TRUE(Stored().empty());
}

TEST_F(WitnessRegistryTest, RejectsAKeyIdThatIsNotTheWitnesssKey) {
  ASSERT_TRUE(IsOk(registry_->Add("court", witness_key_.Public())));
  auto impostor = crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kSm2).value();
  auto s = registry_->Accept(CosignedBy(impostor, "court"));
  EXPECT_EQ(CodeOf(s), core::ErrorCode::kPermissionDenied);
  EXPECT_EQ(s.error().field, "key_id");
}

TEST_F(WitnessRegistryTest, RejectsASignatureThatDoesNotVerify) {
  ASSERT_TRUE(IsOk(registry_->Add("court", witness_key_.Public())));
  auto c = CosignedBy(witness_key_, "court");
  c.at += 1;  // signed over another time
  auto s = registry_->Accept(c);
  EXPECT_EQ(CodeOf(s), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().field, "signature");
  EXPECT_TRUE(Stored().empty());
}

TEST_F(WitnessRegistryTest, RejectsACosignatureOfAMissingCheckpoint) {
  ASSERT_TRUE(IsOk(registry_->Add("court", witness_key_.Public())));
  auto c = CosignedBy(witness_key_, "court");
  c.size = 7;
  EXPECT_EQ(CodeOf(registry_->Accept(c)), core::ErrorCode::kNotFound);
}

TEST_F(WitnessRegistryTest, AddIsIdempotentButNeverReplacesAKey) {
  ASSERT_TRUE(IsOk(registry_->Add("court", witness_key_.Public())));
  ASSERT_TRUE(IsOk(registry_->Add("court", witness_key_.Public())));
  auto other = crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kEd25519).value();
  EXPECT_EQ(CodeOf(registry_->Add("court", other.Public())), core::ErrorCode::kAlreadyExists);
  auto found = registry_->Find("court");
  ASSERT_TRUE(IsOk(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->KeyId(), witness_key_.Public().KeyId());
  EXPECT_FALSE(registry_->Find("police").value().has_value());
  EXPECT_EQ(CodeOf(registry_->Add("bad name", other.Public())), core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace lvyuan::record
