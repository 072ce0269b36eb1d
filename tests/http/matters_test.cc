// Matters through the API on the real server: the 行刑衔接 path end to end
// (the ecology bureau records a clue and transfers a suspected crime to the
// police, the procuratorate is copied automatically, the police accept and
// decide, the procuratorate opens filing supervision), visibility (404 for
// units that do not take part, exactly as for a missing id), 403 for a
// participant without the rule, If-Match (428 without, 409 when stale),
// the timeline, notifications, and the ID number never leaving the server in
// plain, nor lying in plain in the database file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <thread>

#include "harness.h"
#include "matter_support.h"

namespace lvyuan::http_test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kIdNumber = "330502198001011231";
constexpr std::string_view kPolice = "湖州市公安局";

class MattersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = ServerProcess::Start().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  std::unique_ptr<Client> SignIn(std::string_view username) {
    return SignInDemoUser(server_->port(), username);
  }

  // Every body the server sent, to check no ID number leaves it in plain.
  Reply Keep(Reply reply) {
    bodies_ += reply.body;
    return reply;
  }

  static HeaderMap IfMatch(std::int64_t version) {
    return {{"If-Match", "\"" + std::to_string(version) + "\""}};
  }

  Reply Act(Client& client, std::int64_t id, std::string_view action, json::object fields,
            std::int64_t version) {
    return Keep(
        client.Post("/api/v1/matters/" + std::to_string(id) + "/actions/" + std::string(action),
                    json::object{{"fields", std::move(fields)}}, IfMatch(version)));
  }

  static std::set<std::int64_t> ListedIds(Client& client, std::string_view query = "") {
    std::set<std::int64_t> ids;
    for (const auto& item : ListAll(client, "/api/v1/matters" + std::string(query), 100)) {
      ids.insert(AsInt(item.at("id")));
    }
    return ids;
  }

  static ServerProcess* server_;
  std::string bodies_;
};
ServerProcess* MattersTest::server_ = nullptr;

TEST_F(MattersTest, CriminalTransferRunsFromClueToFilingSupervision) {
  auto officer = SignIn("hzhb_officer");
  auto reviewer = SignIn("hzhb_reviewer");
  auto police = SignIn("hzga_officer");
  auto police_again = SignIn("hzga_officer");
  auto procurator = SignIn("hzjc_procurator");
  auto judge = SignIn("hzzy_judge");
  auto resources = SignIn("hzzr_officer");
  auto sysadmin = SignIn("sysadmin");
  const std::optional<std::int64_t> police_unit = FindUnitId(*sysadmin, kPolice);
  ASSERT_TRUE(police_unit.has_value());

  // The definitions the UI renders.
  Reply workflows = officer->Get("/api/v1/workflows");
  ASSERT_EQ(workflows.status, 200u) << workflows;
  EXPECT_EQ(workflows.json().at("workflows").as_array().size(), 7u);

  // The ecology bureau records a clue about a person, with a photo.
  const std::int64_t photo = UploadPhoto(*officer);
  json::object clue{{"title", "某化工厂夜间偷排"},
                    {"source", "complaint"},
                    {"domain", "water"},
                    {"region", "330502"},
                    {"address", "吴兴区某路 1 号"},
                    {"subject", {{"kind", "person"}, {"id_number", kIdNumber}, {"name", "张三"}}},
                    {"description", "群众举报夜间向河道排放废水"},
                    {"attachments", json::array{photo}}};
  Reply created =
      Keep(officer->Post("/api/v1/matters", json::object{{"kind", "clue"}, {"fields", clue}}));
  ASSERT_EQ(created.status, 201u) << created;
  const std::int64_t clue_id = AsInt(created.json().at("id"));
  EXPECT_EQ(created.header("Location"), "/api/v1/matters/" + std::to_string(clue_id));
  EXPECT_EQ(created.header("ETag"), "\"1\"");
  EXPECT_EQ(AsString(created.json().at("number")).substr(0, 9), "湖环线");
  EXPECT_EQ(AsString(created.json().at("fields").at("subject").at("id_number_masked")),
            "330502********1231");

  // Bad input names the field.
  json::object no_region = clue;
  no_region.erase("region");
  Reply missing =
      Keep(officer->Post("/api/v1/matters", json::object{{"kind", "clue"}, {"fields", no_region}}));
  EXPECT_EQ(missing.status, 400u) << missing;
  EXPECT_EQ(missing.error_field(), "region");

  // A participant (the owner unit) whose role no rule admits: 403.
  const json::object transfer{{"police_unit", *police_unit}, {"suspected_offence", "污染环境罪"}};
  Reply refused = Act(*reviewer, clue_id, "transfer_criminal", transfer, 1);
  EXPECT_EQ(refused.status, 403u) << refused;
  // No If-Match: 428 naming it.
  Reply unconditional = Keep(
      officer->Post("/api/v1/matters/" + std::to_string(clue_id) + "/actions/transfer_criminal",
                    json::object{{"fields", transfer}}));
  EXPECT_EQ(unconditional.status, 428u) << unconditional;
  EXPECT_EQ(unconditional.error_field(), "If-Match");

  Reply transferred = Act(*officer, clue_id, "transfer_criminal", transfer, 1);
  ASSERT_EQ(transferred.status, 200u) << transferred;
  EXPECT_EQ(AsString(transferred.json().at("state")), "transferred");
  EXPECT_EQ(transferred.header("ETag"), "\"2\"");
  const json::value after_transfer = transferred.json();
  const json::array& links = after_transfer.at("links").as_array();
  ASSERT_EQ(links.size(), 1u);
  const std::int64_t id = AsInt(links[0].at("to_matter_id"));
  const std::string path = "/api/v1/matters/" + std::to_string(id);

  // The procuratorate was copied automatically and sees it.
  Reply copied = Keep(procurator->Get(path));
  ASSERT_EQ(copied.status, 200u) << copied;
  EXPECT_EQ(AsString(copied.json().at("kind")), "criminal_transfer");
  EXPECT_EQ(copied.json().at("relations"), json::array{"copied"});
  EXPECT_TRUE(ListedIds(*procurator).contains(id));
  EXPECT_TRUE(ListedIds(*police, "?kind=criminal_transfer&state=sent").contains(id));
  // The police must accept within 24 hours: the list shows the yellow card by
  // the working-day calendar (at most one working day left).
  Reply sent = Keep(police->Get("/api/v1/matters?kind=criminal_transfer&state=sent&limit=100"));
  ASSERT_EQ(sent.status, 200u) << sent;
  bool carded = false;
  const json::value sent_body = sent.json();
  for (const auto& item : sent_body.at("items").as_array()) {
    if (AsInt(item.at("id")) != id) continue;
    carded = true;
    EXPECT_EQ(AsString(item.at("deadline_status")), "due_soon") << sent;
  }
  EXPECT_TRUE(carded) << sent;

  // Units that do not take part: 404 exactly as a missing id; absent from lists.
  Reply absent = Keep(judge->Get("/api/v1/matters/987654321"));
  for (Client* outsider : {judge.get(), resources.get()}) {
    Reply hidden = Keep(outsider->Get(path));
    EXPECT_EQ(hidden.status, 404u) << hidden;
    EXPECT_EQ(hidden.body, absent.body);
    EXPECT_EQ(Keep(outsider->Get(path + "/timeline")).status, 404u);
    EXPECT_EQ(Act(*outsider, id, "accept", {}, 1).status, 404u);
    EXPECT_FALSE(ListedIds(*outsider).contains(id));
  }
  // The three separated administrators see no matters at all.
  EXPECT_EQ(sysadmin->Get("/api/v1/matters").status, 403u);
  EXPECT_EQ(SignIn("auditadmin")->Get(path).status, 403u);

  // The recipient's users are told.
  Reply inbox = Keep(police->Get("/api/v1/notifications?unread=true"));
  ASSERT_EQ(inbox.status, 200u) << inbox;
  std::int64_t notification = 0;
  const json::value inbox_body = inbox.json();
  for (const auto& n : inbox_body.at("items").as_array()) {
    if (AsInt(n.at("matter_id")) == id) notification = AsInt(n.at("id"));
  }
  ASSERT_NE(notification, 0) << inbox;
  const std::int64_t unread = AsInt(inbox_body.at("unread_count"));
  const std::string read_path = "/api/v1/notifications/" + std::to_string(notification) + "/read";
  EXPECT_EQ(procurator->Post(read_path).status, 404u);
  EXPECT_EQ(police->Post(read_path).status, 204u);
  EXPECT_EQ(AsInt(police->Get("/api/v1/notifications").json().at("unread_count")), unread - 1);

  // Two acceptances of the same version at once: one wins, the other is stale.
  Reply first, second;
  {
    const std::string accept = path + "/actions/accept";
    const json::object body{{"fields", json::object{}}};
    std::thread a([&] { first = police->Post(accept, body, IfMatch(1)); });
    std::thread b([&] { second = police_again->Post(accept, body, IfMatch(1)); });
    a.join();
    b.join();
  }
  std::multiset<unsigned> statuses = {first.status, second.status};
  EXPECT_EQ(statuses, (std::multiset<unsigned>{200u, 409u})) << first << second;
  const Reply& stale = first.status == 409u ? first : second;
  EXPECT_EQ(stale.error_code(), "ABORTED") << stale;

  Reply declined = Act(*police, id, "decline", {{"reason", "证据不足，暂不构成犯罪"}}, 2);
  ASSERT_EQ(declined.status, 200u) << declined;
  EXPECT_EQ(AsString(declined.json().at("state")), "not_filed");
  Reply supervised =
      Act(*procurator, id, "open_supervision", {{"supervision_opinion", "应当立案侦查"}}, 3);
  ASSERT_EQ(supervised.status, 200u) << supervised;
  EXPECT_EQ(supervised.json().at("relations"), (json::array{"copied", "supervisor"}));
  Reply filed = Act(*police, id, "file_case", {{"filing_number", "湖公立字〔2026〕8号"}}, 4);
  ASSERT_EQ(filed.status, 200u) << filed;
  EXPECT_EQ(AsString(filed.json().at("state")), "filed");
  EXPECT_EQ(AsString(filed.json().at("deadlines").at(0).at("name")), "material_handover");

  // The timeline lists every step, newest first.
  Reply timeline = Keep(officer->Get(path + "/timeline"));
  ASSERT_EQ(timeline.status, 200u) << timeline;
  std::vector<std::string> actions;
  const json::value events = timeline.json();
  for (const auto& e : events.at("items").as_array()) {
    actions.push_back(AsString(e.at("action")));
    EXPECT_FALSE(e.as_object().contains("client_ip"));
  }
  EXPECT_EQ(actions,
            (std::vector<std::string>{"matter.file_case", "matter.open_supervision",
                                      "matter.decline", "matter.accept", "matter.create"}));
  // One action's events only; an action the kind does not have names the field.
  Reply accepts = Keep(officer->Get(path + "/timeline?action=accept"));
  ASSERT_EQ(accepts.status, 200u) << accepts;
  ASSERT_EQ(accepts.json().at("items").as_array().size(), 1u) << accepts;
  EXPECT_EQ(AsString(accepts.json().at("items").at(0).at("action")), "matter.accept");
  Reply unknown = Keep(officer->Get(path + "/timeline?action=nonesuch"));
  EXPECT_EQ(unknown.status, 400u) << unknown;
  EXPECT_EQ(unknown.error_field(), "action");

  Keep(officer->Get("/api/v1/matters/" + std::to_string(clue_id)));
  // The clue's creation names the photo it attached, with the evidence id it opens by.
  Reply clue_created =
      Keep(officer->Get("/api/v1/matters/" + std::to_string(clue_id) + "/timeline?action=create"));
  ASSERT_EQ(clue_created.status, 200u) << clue_created;
  const json::value created_events = clue_created.json();
  ASSERT_EQ(created_events.at("items").as_array().size(), 1u) << clue_created;
  const json::array& files = created_events.at("items").at(0).at("files").as_array();
  ASSERT_EQ(files.size(), 1u) << clue_created;
  EXPECT_EQ(AsInt(files[0].at("evidence_id")), photo);
  EXPECT_EQ(AsString(files[0].at("sm3")).size(), 64u);
  Keep(procurator->Get("/api/v1/matters?limit=100"));

  EXPECT_EQ(bodies_.find(kIdNumber), std::string::npos);
  if (server_->backend() == "sqlite") {
    std::string bytes;
    for (const auto& entry : fs::directory_iterator(server_->data_dir())) {
      if (entry.path().filename().string().starts_with("lvyuan.db")) {
        std::ifstream in(entry.path(), std::ios::binary);
        bytes += std::string(std::istreambuf_iterator<char>(in), {});
      }
    }
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes.find(kIdNumber), std::string::npos);
  }
}

TEST_F(MattersTest, DemoHasMattersToShowWithUnitAbbreviations) {
  auto officer = SignIn("hzhb_officer");
  Reply list = officer->Get("/api/v1/matters?kind=criminal_transfer&state=accepted");
  ASSERT_EQ(list.status, 200u) << list;
  ASSERT_FALSE(list.json().at("items").as_array().empty());
  EXPECT_EQ(AsString(list.json().at("items").at(0).at("number")).substr(0, 12), "湖环刑移");
  EXPECT_GE(AsInt(list.json().at("counts").at("accepted")), 1);
  Reply bad = officer->Get("/api/v1/matters?created_from=2026-13-01");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.error_field(), "created_from");
}

// The list's answers are reused (matters.list_cache_entries) only while
// nothing new is recorded and only within one unit's scope: a change shows in
// the very next list, another unit never gets this unit's answer, and a unit
// renamed shows its new name at once.
TEST_F(MattersTest, ListAnswersFollowEveryChangeAndStayWithinTheirUnit) {
  auto officer = SignIn("hzhb_officer");
  auto police = SignIn("hzga_officer");
  auto sysadmin = SignIn("sysadmin");
  const std::string query = "/api/v1/matters?kind=clue&limit=5";

  Reply first = officer->Get(query);
  ASSERT_EQ(first.status, 200u) << first;
  Reply again = officer->Get(query);
  ASSERT_EQ(again.status, 200u) << again;
  EXPECT_EQ(again.body, first.body);
  const std::int64_t registered = first.json().at("counts").as_object().contains("registered")
                                      ? AsInt(first.json().at("counts").at("registered"))
                                      : 0;

  // The police see their own list, not the officer's kept answer.
  Reply theirs = police->Get(query);
  ASSERT_EQ(theirs.status, 200u) << theirs;
  EXPECT_NE(theirs.body, first.body);

  json::object clue{{"title", "某砂石场夜间非法采砂 cache"},
                    {"source", "patrol"},
                    {"domain", "illegal_mining"},
                    {"region", "330502"},
                    {"address", "吴兴区某河段"},
                    {"description", "巡查发现夜间采砂作业"}};
  Reply created =
      officer->Post("/api/v1/matters", json::object{{"kind", "clue"}, {"fields", clue}});
  ASSERT_EQ(created.status, 201u) << created;
  const std::int64_t id = AsInt(created.json().at("id"));

  Reply after = officer->Get(query);
  ASSERT_EQ(after.status, 200u) << after;
  ASSERT_FALSE(after.json().at("items").as_array().empty());
  EXPECT_EQ(AsInt(after.json().at("items").at(0).at("id")), id);
  EXPECT_EQ(AsInt(after.json().at("counts").at("registered")), registered + 1);
  EXPECT_EQ(ListedIds(*police, "?kind=clue").count(id), 0u);

  // A state change shows in the next list.
  Reply handled = Act(*officer, id, "handle", {}, 1);
  ASSERT_EQ(handled.status, 200u) << handled;
  Reply moved = officer->Get(query);
  EXPECT_EQ(AsString(moved.json().at("items").at(0).at("state")), "handling");

  // Renaming the owner unit shows in the next list.
  const std::int64_t unit = AsInt(moved.json().at("items").at(0).at("owner_unit_id"));
  const std::string name = AsString(moved.json().at("items").at(0).at("owner_unit_name"));
  const std::string unit_path = "/api/v1/units/" + std::to_string(unit);
  Reply renamed = sysadmin->Patch(unit_path, {{"name", name + "（更名）"}});
  ASSERT_EQ(renamed.status, 200u) << renamed;
  Reply named = officer->Get(query);
  EXPECT_EQ(AsString(named.json().at("items").at(0).at("owner_unit_name")), name + "（更名）");
  Reply back = sysadmin->Patch(unit_path, {{"name", name}});
  ASSERT_EQ(back.status, 200u) << back;
}

}  // namespace
}  // namespace lvyuan::http_test
