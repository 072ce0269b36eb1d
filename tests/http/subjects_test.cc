// Subjects, the business users' unit directory, matter files and timeline
// reads on the real server: a subject exists only for the units that see a
// matter naming it (404 otherwise, exactly as for a missing id), search by
// name prefix, ID number and credit code, the ID number shown to the owner
// and the recipient only with every showing in the record, the directory's
// fields and active units only, a matter's file downloadable by every unit
// of the matter and by nobody else, and timeline reads in the read-access
// log.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness.h"
#include "matter_support.h"

namespace lvyuan::http_test {
namespace {

namespace json = boost::json;

constexpr std::string_view kIdNumber = "330502198001011231";
constexpr std::string_view kName = "欧阳志远";

class SubjectsTest : public ::testing::Test {
 protected:
  // One clue about a person, with a photo, transferred to the police as a
  // suspected crime (the procuratorate is copied): shared by every test.
  static void SetUpTestSuite() {
    server_ = ServerProcess::Start().release();
    auto officer = SignIn("hzhb_officer");
    auto sysadmin = SignIn("sysadmin");
    const std::optional<std::int64_t> police = FindUnitId(*sysadmin, "湖州市公安局");
    if (!police) throw std::runtime_error("no police unit");
    photo_ = UploadPhoto(*officer);
    json::object clue{{"title", "某化工厂夜间偷排"},
                      {"source", "complaint"},
                      {"domain", "water"},
                      {"region", "330502"},
                      {"address", "吴兴区某路 1 号"},
                      {"subject", {{"kind", "person"}, {"id_number", kIdNumber}, {"name", kName}}},
                      {"description", "群众举报夜间向河道排放废水"},
                      {"attachments", json::array{photo_}}};
    Reply created =
        officer->Post("/api/v1/matters", json::object{{"kind", "clue"}, {"fields", clue}});
    if (created.status != 201) throw std::runtime_error("clue: " + created.body);
    clue_ = AsInt(created.json().at("id"));
    subject_ = AsInt(created.json().at("fields").at("subject").at("subject_id"));
    Reply transferred = officer->Post(
        "/api/v1/matters/" + std::to_string(clue_) + "/actions/transfer_criminal",
        json::object{{"fields", {{"police_unit", *police}, {"suspected_offence", "污染环境罪"}}}},
        {{"If-Match", "\"1\""}});
    if (transferred.status != 200) throw std::runtime_error("transfer: " + transferred.body);
    transfer_ = AsInt(transferred.json().at("links").at(0).at("to_matter_id"));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static std::unique_ptr<Client> SignIn(std::string_view username) {
    return SignInDemoUser(server_->port(), username);
  }

  static std::string SubjectPath() { return "/api/v1/subjects/" + std::to_string(subject_); }

  static std::vector<std::int64_t> Found(Client& client, std::string_view q) {
    std::vector<std::int64_t> ids;
    for (const auto& item : ListAll(client, "/api/v1/subjects?q=" + UrlEncode(q))) {
      ids.push_back(AsInt(item.at("id")));
    }
    return ids;
  }

  // The audit log's events matching `query`, as the audit administrator
  // reads them (the read-access log is this list by action).
  static json::array AuditEvents(std::string_view query) {
    auto audit = SignIn("auditadmin");
    Reply reply = audit->Get("/api/v1/audit/events?" + std::string(query));
    if (reply.status != 200) throw std::runtime_error("audit: " + reply.body);
    return reply.json().at("items").as_array();
  }

  static std::set<std::int64_t> MattersOfSubject(Client& client) {
    std::set<std::int64_t> ids;
    for (const auto& item :
         ListAll(client, "/api/v1/matters?subject_id=" + std::to_string(subject_))) {
      ids.insert(AsInt(item.at("id")));
    }
    return ids;
  }

  static ServerProcess* server_;
  static std::int64_t photo_;
  static std::int64_t clue_;
  static std::int64_t transfer_;
  static std::int64_t subject_;
};
ServerProcess* SubjectsTest::server_ = nullptr;
std::int64_t SubjectsTest::photo_ = 0;
std::int64_t SubjectsTest::clue_ = 0;
std::int64_t SubjectsTest::transfer_ = 0;
std::int64_t SubjectsTest::subject_ = 0;

TEST_F(SubjectsTest, ASubjectOfOtherUnitsMattersIsNotFoundAndNotListed) {
  auto judge = SignIn("hzzy_judge");
  Reply hidden = judge->Get(SubjectPath());
  EXPECT_EQ(hidden.status, 404u) << hidden;
  Reply missing = judge->Get("/api/v1/subjects/987654321");
  EXPECT_EQ(hidden.body, missing.body);
  EXPECT_TRUE(Found(*judge, kName).empty());
  EXPECT_TRUE(Found(*judge, kIdNumber).empty());
  EXPECT_TRUE(MattersOfSubject(*judge).empty());
  // The administrators have no matter permission at all.
  EXPECT_EQ(SignIn("sysadmin")->Get("/api/v1/subjects").status, 403u);
}

TEST_F(SubjectsTest, FindsByNamePrefixIdNumberAndCreditCode) {
  auto officer = SignIn("hzhb_officer");
  Reply by_name = officer->Get("/api/v1/subjects?q=" + UrlEncode("欧阳志"));
  ASSERT_EQ(by_name.status, 200u) << by_name;
  EXPECT_EQ(AsString(by_name.json().at("matched_by")), "name");
  EXPECT_EQ(Found(*officer, "欧阳志"), std::vector<std::int64_t>{subject_});
  EXPECT_TRUE(Found(*officer, "志远").empty());  // a prefix, not anywhere
  Reply by_number = officer->Get("/api/v1/subjects?q=" + std::string(kIdNumber));
  ASSERT_EQ(by_number.status, 200u) << by_number;
  EXPECT_EQ(AsString(by_number.json().at("matched_by")), "id_number");
  const json::value number_body = by_number.json();
  const json::array& items = number_body.at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(AsInt(items[0].at("id")), subject_);
  EXPECT_EQ(AsString(items[0].at("id_number_masked")), "330502********1231");
  EXPECT_EQ(by_name.body.find(kIdNumber), std::string::npos);
  EXPECT_EQ(by_number.body.find(kIdNumber), std::string::npos);
  // The demo's company (a demo clue of the same unit), by its credit code.
  Reply by_code = officer->Get("/api/v1/subjects?q=91330502ma2b3c4d58");
  ASSERT_EQ(by_code.status, 200u) << by_code;
  EXPECT_EQ(AsString(by_code.json().at("matched_by")), "credit_code");
  ASSERT_EQ(by_code.json().at("items").as_array().size(), 1u);
  EXPECT_EQ(AsString(by_code.json().at("items").at(0).at("name")), "湖州某印染有限公司");

  Reply too_long = officer->Get("/api/v1/subjects?q=" + std::string(101, 'a'));
  EXPECT_EQ(too_long.status, 400u) << too_long;
  EXPECT_EQ(too_long.error_field(), "q");
  EXPECT_EQ(officer->Get("/api/v1/subjects?limit=0").error_field(), "limit");
}

TEST_F(SubjectsTest, ShowsTheIdNumberToOwnerAndRecipientAndRecordsEveryShowing) {
  auto officer = SignIn("hzhb_officer");
  auto police = SignIn("hzga_officer");
  auto procurator = SignIn("hzjc_procurator");

  Reply own = officer->Get(SubjectPath());
  ASSERT_EQ(own.status, 200u) << own;
  EXPECT_EQ(AsString(own.json().at("id_number")), kIdNumber);
  EXPECT_TRUE(own.json().at("id_number_shown").as_bool());
  EXPECT_EQ(AsString(own.json().at("name")), kName);
  EXPECT_EQ(own.json().at("relations"), json::array{"owner"});
  EXPECT_FALSE(own.json().as_object().contains("id_number_sealed"));

  Reply received = police->Get(SubjectPath());
  ASSERT_EQ(received.status, 200u) << received;
  EXPECT_EQ(AsString(received.json().at("id_number")), kIdNumber);

  Reply copied = procurator->Get(SubjectPath());
  ASSERT_EQ(copied.status, 200u) << copied;
  EXPECT_TRUE(copied.json().at("id_number").is_null());
  EXPECT_FALSE(copied.json().at("id_number_shown").as_bool());
  EXPECT_EQ(AsString(copied.json().at("id_number_masked")), "330502********1231");
  EXPECT_EQ(copied.body.find(kIdNumber), std::string::npos);

  const json::array views =
      AuditEvents("action=subject.view&object_type=subject&object_id=" + std::to_string(subject_));
  std::multiset<std::string> readers;
  for (const auto& e : views) readers.insert(AsString(e.at("actor_username")));
  EXPECT_EQ(readers, (std::multiset<std::string>{"hzga_officer", "hzhb_officer"}));
  for (const auto& e : views) EXPECT_EQ(json::serialize(e).find(kIdNumber), std::string::npos);
}

TEST_F(SubjectsTest, TheSubjectListFilterShowsOnlyVisibleMatters) {
  auto officer = SignIn("hzhb_officer");
  auto police = SignIn("hzga_officer");
  EXPECT_EQ(MattersOfSubject(*officer), (std::set<std::int64_t>{clue_, transfer_}));
  EXPECT_EQ(MattersOfSubject(*police), (std::set<std::int64_t>{transfer_}));
  Reply own = officer->Get(SubjectPath());
  EXPECT_EQ(AsString(own.json().at("matters")),
            "/api/v1/matters?subject_id=" + std::to_string(subject_));
}

TEST_F(SubjectsTest, DirectoryListsActiveUnitsWithoutAdministrativeFields) {
  auto sysadmin = SignIn("sysadmin");
  Reply made = sysadmin->Post("/api/v1/units", json::object{{"name", "待撤销测试单位"},
                                                            {"type", "other"},
                                                            {"region_code", "330500"},
                                                            {"contact_phone", "13812345678"}});
  ASSERT_EQ(made.status, 201u) << made;
  const std::string unit_path = "/api/v1/units/" + std::to_string(AsInt(made.json().at("id")));
  Reply disabled = sysadmin->Patch(
      unit_path, json::object{{"enabled", false}, {"version", made.json().at("version")}});
  ASSERT_EQ(disabled.status, 200u) << disabled;

  auto judge = SignIn("hzzy_judge");
  Reply first = judge->Get("/api/v1/directory/units?limit=200");
  ASSERT_EQ(first.status, 200u) << first;
  const std::set<std::string> keys = {"id",          "name",         "type",      "region_code",
                                      "region_name", "abbreviation", "parent_id", "parent_name"};
  std::map<std::string, json::object> by_name;
  for (const auto& unit : ListAll(*judge, "/api/v1/directory/units", 5)) {
    std::set<std::string> got;
    for (const auto& [key, value] : unit) got.insert(std::string(key));
    EXPECT_EQ(got, keys);
    by_name[AsString(unit.at("name"))] = unit;
  }
  EXPECT_FALSE(by_name.contains("待撤销测试单位"));
  ASSERT_TRUE(by_name.contains("湖州市中级人民法院"));
  EXPECT_EQ(AsString(by_name["湖州市中级人民法院"].at("parent_name")), "浙江省高级人民法院");
  EXPECT_EQ(AsString(by_name["湖州市中级人民法院"].at("type")), "court");
  ASSERT_TRUE(by_name.contains("湖州市生态环境局"));
  EXPECT_EQ(AsString(by_name["湖州市生态环境局"].at("abbreviation")), "湖环");
  EXPECT_EQ(AsString(by_name["湖州市生态环境局"].at("region_code")), "330500");
  EXPECT_EQ(first.body.find("13812345678"), std::string::npos);

  Reply courts = judge->Get("/api/v1/directory/units?type=court&region=330500");
  ASSERT_EQ(courts.status, 200u) << courts;
  std::set<std::string> names;
  const json::value courts_body = courts.json();
  for (const auto& unit : courts_body.at("items").as_array()) {
    names.insert(AsString(unit.at("name")));
  }
  EXPECT_EQ(names, (std::set<std::string>{"湖州市中级人民法院", "安吉县人民法院"}));
  EXPECT_EQ(judge->Get("/api/v1/directory/units?region=33a").error_field(), "region");
  EXPECT_EQ(sysadmin->Get("/api/v1/directory/units").status, 403u);
}

TEST_F(SubjectsTest, AMatterFileDownloadsForEveryUnitOfTheMatterOnly) {
  const std::string content = "/api/v1/evidence/" + std::to_string(photo_) + "/content";
  auto officer = SignIn("hzhb_officer");
  Reply original = officer->Get(content);
  ASSERT_EQ(original.status, 200u) << original;
  for (std::string_view reader : {"hzga_officer", "hzjc_procurator"}) {
    Reply got = SignIn(reader)->Get(content);
    ASSERT_EQ(got.status, 200u) << reader << got;
    EXPECT_EQ(got.body, original.body);
  }
  Reply missing = SignIn("hzzy_judge")->Get("/api/v1/evidence/987654321/content");
  for (std::string_view stranger : {"hzzy_judge", "tj_mediator", "hzzr_officer"}) {
    Reply refused = SignIn(stranger)->Get(content);
    EXPECT_EQ(refused.status, 404u) << stranger << refused;
    EXPECT_EQ(refused.body, missing.body);
  }
  std::multiset<std::string> readers;
  for (const auto& e : AuditEvents("action=evidence.download&object_type=evidence&object_id=" +
                                   std::to_string(photo_))) {
    readers.insert(AsString(e.at("actor_username")));
  }
  EXPECT_EQ(readers,
            (std::multiset<std::string>{"hzhb_officer", "hzga_officer", "hzjc_procurator"}));
}

TEST_F(SubjectsTest, ATimelineReadIsInTheReadAccessLogAndNamesTheActorsUnits) {
  auto police = SignIn("hzga_officer");
  const std::string path = "/api/v1/matters/" + std::to_string(transfer_) + "/timeline";
  Reply timeline = police->Get(path);
  ASSERT_EQ(timeline.status, 200u) << timeline;
  const json::value body = timeline.json();
  const json::array& items = body.at("items").as_array();
  ASSERT_FALSE(items.empty());
  const json::value& created = items.back();  // oldest last
  EXPECT_EQ(AsString(created.at("action")), "matter.create");
  EXPECT_EQ(AsString(created.at("actor_unit_name")), "湖州市生态环境局");

  EXPECT_EQ(SignIn("hzzy_judge")->Get(path).status, 404u);
  const json::array reads = AuditEvents("action=record.view&object_type=record&object_id=matter:" +
                                        std::to_string(transfer_));
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(AsString(reads[0].at("actor_username")), "hzga_officer");
  EXPECT_EQ(AsString(reads[0].at("detail").at("view")), "timeline");
  EXPECT_EQ(AsInt(reads[0].at("detail").at("events")), static_cast<std::int64_t>(items.size()));
}

}  // namespace
}  // namespace lvyuan::http_test
