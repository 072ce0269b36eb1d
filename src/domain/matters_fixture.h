// The fixture of the domain's matter tests (matters_test.cc, reminders_test.cc):
// a fresh SQLite deployment with five units of different types, one user
// for every business role each unit type may hold, and the shipped
// definitions and calendar.
#pragma once

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
#include "domain/matters.h"
#include "store/accounts.h"
#include "store/record.h"
#include "workflow/test_env.h"

namespace lvyuan::domain {

namespace fs = std::filesystem;
namespace json = boost::json;
using workflow::testing::Shipped;

inline constexpr std::int64_t kNow = 1'780'000'000'000;  // 2026-05-28, a Thursday
inline constexpr std::string_view kIdNumber = "330502198001011231";
// A valid unified social credit code (check character computed below).
inline const std::string kCreditCode = [] {
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
inline constexpr TestUnit kUnits[] = {
    {"湖州市生态环境局", "ecology_environment", "湖环"},
    {"湖州市公安局", "public_security", "湖公"},
    {"湖州市人民检察院", "procuratorate", "湖检"},
    {"湖州市中级人民法院", "court", "湖中院"},
    {"湖州市自然资源和规划局", "natural_resources", ""},
};

class MattersFixture : public ::testing::Test {
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
           (std::string("lvyuan-matters-") + std::to_string(::getpid()) + "-" +
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
                                         shipped.regions, cipher_, *catalog_, clock_);
    ASSERT_TRUE(
        db_->Write([&](store::Conn& conn) -> core::Status {
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
                 if (role.requires_certificate) {
                   user.certificate = store::Certificate{
                       "浙测" + std::to_string(id), "浙江省人民政府", "2020-01-01", "2035-12-31"};
                 }
                 user.created_at = user.updated_at = user.password_changed_at = kNow;
                 const std::int64_t user_id = TRY(store::InsertUser(conn, user));
                 TRY(store::SetUserRoles(conn, user_id, {role.code}));
                 users_.push_back(PrincipalOf(user_id, user.username, id, u.type, role.code));
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
    p.captured_at = core::FormatIsoUtc(clock_.NowMs() - 3'600'000);  // an hour ago
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

  inline static std::unique_ptr<EvidenceCatalog> evidence_catalog_;
  inline static std::unique_ptr<Catalog> catalog_;
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

}  // namespace lvyuan::domain
