#include "domain/matters.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "core/validators.h"
#include "domain/catalog.h"
#include "domain/evidence.h"
#include "store/accounts.h"
#include "store/record.h"
#include "workflow/test_env.h"

namespace lvyuan::domain {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using workflow::testing::Shipped;

constexpr std::int64_t kNow = 1'780'000'000'000;  // 2026-05-28, a Thursday
constexpr std::string_view kIdNumber = "330502198001011231";
// A valid unified social credit code (check character computed below).
const std::string kCreditCode = [] {
  std::string code = "91330502MA2B3C4D5";
  return code + core::UsccCheckCharacter(code);
}();

template <typename T>
T Ok(Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.error().ToString());
  return std::move(r).value();
}

struct TestUnit {
  const char* name;
  const char* type;
  const char* abbreviation;
};
// The ecology bureau first: the first admitted actor found is the agency's.
constexpr TestUnit kUnits[] = {
    {"湖州市生态环境局", "ecology_environment", "湖环"},
    {"湖州市公安局", "public_security", "湖公"},
    {"湖州市人民检察院", "procuratorate", "湖检"},
    {"湖州市中级人民法院", "court", "湖中院"},
    {"湖州市自然资源和规划局", "natural_resources", ""},
};

class MattersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto catalog = EvidenceCatalog::Load(workflow::testing::kRoot / "data");
    ASSERT_TRUE(catalog.ok()) << catalog.error().ToString();
    evidence_catalog_ = std::make_unique<EvidenceCatalog>(std::move(catalog).value());
    auto roles = Catalog::Load(workflow::testing::kRoot / "data");
    ASSERT_TRUE(roles.ok()) << roles.error().ToString();
    catalog_ = std::make_unique<Catalog>(std::move(roles).value());
  }
  static void TearDownTestSuite() {
    evidence_catalog_.reset();
    catalog_.reset();
  }

  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lvyuan-matters-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = Ok(store::Open({.url = (dir_ / "lvyuan.db").string()}));
    ASSERT_TRUE(db_->Migrate().ok());
    log_ = Ok(record::Log::Open(*db_, clock_, crypto::HashAlgorithm::kSm3));
    blobs_ = std::make_unique<record::BlobStore>(dir_ / "files");
    evidence_ = std::make_unique<Evidence>(*db_, *log_, *blobs_, *evidence_catalog_, clock_);
    const Shipped& shipped = Shipped::Get();
    matters_ = std::make_unique<Matters>(*db_, *log_, shipped.registry, shipped.calendar,
                                         shipped.regions, cipher_, clock_);
    ASSERT_TRUE(db_->Write([&](store::Conn& conn) -> core::Status {
                     for (const TestUnit& u : kUnits) {
                       store::UnitRecord unit;
                       unit.name = u.name;
                       unit.type = u.type;
                       unit.region_code = "330500";
                       unit.created_at = unit.updated_at = kNow;
                       const std::int64_t id = TRY(store::InsertUnit(conn, unit));
                       TRY(store::SetUnitAbbreviation(conn, id, u.abbreviation));
                       units_[u.type] = id;
                       unit_types_[id] = u.type;
                       // One user for every business role the unit type may hold.
                       for (const Role& role : catalog_->roles()) {
                         if (role.admin_class != AdminClass::kNone || role.code == "unit_admin" ||
                             role.code == "analyst") {
                           continue;
                         }
                         if (!role.unit_types.empty() &&
                             std::find(role.unit_types.begin(), role.unit_types.end(), u.type) ==
                                 role.unit_types.end()) {
                           continue;
                         }
                         store::UserRecord user;
                         user.username = std::string(u.type) + "." + role.code;
                         user.display_name = user.username;
                         user.unit_id = id;
                         user.password_hash = "x";
                         user.created_at = user.updated_at = user.password_changed_at = kNow;
                         const std::int64_t user_id = TRY(store::InsertUser(conn, user));
                         TRY(store::SetUserRoles(conn, user_id, {role.code}));
                         users_.push_back(
                             PrincipalOf(user_id, user.username, id, u.type, role.code));
                       }
                     }
                     return core::Ok();
                   })
                    .ok());
  }

  void TearDown() override {
    matters_.reset();
    evidence_.reset();
    log_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  static Principal PrincipalOf(std::int64_t user_id, std::string username, std::int64_t unit,
                               std::string unit_type, const std::string& role) {
    Principal p;
    p.user_id = user_id;
    p.username = std::move(username);
    p.unit_id = unit;
    p.unit_type = std::move(unit_type);
    p.roles = {role};
    if (const Role* r = catalog_->FindRole(role)) {
      p.permissions.insert(r->permissions.begin(), r->permissions.end());
    }
    return p;
  }

  const Principal& User(std::string_view unit_type, std::string_view role) const {
    for (const Principal& p : users_) {
      if (p.unit_type == unit_type && p.roles.front() == role) return p;
    }
    throw std::runtime_error("no user " + std::string(unit_type) + "." + std::string(role));
  }

  // An evidence file entered by `who`'s unit (one per unit, made on first use).
  std::int64_t EvidenceOf(const Principal& who) {
    auto it = evidence_ids_.find(who.unit_id);
    if (it != evidence_ids_.end()) return it->second;
    Principal uploader = who;
    uploader.permissions.insert(std::string(kEvidenceUploadPermission));
    Provenance p;
    p.source = "on_site_capture";
    p.captured_at = "2026-05-27T09:30:00Z";
    p.captured_by = "杨执法";
    auto upload = Ok(evidence_->CreateUpload(uploader, {"现场.png", 64, p}, {}));
    auto session = Ok(evidence_->ContinueUpload(uploader, upload.id, std::nullopt, {}));
    std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    while (png.size() < 64) png.push_back(static_cast<std::uint8_t>(png.size() + who.unit_id));
    EXPECT_TRUE(session->Write(png).ok());
    auto done = Ok(session->Finish());
    const std::int64_t id = done.evidence->id;
    evidence_ids_[who.unit_id] = id;
    return id;
  }

  json::object ClueFields(const Principal& officer) {
    return json::object{
        {"title", "某化工厂夜间偷排"},
        {"source", "complaint"},
        {"domain", "water"},
        {"region", "330502"},
        {"address", "吴兴区某路 1 号"},
        {"location", json::object{{"lat", 30.87}, {"lng", 120.09}}},
        {"subject", json::object{{"kind", "person"}, {"id_number", kIdNumber}, {"name", "张三"}}},
        {"description", "群众举报夜间向河道排放废水"},
        {"attachments", json::array{EvidenceOf(officer)}}};
  }

  // Clue → transfer_criminal: returns the criminal transfer's id.
  std::int64_t CriminalTransfer() {
    const Principal& officer = User("ecology_environment", "enforcement_officer");
    const std::int64_t clue = Ok(matters_->Create(officer, "clue", ClueFields(officer), {}));
    Ok(matters_->Act(officer, clue, "transfer_criminal",
                     json::object{{"police_unit", units_["public_security"]},
                                  {"suspected_offence", "污染环境罪"}},
                     1, {}));
    MatterView view = Ok(matters_->Get(officer, clue));
    EXPECT_EQ(view.matter.state, "transferred");
    EXPECT_EQ(view.links.size(), 1u);
    return view.links.at(0).to_matter_id;
  }

  std::string DatabaseBytes() {
    std::string all;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      all += std::string(std::istreambuf_iterator<char>(in), {});
    }
    return all;
  }

  static std::unique_ptr<EvidenceCatalog> evidence_catalog_;
  static std::unique_ptr<Catalog> catalog_;
  fs::path dir_;
  core::FakeClock clock_{kNow};
  crypto::FieldCipher cipher_ = crypto::FieldCipher::Generate();
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<record::Log> log_;
  std::unique_ptr<record::BlobStore> blobs_;
  std::unique_ptr<Evidence> evidence_;
  std::unique_ptr<Matters> matters_;
  std::map<std::string, std::int64_t> units_;
  std::map<std::int64_t, std::string> unit_types_;
  std::vector<Principal> users_;
  std::map<std::int64_t, std::int64_t> evidence_ids_;
};
std::unique_ptr<EvidenceCatalog> MattersTest::evidence_catalog_;
std::unique_ptr<Catalog> MattersTest::catalog_;

TEST_F(MattersTest, CreateNumbersTheMatterKeepsTheSubjectSealedAndRecordsOneEvent) {
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  const std::int64_t id = Ok(matters_->Create(officer, "clue", ClueFields(officer), {"", "r1"}));
  MatterView view = Ok(matters_->Get(officer, id));
  EXPECT_EQ(view.matter.number, "湖环线〔2026〕1号");
  EXPECT_EQ(view.matter.state, "registered");
  EXPECT_EQ(view.matter.title, "某化工厂夜间偷排");
  EXPECT_EQ(view.matter.region_code, "330502");
  EXPECT_EQ(view.matter.domain, "water");
  ASSERT_TRUE(view.matter.subject_id.has_value());
  const json::object& subject = view.fields.at("subject").as_object();
  EXPECT_EQ(subject.at("id_number_masked").as_string(), "330502********1231");
  EXPECT_FALSE(subject.contains("id_number"));
  EXPECT_EQ(view.relations, std::vector<std::string>{"owner"});
  EXPECT_EQ(view.files.size(), 1u);
  EXPECT_FALSE(view.allowed_actions.empty());
  ASSERT_EQ(view.deadlines.size(), 1u);
  EXPECT_EQ(view.deadlines[0].status, "ok");

  MatterTimeline timeline = Ok(matters_->Timeline(officer, id, 0, 50));
  ASSERT_EQ(timeline.events.size(), 1u);
  EXPECT_EQ(timeline.events[0].action, "matter.create");
  EXPECT_EQ(timeline.events[0].request_id, "r1");
  EXPECT_NE(timeline.events[0].files, "[]");
  EXPECT_EQ(timeline.events[0].changes.find(kIdNumber), std::string::npos);

  // The same person again is the same subject row; the second number is 2.
  const std::int64_t second = Ok(matters_->Create(officer, "clue", ClueFields(officer), {}));
  MatterView again = Ok(matters_->Get(officer, second));
  EXPECT_EQ(again.matter.subject_id, view.matter.subject_id);
  EXPECT_EQ(again.matter.number, "湖环线〔2026〕2号");

  db_.reset();  // close, so every byte is in the file
  EXPECT_EQ(DatabaseBytes().find(kIdNumber), std::string::npos);
}

TEST_F(MattersTest, UnitWithoutAbbreviationNumbersWithItsName) {
  const Principal& officer = User("natural_resources", "enforcement_officer");
  const std::int64_t id = Ok(matters_->Create(officer, "clue", ClueFields(officer), {}));
  EXPECT_EQ(Ok(matters_->Get(officer, id)).matter.number, "湖州市自然资源和规划局线〔2026〕1号");
}

TEST_F(MattersTest, CriminalTransferCopiesTheProcuratorateAndNotifiesItsProcurators) {
  const std::int64_t id = CriminalTransfer();
  const Principal& procurator = User("procuratorate", "procurator");
  MatterView view = Ok(matters_->Get(procurator, id));
  EXPECT_EQ(view.matter.kind, "criminal_transfer");
  EXPECT_EQ(view.matter.state, "sent");
  EXPECT_EQ(view.matter.number, "湖环刑移〔2026〕1号");
  EXPECT_EQ(view.relations, std::vector<std::string>{"copied"});
  std::map<std::string, std::string> relations;
  for (const auto& p : view.participants) relations[p.unit_name] = p.relation;
  EXPECT_EQ(relations["湖州市生态环境局"], "owner");
  EXPECT_EQ(relations["湖州市公安局"], "recipient");
  EXPECT_EQ(relations["湖州市人民检察院"], "copied");
  // The subject carried over is the same row, still masked.
  EXPECT_EQ(view.fields.at("subject").at("id_number_masked").as_string(), "330502********1231");

  const Principal& police = User("public_security", "police_officer");
  auto inbox = Ok(matters_->ListNotifications(police, false, 0, 50));
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].title, "收到涉嫌犯罪案件移送");
  EXPECT_EQ(inbox[0].matter_id, id);
  EXPECT_EQ(Ok(matters_->UnreadCount(police)), 1);
  ASSERT_TRUE(matters_->MarkRead(police, inbox[0].id).ok());
  EXPECT_EQ(Ok(matters_->UnreadCount(police)), 0);
  EXPECT_EQ(matters_->MarkRead(procurator, inbox[0].id).error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(Ok(matters_->ListNotifications(procurator, false, 0, 50)).size(), 1u);
  // The copy goes to procurators only: the court's and other units' users hear nothing.
  EXPECT_TRUE(Ok(matters_->ListNotifications(User("court", "judge"), false, 0, 50)).empty());

  Ok(matters_->Act(police, id, "accept", json::object{}, 1, {}));
  Ok(matters_->Act(police, id, "decline", json::object{{"reason", "证据不足，不构成犯罪"}}, 2, {}));
  Ok(matters_->Act(procurator, id, "open_supervision",
                   json::object{{"supervision_opinion", "应当立案"}}, 3, {}));
  view = Ok(matters_->Get(procurator, id));
  EXPECT_EQ(view.matter.state, "under_supervision");
  EXPECT_EQ(view.relations, (std::vector<std::string>{"copied", "supervisor"}));
}

TEST_F(MattersTest, NonParticipantGetsNotFoundAsForAMissingId) {
  const std::int64_t id = CriminalTransfer();
  const Principal& judge = User("court", "judge");
  auto hidden = matters_->Get(judge, id);
  auto missing = matters_->Get(judge, id + 1000);
  ASSERT_FALSE(hidden.ok());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(hidden.error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(hidden.error().message, missing.error().message);
  EXPECT_EQ(matters_->Act(judge, id, "accept", json::object{}, 1, {}).error().code,
            core::ErrorCode::kNotFound);
  EXPECT_EQ(matters_->Timeline(judge, id, 0, 10).error().code, core::ErrorCode::kNotFound);
  EXPECT_TRUE(Ok(matters_->List(judge, {})).items.empty());
  // The owner may not take the police's action: 403, not 404.
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  EXPECT_EQ(matters_->Act(officer, id, "accept", json::object{}, 1, {}).error().code,
            core::ErrorCode::kPermissionDenied);
}

TEST_F(MattersTest, ActingOnAStaleVersionIsAborted) {
  const std::int64_t id = CriminalTransfer();
  const Principal& police = User("public_security", "police_officer");
  const Principal& leader = User("public_security", "unit_leader");
  EXPECT_EQ(Ok(matters_->Act(police, id, "accept", json::object{}, 1, {})), 2);
  auto stale = matters_->Act(leader, id, "accept", json::object{}, 1, {});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, core::ErrorCode::kAborted);
  EXPECT_EQ(stale.error().message, "事项已被他人修改，请刷新后重试");
}

TEST_F(MattersTest, ListShowsTheUnitsMattersWithCountsAndScopeAllSeesEveryUnits) {
  CriminalTransfer();
  const Principal& police = User("public_security", "police_officer");
  MatterList list = Ok(matters_->List(police, {}));
  ASSERT_EQ(list.items.size(), 1u);
  EXPECT_EQ(list.items[0].kind, "criminal_transfer");
  EXPECT_EQ(list.counts["sent"], 1);
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  MatterListFilter only_clues;
  only_clues.kind = "clue";
  EXPECT_EQ(Ok(matters_->List(officer, only_clues)).items.size(), 1u);
  MatterListFilter paged;
  paged.limit = 1;
  MatterList first = Ok(matters_->List(officer, paged));
  ASSERT_TRUE(first.next.has_value());
  paged.after = first.next;
  MatterList second = Ok(matters_->List(officer, paged));
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_NE(second.items[0].id, first.items[0].id);
  MatterListFilter too_many;
  too_many.limit = 101;
  EXPECT_EQ(matters_->List(officer, too_many).error().field, "limit");

  Principal analyst = PrincipalOf(0, "hz_analyst", 0, "", "analyst");
  analyst.user_id = 999;
  EXPECT_EQ(Ok(matters_->List(analyst, {})).items.size(), 2u);
  Principal auditor;
  auditor.user_id = 998;
  auditor.unit_id = units_["court"];
  auditor.permissions = {"audit:event:list"};
  EXPECT_EQ(matters_->List(auditor, {}).error().code, core::ErrorCode::kPermissionDenied);
}

TEST_F(MattersTest, BadInputNamesTheField) {
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  EXPECT_EQ(matters_->Create(officer, "nope", json::object{}, {}).error().field, "kind");
  json::object fields = ClueFields(officer);
  fields["subject"] =
      json::object{{"kind", "person"}, {"id_number", "330502198001011230"}, {"name", "张三"}};
  EXPECT_EQ(matters_->Create(officer, "clue", fields, {}).error().field, "subject");
  fields = ClueFields(officer);
  fields["attachments"] = json::array{EvidenceOf(User("court", "judge"))};
  auto foreign = matters_->Create(officer, "clue", fields, {});
  EXPECT_EQ(foreign.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(foreign.error().field, "attachments");
  const std::int64_t clue = Ok(matters_->Create(officer, "clue", ClueFields(officer), {}));
  auto unknown_unit = matters_->Act(
      officer, clue, "transfer_criminal",
      json::object{{"police_unit", 424242}, {"suspected_offence", "污染环境罪"}}, 1, {});
  EXPECT_EQ(unknown_unit.error().field, "police_unit");
}

// ------------------------------------------------------------------ authorization table

// A valid value for a field, for a form filled by `who`.
json::value SampleValue(const workflow::FieldDef& field, const Principal& who,
                        const std::map<std::string, std::int64_t>& units,
                        const std::function<std::int64_t()>& evidence) {
  using workflow::FieldType;
  switch (field.type) {
    case FieldType::kText:
      return json::value("测试内容");
    case FieldType::kRichText:
      return json::value("测试说明：事实与理由");
    case FieldType::kNumber:
      return json::value(field.min ? static_cast<std::int64_t>(*field.min) : 1);
    case FieldType::kMoney:
      return json::value(100);
    case FieldType::kDate:
      return json::value("2026-05-01");
    case FieldType::kDateTime:
      return json::value("2026-05-01T08:00:00.000Z");
    case FieldType::kEnum:
      return json::value(field.items.front().value);
    case FieldType::kRegion:
      return json::value("330502");
    case FieldType::kSubject:
      return json::object{{"kind", "company"}, {"credit_code", kCreditCode}, {"name", "某化工厂"}};
    case FieldType::kUnit:
    case FieldType::kUnits: {
      std::int64_t unit = field.name.find("police") != std::string::npos
                              ? units.at("public_security")
                              : units.at("court");
      if (unit == who.unit_id) unit = units.at("natural_resources");
      if (field.type == FieldType::kUnit) return json::value(unit);
      return json::array{unit};
    }
    case FieldType::kFiles:
      return json::array{evidence()};
    case FieldType::kGeoPoint:
      return json::object{{"lat", 30.5}, {"lng", 120.1}};
  }
  return nullptr;
}

TEST_F(MattersTest, EveryActionOfEveryKindAdmitsItsActorsAndRefusesOtherParticipants) {
  const Shipped& shipped = Shipped::Get();
  std::vector<std::string> roles;
  for (const Role& role : catalog_->roles()) {
    if (role.admin_class == AdminClass::kNone && role.code != "unit_admin") {
      roles.push_back(role.code);
    }
  }
  int admitted = 0;
  int refused = 0;

  auto relations_of = [&](std::int64_t matter, std::int64_t unit) {
    std::vector<workflow::Relation> out;
    EXPECT_TRUE(db_->Read([&](store::Conn& conn) -> core::Status {
                     for (const auto& name : TRY(store::RelationsOf(conn, matter, unit))) {
                       if (auto r = workflow::ParseRelation(name)) out.push_back(*r);
                     }
                     return core::Ok();
                   })
                    .ok());
    return out;
  };
  auto input_for = [&](const workflow::Definition& def, const workflow::ActionDef& form,
                       const Principal& who) {
    json::object input;
    for (const std::string& name : form.fields) {
      const workflow::FieldDef& field = *def.FindField(name);
      const bool is_units =
          field.type == workflow::FieldType::kUnit || field.type == workflow::FieldType::kUnits;
      const bool required =
          std::find(form.required.begin(), form.required.end(), name) != form.required.end();
      if (is_units && !required) continue;  // an optional copy could clash with the recipient
      input[name] = SampleValue(field, who, units_, [&] { return EvidenceOf(who); });
    }
    return input;
  };
  // The first user admitted by the action on the matter (nullptr: none).
  auto admitted_user = [&](const workflow::ActionDef& action,
                           std::int64_t matter) -> const Principal* {
    for (const Principal& p : users_) {
      workflow::Actor actor{
          p.roles, p.unit_type, p.unit_id,
          matter ? relations_of(matter, p.unit_id) : std::vector<workflow::Relation>{}};
      if (workflow::MayAct(action, actor)) return &p;
    }
    return nullptr;
  };

  for (const workflow::Definition& def : shipped.registry.definitions()) {
    const Principal* creator = admitted_user(def.create, 0);
    ASSERT_NE(creator, nullptr) << def.kind;
    // Shortest action path from the initial state to every state.
    std::map<std::string, std::vector<const workflow::ActionDef*>> paths;
    paths[def.initial_state().name] = {};
    std::deque<std::string> queue = {def.initial_state().name};
    while (!queue.empty()) {
      const std::string state = queue.front();
      queue.pop_front();
      for (const workflow::ActionDef& a : def.actions) {
        if (std::find(a.from.begin(), a.from.end(), state) == a.from.end()) continue;
        const std::string to = a.to.empty() ? state : a.to;
        if (paths.contains(to)) continue;
        paths[to] = paths[state];
        paths[to].push_back(&a);
        queue.push_back(to);
      }
    }

    for (const workflow::ActionDef& action : def.actions) {
      SCOPED_TRACE(def.kind + "." + action.name);
      const std::vector<const workflow::ActionDef*>* path = nullptr;
      for (const std::string& from : action.from) {
        if (paths.contains(from) && (!path || paths[from].size() < path->size())) {
          path = &paths[from];
        }
      }
      ASSERT_NE(path, nullptr);
      const std::int64_t id =
          Ok(matters_->Create(*creator, def.kind, input_for(def, def.create, *creator), {}));
      std::int64_t version = 1;
      for (const workflow::ActionDef* step : *path) {
        const Principal* actor = admitted_user(*step, id);
        ASSERT_NE(actor, nullptr) << "step " << step->name;
        version =
            Ok(matters_->Act(*actor, id, step->name, input_for(def, *step, *actor), version, {}));
      }
      // Every participant whose role the action's rules do not admit: 403.
      std::set<std::int64_t> participants;
      for (const auto& p : Ok(matters_->Get(*creator, id)).participants) {
        participants.insert(p.unit_id);
      }
      for (std::int64_t unit : participants) {
        for (const std::string& role : roles) {
          Principal probe = PrincipalOf(900000, "probe", unit, unit_types_[unit], role);
          workflow::Actor actor{probe.roles, probe.unit_type, unit, relations_of(id, unit)};
          if (workflow::MayAct(action, actor)) continue;
          auto denied = matters_->Act(probe, id, action.name, json::object{}, version, {});
          ASSERT_FALSE(denied.ok()) << role << " in " << unit_types_[unit];
          EXPECT_EQ(denied.error().code, core::ErrorCode::kPermissionDenied)
              << role << " in " << unit_types_[unit] << ": " << denied.error().ToString();
          ++refused;
        }
      }
      const Principal* actor = admitted_user(action, id);
      ASSERT_NE(actor, nullptr);
      auto done =
          matters_->Act(*actor, id, action.name, input_for(def, action, *actor), version, {});
      ASSERT_TRUE(done.ok()) << actor->username << ": " << done.error().ToString();
      ++admitted;
    }
  }
  EXPECT_GT(admitted, 20);
  EXPECT_GT(refused, admitted);
}

}  // namespace
}  // namespace lvyuan::domain
