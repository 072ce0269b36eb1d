// The whole-process record over HTTP: the public key and signed checkpoints
// anyone can fetch, inclusion and consistency proofs that verify with the
// RFC 9162 algorithms against the signed roots, and supervised reads.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/encoding.h"
#include "crypto/sign.h"
#include "harness.h"
#include "record/checkpoint.h"
#include "record/merkle.h"

namespace lvyuan::http_test {
namespace {
namespace json = boost::json;
using record::Hash;

Hash HexHash(const json::value& v) {
  auto bytes = core::HexDecode(std::string(v.as_string()));
  Hash h{};
  if (!bytes.ok() || bytes->size() != h.size()) throw std::runtime_error("not a hash");
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

std::vector<Hash> HashList(const json::value& v) {
  std::vector<Hash> out;
  for (const auto& item : v.as_array()) out.push_back(HexHash(item));
  return out;
}

store::CheckpointRecord CheckpointOf(const json::object& o) {
  store::CheckpointRecord c;
  c.size = o.at("size").as_int64();
  Hash root = HexHash(o.at("root"));
  c.root.assign(root.begin(), root.end());
  std::int64_t at = 0;
  core::ParseIsoTime(std::string(o.at("at").as_string()), &at);
  c.at = at;
  c.body = std::string(o.at("body").as_string());
  c.key_id = std::string(o.at("key_id").as_string());
  c.signature = core::Base64Decode(std::string(o.at("signature").as_string())).value();
  return c;
}

class RecordTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = ServerProcess::Start(WithEnv({{"LVYUAN_RECORD_CHECKPOINT_EVERY", "5"},
                                            {"LVYUAN_RECORD_CHECKPOINT_INTERVAL_S", "1"}}))
                  .release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    audit_ = std::make_unique<Client>(server_->port());
    ASSERT_EQ(audit_->Login("auditadmin", kDemoPassword).status, 200u);
    anonymous_ = std::make_unique<Client>(server_->port());
    Reply key = anonymous_->Get("/api/public/record/key");
    ASSERT_EQ(key.status, 200u) << key;
    auto pub = crypto::PublicKey::FromPem(std::string(key.json().at("public_key_pem").as_string()));
    ASSERT_TRUE(pub.ok()) << pub.error().ToString();
    key_ = std::make_unique<crypto::PublicKey>(std::move(pub).value());
    EXPECT_EQ(key.json().at("key_id").as_string(), key_->KeyId());
    EXPECT_EQ(key.json().at("algorithm").as_string(), "sm2");
    EXPECT_EQ(key.json().at("hash").as_string(), "sm3");
  }

  // The newest checkpoint once it covers at least `size` events (the server
  // makes one every second while events arrive; bounded wait).
  json::object CheckpointCovering(std::int64_t size) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      Reply r = anonymous_->Get("/api/public/record/checkpoints/latest");
      if (r.status == 200 && r.json().at("size").as_int64() >= size) return r.json().as_object();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "no checkpoint covering " << size;
    return {};
  }

  std::int64_t NewestSeq() {
    Reply r = audit_->Get("/api/v1/audit/events?limit=1");
    return r.json().at("items").as_array().at(0).at("seq").as_int64();
  }

  static inline ServerProcess* server_ = nullptr;
  std::unique_ptr<Client> audit_;
  std::unique_ptr<Client> anonymous_;
  std::unique_ptr<crypto::PublicKey> key_;
};

TEST_F(RecordTest, CheckpointsAreSignedByThePublishedKey) {
  json::object latest = CheckpointCovering(NewestSeq());
  store::CheckpointRecord c = CheckpointOf(latest);
  EXPECT_TRUE(record::VerifyCheckpoint(c, *key_, record::HashAlgorithm::kSm3).ok());
  Reply by_size = anonymous_->Get("/api/public/record/checkpoints/" + std::to_string(c.size));
  ASSERT_EQ(by_size.status, 200u) << by_size;
  EXPECT_EQ(by_size.json().at("root"), latest.at("root"));
  const std::string note(latest.at("signed_note").as_string());
  EXPECT_EQ(note.rfind(c.body + "\n\u2014 lvyuan/" + key_->KeyId() + " ", 0), 0u) << note;
  EXPECT_EQ(anonymous_->Get("/api/public/record/checkpoints/999999999").status, 404u);
}

TEST_F(RecordTest, InclusionProofVerifiesAgainstTheSignedRoot) {
  const std::int64_t seq = NewestSeq();
  CheckpointCovering(seq);
  Reply r = audit_->Get("/api/v1/record/events/" + std::to_string(seq) + "/proof");
  ASSERT_EQ(r.status, 200u) << r;
  const json::value reply_json = r.json();
  const json::object& p = reply_json.as_object();
  const std::string canonical(p.at("canonical").as_string());
  const Hash leaf = record::LeafHash(record::HashAlgorithm::kSm3, core::AsBytes(canonical));
  EXPECT_EQ(leaf, HexHash(p.at("leaf_hash")));
  ASSERT_EQ(p.at("checkpoint").at("size"), p.at("tree_size"));
  const auto size = static_cast<std::uint64_t>(p.at("tree_size").as_int64());
  EXPECT_GE(size, static_cast<std::uint64_t>(seq));
  const Hash signed_root = HexHash(p.at("checkpoint").at("root"));
  EXPECT_TRUE(record::VerifyCheckpoint(CheckpointOf(p.at("checkpoint").as_object()), *key_,
                                       record::HashAlgorithm::kSm3)
                  .ok());
  const auto proof = HashList(p.at("proof"));
  EXPECT_TRUE(record::VerifyInclusion(record::HashAlgorithm::kSm3,
                                      static_cast<std::uint64_t>(seq - 1), size, leaf, proof,
                                      signed_root)
                  .ok());
  // A changed canonical text no longer matches.
  std::string forged = canonical;
  forged[forged.find("\"outcome\":\"") + 11] = 'x';
  EXPECT_FALSE(record::VerifyInclusion(
                   record::HashAlgorithm::kSm3, static_cast<std::uint64_t>(seq - 1), size,
                   record::LeafHash(record::HashAlgorithm::kSm3, core::AsBytes(forged)), proof,
                   signed_root)
                   .ok());
}

TEST_F(RecordTest, ConsistencyProofLinksTwoSignedCheckpoints) {
  json::object first = CheckpointCovering(NewestSeq());
  // More events: another sign-in by the audit admin.
  Client again(server_->port());
  ASSERT_EQ(again.Login("auditadmin", kDemoPassword).status, 200u);
  json::object second = CheckpointCovering(first.at("size").as_int64() + 1);
  const std::int64_t from = first.at("size").as_int64();
  const std::int64_t to = second.at("size").as_int64();
  Reply r = anonymous_->Get("/api/public/record/consistency?from=" + std::to_string(from) +
                            "&to=" + std::to_string(to));
  ASSERT_EQ(r.status, 200u) << r;
  EXPECT_TRUE(
      record::VerifyConsistency(record::HashAlgorithm::kSm3, static_cast<std::uint64_t>(from),
                                static_cast<std::uint64_t>(to), HashList(r.json().at("proof")),
                                HexHash(first.at("root")), HexHash(second.at("root")))
          .ok());
  Reply bad = anonymous_->Get("/api/public/record/consistency?from=" + std::to_string(to) +
                              "&to=" + std::to_string(from));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(anonymous_->Get("/api/public/record/consistency?from=1&to=999999999").status, 400u);
  EXPECT_EQ(anonymous_->Get("/api/public/record/consistency?from=0&to=2").error_field(), "from");
}

TEST_F(RecordTest, OtherUnitsCannotReadAnEventAndTheAttemptIsRecorded) {
  const std::int64_t seq = NewestSeq();  // the audit admin's own sign-in
  Client officer(server_->port());
  ASSERT_EQ(officer.Login("hzga_officer", kDemoPassword).status, 200u);
  Reply r = officer.Get(
      "/api/v1/record/events/" + std::to_string(seq) + "/proof?size=" + std::to_string(seq),
      {{"X-Request-Id", "record-peek-1"}});
  EXPECT_EQ(r.status, 404u) << r;
  Reply events = audit_->Get("/api/v1/audit/events?request_id=record-peek-1");
  ASSERT_EQ(events.status, 200u);
  const json::value events_json = events.json();
  const auto& items = events_json.at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("action").as_string(), "record.view");
  EXPECT_EQ(items[0].at("outcome").as_string(), "denied");
  EXPECT_EQ(items[0].at("actor_username").as_string(), "hzga_officer");
  EXPECT_EQ(items[0].at("object_id").as_string(), std::to_string(seq));
}

TEST_F(RecordTest, EveryChangeLeavesAnEventWithBeforeAndAfter) {
  Client admin(server_->port());
  ASSERT_EQ(admin.Login("sysadmin", kDemoPassword).status, 200u);
  Reply created = admin.Post(
      "/api/v1/units",
      json::object{
          {"name", "记录测试单位"}, {"type", "ecology_environment"}, {"region_code", "330502"}},
      {{"X-Request-Id", "record-unit-1"}});
  ASSERT_EQ(created.status, 201u) << created;
  Reply events = audit_->Get("/api/v1/audit/events?request_id=record-unit-1");
  const json::value events_json = events.json();
  const auto& items = events_json.at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("action").as_string(), "unit.create");
  EXPECT_EQ(items[0].at("changes").at("name").at("after").as_string(), "记录测试单位");
  EXPECT_TRUE(items[0].at("changes").at("name").at("before").is_null());
}

TEST_F(RecordTest, ObjectRecordPageProvesEveryCoveredEventAndIsItselfRecorded) {
  Client admin(server_->port());
  ASSERT_EQ(admin.Login("sysadmin", kDemoPassword).status, 200u);
  Reply created = admin.Post("/api/v1/units", json::object{{"name", "记录页测试单位"},
                                                           {"type", "ecology_environment"},
                                                           {"region_code", "330502"}});
  ASSERT_EQ(created.status, 201u) << created;
  const std::string id = std::to_string(created.json().at("id").as_int64());
  ASSERT_EQ(admin.Patch("/api/v1/units/" + id, {{"contact_person", "周记录"}}).status, 200u);
  CheckpointCovering(NewestSeq());

  const std::string target = "/api/v1/record/objects/unit/" + id + "/events";
  Reply r = audit_->Get(target, {{"X-Request-Id", "object-record-1"}});
  ASSERT_EQ(r.status, 200u) << r;
  const json::value page_json = r.json();
  const json::object& page = page_json.as_object();
  const auto size = static_cast<std::uint64_t>(page.at("tree_size").as_int64());
  const Hash root = HexHash(page.at("root"));
  EXPECT_TRUE(record::VerifyCheckpoint(CheckpointOf(page.at("checkpoint").as_object()), *key_,
                                       record::HashAlgorithm::kSm3)
                  .ok());
  EXPECT_TRUE(page.at("exportable").as_bool());
  const auto& items = page.at("items").as_array();
  ASSERT_EQ(items.size(), 2u) << r;  // newest first: the update, then the creation
  EXPECT_EQ(items[0].at("action").as_string(), "unit.update");
  EXPECT_EQ(items[1].at("action").as_string(), "unit.create");
  for (const auto& item : items) {
    const std::string canonical(item.at("canonical").as_string());
    const Hash leaf = record::LeafHash(record::HashAlgorithm::kSm3, core::AsBytes(canonical));
    EXPECT_EQ(leaf, HexHash(item.at("leaf_hash")));
    EXPECT_TRUE(record::VerifyInclusion(record::HashAlgorithm::kSm3,
                                        static_cast<std::uint64_t>(item.at("seq").as_int64() - 1),
                                        size, leaf, HashList(item.at("proof")), root)
                    .ok())
        << item;
  }

  // The read is one record.view event on the object's record (not on the
  // object, whose record does not grow by being looked at).
  Reply viewed = audit_->Get("/api/v1/audit/events?request_id=object-record-1");
  const json::value viewed_json = viewed.json();
  ASSERT_EQ(viewed_json.at("items").as_array().size(), 1u) << viewed;
  const auto& view = viewed_json.at("items").as_array().at(0);
  EXPECT_EQ(view.at("action").as_string(), "record.view");
  EXPECT_EQ(view.at("object_type").as_string(), "record");
  EXPECT_EQ(view.at("object_id").as_string(), "unit:" + id);
  EXPECT_EQ(view.at("detail").at("events").as_int64(), 2);

  // Another unit's officer sees none of these events and nothing is recorded.
  Client officer(server_->port());
  ASSERT_EQ(officer.Login("hzga_officer", kDemoPassword).status, 200u);
  Reply hidden = officer.Get(target, {{"X-Request-Id", "object-record-2"}});
  ASSERT_EQ(hidden.status, 200u) << hidden;
  EXPECT_TRUE(hidden.json().at("items").as_array().empty()) << hidden;
  EXPECT_TRUE(audit_->Get("/api/v1/audit/events?request_id=object-record-2")
                  .json()
                  .at("items")
                  .as_array()
                  .empty());
  EXPECT_EQ(audit_->Get(target + "?limit=0").error_field(), "limit");
}

TEST_F(RecordTest, SystemAdministratorSeesOnlyHisOwnEventsNotTheAuditAdministrators) {
  // All three administrators belong to the platform's unit; 三员分立 keeps
  // the audit administrator's work from the system administrator.
  const std::int64_t audit_login = NewestSeq();  // SetUp's sign-in of auditadmin
  Client admin(server_->port());
  ASSERT_EQ(admin.Login("sysadmin", kDemoPassword).status, 200u);
  const std::string at = "?size=" + std::to_string(audit_login);
  EXPECT_EQ(
      admin.Get("/api/v1/record/events/" + std::to_string(audit_login) + "/proof" + at).status,
      404u);
  Reply created = admin.Post("/api/v1/units", json::object{{"name", "三员分立测试单位"},
                                                           {"type", "ecology_environment"},
                                                           {"region_code", "330502"}});
  ASSERT_EQ(created.status, 201u) << created;
  const std::int64_t own = NewestSeq();
  Reply mine = admin.Get("/api/v1/record/events/" + std::to_string(own) +
                         "/proof?size=" + std::to_string(own));
  EXPECT_EQ(mine.status, 200u) << mine;
}

}  // namespace
}  // namespace lvyuan::http_test
