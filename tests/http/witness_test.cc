// Witnesses over HTTP: a deployment accepts a witness (`lvyuan record
// witness-add`), the witness runs `lvyuan record witness` against the real
// server and its cosignatures appear in the served checkpoints; the
// cosignature route refuses unknown witnesses, bad signatures and
// duplicates; and a witness refuses (exit 4) a deployment whose history was
// forked from what it cosigned.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/clock.h"
#include "core/encoding.h"
#include "crypto/sign.h"
#include "harness.h"
#include "record/checkpoint.h"

namespace lvyuan::http_test {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

const std::map<std::string, std::string> kFastCheckpoints = {
    {"LVYUAN_RECORD_CHECKPOINT_EVERY", "3"}, {"LVYUAN_RECORD_CHECKPOINT_INTERVAL_S", "1"}};

// A directory of the witness's own (its key and state), removed at the end.
class WitnessDir {
 public:
  WitnessDir() {
    static std::atomic<int> counter{0};
    path_ = fs::path(::testing::TempDir()) /
            ("lvyuan_witness_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~WitnessDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start(WithEnv(kFastCheckpoints));
    std::string output;
    ASSERT_EQ(
        RunLvyuan({"record", "witness-key", "--key", key_file().string(), "--create-key"}, &output),
        0)
        << output;
    const auto begin = output.find("-----BEGIN PUBLIC KEY-----");
    ASSERT_NE(begin, std::string::npos) << output;
    std::ofstream(public_key_file()) << output.substr(begin);
    auto key = crypto::PrivateKey::LoadFile(key_file());
    ASSERT_TRUE(key.ok()) << key.error().ToString();
    witness_key_id_ = key->Public().KeyId();
  }

  fs::path key_file() const { return dir_.path() / "witness-key.pem"; }
  fs::path public_key_file() const { return dir_.path() / "witness-pub.pem"; }
  fs::path state_file() const { return dir_.path() / "state.json"; }

  void AddWitness(const fs::path& data_dir, const std::string& name = "court") {
    std::string output;
    ASSERT_EQ(RunLvyuan({"record", "witness-add", "--data", data_dir.string(), "--name", name,
                         "--key", public_key_file().string()},
                        &output),
              0)
        << output;
  }

  int Witness(unsigned short port, std::string* output, const std::string& name = "court") {
    return RunLvyuan(
        {"record", "witness", "--url", "http://127.0.0.1:" + std::to_string(port), "--name", name,
         "--key", key_file().string(), "--state", state_file().string()},
        output);
  }

  static std::int64_t LatestSize(Client& client) {
    Reply r = client.Get("/api/public/record/checkpoints/latest");
    return r.status == 200 ? r.json().at("size").as_int64() : 0;
  }

  // Some events (sign-ins), then the newest checkpoint once it covers more
  // than `after` events (bounded wait: the server checkpoints every second).
  static json::object ActivityAndCheckpoint(unsigned short port, std::int64_t after,
                                            const std::string& username = "auditadmin") {
    Client user(port);
    for (int i = 0; i < 2; ++i) user.Login(username, kDemoPassword);
    Client anonymous(port);
    for (int attempt = 0; attempt < 300; ++attempt) {
      Reply r = anonymous.Get("/api/public/record/checkpoints/latest");
      if (r.status == 200 && r.json().at("size").as_int64() > after) return r.json().as_object();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "no checkpoint beyond " << after;
    return {};
  }

  // The cosignature of `witness` in `checkpoint`, or null.
  static const json::object* CosignatureBy(const json::object& checkpoint,
                                           const std::string& witness) {
    for (const auto& c : checkpoint.at("cosignatures").as_array()) {
      if (c.at("witness").as_string() == witness) return &c.as_object();
    }
    return nullptr;
  }

  static bool HasCosignatureBy(const json::value& checkpoint, const std::string& witness) {
    return CosignatureBy(checkpoint.as_object(), witness) != nullptr;
  }

  json::object SignedCosignature(const json::object& checkpoint, const crypto::PrivateKey& key,
                                 const std::string& witness, std::int64_t at_ms) {
    const std::string body(checkpoint.at("body").as_string());
    auto signature = key.Sign(core::AsBytes(record::CosignatureMessage(body, at_ms))).value();
    return json::object{{"size", checkpoint.at("size")},
                        {"witness", witness},
                        {"key_id", key.Public().KeyId()},
                        {"signature", core::Base64Encode(signature)},
                        {"at", core::FormatIsoUtc(at_ms)}};
  }

  WitnessDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string witness_key_id_;
};

TEST_F(WitnessTest, WitnessCosignsTwiceAndTheCosignaturesAreServed) {
  AddWitness(server_->data_dir());
  Client anonymous(server_->port());
  json::object first = ActivityAndCheckpoint(server_->port(), LatestSize(anonymous));

  std::string output;
  ASSERT_EQ(Witness(server_->port(), &output), 0) << output;
  EXPECT_NE(output.find("cosigned"), std::string::npos) << output;
  ASSERT_TRUE(fs::exists(state_file()));

  Reply latest = anonymous.Get("/api/public/record/checkpoints/latest");
  ASSERT_EQ(latest.status, 200u) << latest;
  const json::value latest_json = latest.json();
  const std::int64_t cosigned_size = latest_json.at("size").as_int64();
  EXPECT_GE(cosigned_size, first.at("size").as_int64());
  const json::object* cosignature = CosignatureBy(latest_json.as_object(), "court");
  ASSERT_NE(cosignature, nullptr) << latest;
  EXPECT_EQ(cosignature->at("key_id").as_string(), witness_key_id_);
  // The served cosignature verifies with the witness's key over §3.1's message.
  auto key = crypto::PrivateKey::LoadFile(key_file()).value();
  std::int64_t at = 0;
  ASSERT_TRUE(core::ParseIsoTime(std::string(cosignature->at("at").as_string()), &at));
  const std::string message =
      record::CosignatureMessage(std::string(latest_json.at("body").as_string()), at);
  EXPECT_TRUE(key.Public().Verify(
      core::AsBytes(message),
      core::Base64Decode(std::string(cosignature->at("signature").as_string())).value()));

  // More activity, a newer checkpoint: cosigned after the consistency check.
  ActivityAndCheckpoint(server_->port(), cosigned_size);
  output.clear();
  ASSERT_EQ(Witness(server_->port(), &output), 0) << output;
  EXPECT_NE(output.find("cosigned"), std::string::npos) << output;
  Reply newer = anonymous.Get("/api/public/record/checkpoints/latest");
  ASSERT_EQ(newer.status, 200u);
  const json::value newer_json = newer.json();
  EXPECT_GT(newer_json.at("size").as_int64(), cosigned_size);
  EXPECT_NE(CosignatureBy(newer_json.as_object(), "court"), nullptr) << newer;
  // The first one stays with its own checkpoint.
  Reply old = anonymous.Get("/api/public/record/checkpoints/" + std::to_string(cosigned_size));
  ASSERT_EQ(old.status, 200u);
  EXPECT_TRUE(HasCosignatureBy(old.json(), "court")) << old;
}

TEST_F(WitnessTest, CosignatureRouteRefusesUnknownWitnessBadSignatureAndDuplicates) {
  AddWitness(server_->data_dir());
  Client anonymous(server_->port());
  json::object checkpoint = ActivityAndCheckpoint(server_->port(), LatestSize(anonymous));
  auto key = crypto::PrivateKey::LoadFile(key_file()).value();
  const std::int64_t at = 1767225600000;

  auto stranger = crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kSm2).value();
  Reply unknown = anonymous.Post("/api/public/record/cosignatures",
                                 SignedCosignature(checkpoint, stranger, "police", at));
  EXPECT_EQ(unknown.status, 403u) << unknown;

  json::object bad = SignedCosignature(checkpoint, key, "court", at);
  bad["at"] = core::FormatIsoUtc(at + 1);  // signed over another time
  Reply rejected = anonymous.Post("/api/public/record/cosignatures", bad);
  EXPECT_EQ(rejected.status, 400u) << rejected;
  EXPECT_EQ(rejected.error_field(), "signature");

  json::object missing = SignedCosignature(checkpoint, key, "court", at);
  missing["size"] = 999999999;
  EXPECT_EQ(anonymous.Post("/api/public/record/cosignatures", missing).status, 404u);

  Reply accepted = anonymous.Post("/api/public/record/cosignatures",
                                  SignedCosignature(checkpoint, key, "court", at));
  EXPECT_EQ(accepted.status, 201u) << accepted;
  Reply duplicate = anonymous.Post("/api/public/record/cosignatures",
                                   SignedCosignature(checkpoint, key, "court", at + 5));
  EXPECT_EQ(duplicate.status, 409u) << duplicate;

  Reply served = anonymous.Get("/api/public/record/checkpoints/" +
                               std::to_string(checkpoint.at("size").as_int64()));
  ASSERT_EQ(served.status, 200u);
  const json::value served_json = served.json();
  const json::object* c = CosignatureBy(served_json.as_object(), "court");
  ASSERT_NE(c, nullptr) << served;
  EXPECT_EQ(c->at("at").as_string(), core::FormatIsoUtc(at));
  EXPECT_EQ(served_json.at("cosignatures").as_array().size(), 1u);
}

TEST_F(WitnessTest, WitnessRefusesADeploymentWhoseHistoryForked) {
  AddWitness(server_->data_dir());
  Client anonymous(server_->port());
  ActivityAndCheckpoint(server_->port(), LatestSize(anonymous));
  std::string output;
  ASSERT_EQ(Witness(server_->port(), &output), 0) << output;

  // Stop the deployment and copy it: the copy has the same key and the same
  // history so far, then each goes its own way.
  ASSERT_EQ(server_->ExitCodeAfterTerm(), 0);
  WitnessDir fork_dir;
  fs::copy(server_->data_dir(), fork_dir.path() / "data", fs::copy_options::recursive);

  auto original = ServerProcess::Start([&] {
    auto o = ReuseDataDir(server_->data_dir());
    o.env = kFastCheckpoints;
    return o;
  }());
  Client original_client(original->port());
  ActivityAndCheckpoint(original->port(), LatestSize(original_client));
  output.clear();
  ASSERT_EQ(Witness(original->port(), &output), 0) << output;
  const std::int64_t cosigned = LatestSize(original_client);
  ASSERT_EQ(original->ExitCodeAfterTerm(), 0);

  // The other branch: different events (other sign-ins), and more of them,
  // so its tree is not an extension of the one cosigned.
  auto forked = ServerProcess::Start([&] {
    auto o = ReuseDataDir(fork_dir.path() / "data");
    o.env = kFastCheckpoints;
    return o;
  }());
  Client forked_client(forked->port());
  std::int64_t forked_size = LatestSize(forked_client);
  for (int round = 0; round < 20 && forked_size <= cosigned; ++round) {
    forked_size =
        ActivityAndCheckpoint(forked->port(), forked_size, "sysadmin").at("size").as_int64();
  }
  ASSERT_GT(forked_size, cosigned);
  output.clear();
  EXPECT_EQ(Witness(forked->port(), &output), 4) << output;
  EXPECT_NE(output.find("REFUSED"), std::string::npos) << output;
  EXPECT_NE(output.find("FORK"), std::string::npos) << output;
  EXPECT_NE(output.find("size " + std::to_string(cosigned)), std::string::npos) << output;
  // Nothing was cosigned on the fork, and the state still names the original.
  Reply latest = forked_client.Get("/api/public/record/checkpoints/latest");
  ASSERT_EQ(latest.status, 200u);
  EXPECT_FALSE(HasCosignatureBy(latest.json(), "court")) << latest;
  std::ifstream state(state_file());
  const std::string state_text((std::istreambuf_iterator<char>(state)), {});
  EXPECT_NE(state_text.find("\"size\":" + std::to_string(cosigned)), std::string::npos)
      << state_text;
}

TEST_F(WitnessTest, WitnessRefusesAnotherDeploymentKey) {
  AddWitness(server_->data_dir());
  Client anonymous(server_->port());
  ActivityAndCheckpoint(server_->port(), LatestSize(anonymous));
  std::string output;
  ASSERT_EQ(Witness(server_->port(), &output), 0) << output;
  // A deployment of its own (no demo: a fresh key; its events are refused sign-ins).
  ServerOptions fresh = WithEnv(kFastCheckpoints);
  fresh.demo = false;
  auto other = ServerProcess::Start(fresh);
  Client other_client(other->port());
  ActivityAndCheckpoint(other->port(), LatestSize(other_client));
  output.clear();
  EXPECT_EQ(Witness(other->port(), &output), 4) << output;
  EXPECT_NE(output.find("deployment key changed"), std::string::npos) << output;
}

TEST_F(WitnessTest, UnreachableDeploymentIsAnErrorNotARefusal) {
  std::string output;
  const unsigned short port = server_->port();
  ASSERT_EQ(server_->ExitCodeAfterTerm(), 0);
  EXPECT_EQ(Witness(port, &output), 1) << output;
  EXPECT_FALSE(fs::exists(state_file()));
}

}  // namespace
}  // namespace lvyuan::http_test
