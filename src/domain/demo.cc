#include "domain/demo.h"

#include <map>
#include <optional>

#include "crypto/password.h"
#include "store/accounts.h"
#include "store/matters.h"

namespace lvyuan::domain {
namespace {

struct DemoUnit {
  const char* name;
  const char* type;
  const char* region;
  const char* parent;  // name of the parent unit, or nullptr
  const char* contact;
  const char* phone;
};

constexpr DemoUnit kUnits[] = {
    {"绿源平台运维中心", "platform", "330500", nullptr, "周工", "0572-2000001"},
    {"浙江省高级人民法院", "court", "330000", nullptr, "王庭长", "0571-87000000"},
    {"湖州市中级人民法院", "court", "330500", "浙江省高级人民法院", "李庭长", "0572-2200000"},
    {"安吉县人民法院", "court", "330523", "湖州市中级人民法院", "陈庭长", "0572-5100000"},
    {"湖州市人民检察院", "procuratorate", "330500", nullptr, "赵检察官", "0572-2300000"},
    {"湖州市公安局", "public_security", "330500", nullptr, "孙警官", "0572-2400000"},
    {"湖州市生态环境局", "ecology_environment", "330500", nullptr, "钱科长", "0572-2500000"},
    {"湖州市自然资源和规划局", "natural_resources", "330500", nullptr, "吴科长", "0572-2600000"},
    {"湖州市农业农村局", "agriculture_rural", "330500", nullptr, "郑科长", "0572-2700000"},
    {"湖州市水利局", "water_resources", "330500", nullptr, "冯科长", "0572-2800000"},
    {"湖州市林业局", "forestry", "330500", nullptr, "褚科长", "0572-2900000"},
    {"湖州市环境损害司法鉴定中心", "appraisal_institution", "330502", nullptr, "卫主任",
     "0572-3000000"},
    {"湖州市环境资源咨询专家库", "expert_pool", "330500", "湖州市生态环境局", "蒋老师",
     "0572-3100000"},
    {"湖州市环境资源纠纷人民调解委员会", "mediation_organization", "330500", nullptr, "沈主任",
     "0572-3200000"},
};

struct DemoUser {
  const char* username;
  const char* name;
  const char* role;
  const char* unit;
  int certificate;  // 0 none, 1 valid, 2 expired
};

constexpr DemoUser kUsers[] = {
    {"sysadmin", "系统管理员", "system_admin", "绿源平台运维中心", 0},
    {"secadmin", "安全管理员", "security_admin", "绿源平台运维中心", 0},
    {"auditadmin", "审计管理员", "audit_admin", "绿源平台运维中心", 0},
    {"hz_analyst", "韩统计", "analyst", "绿源平台运维中心", 0},
    {"hzhb_admin", "钱管理", "unit_admin", "湖州市生态环境局", 0},
    {"hzhb_officer", "杨执法", "enforcement_officer", "湖州市生态环境局", 1},
    {"hzhb_officer2", "朱执法", "enforcement_officer", "湖州市生态环境局", 2},
    {"hzhb_reviewer", "秦审核", "legal_reviewer", "湖州市生态环境局", 0},
    {"hzhb_leader", "尤局长", "unit_leader", "湖州市生态环境局", 0},
    {"hzzy_admin", "许管理", "unit_admin", "湖州市中级人民法院", 0},
    {"hzzy_judge", "何法官", "judge", "湖州市中级人民法院", 0},
    {"hzzy_clerk", "吕书记员", "clerk", "湖州市中级人民法院", 0},
    {"zjgy_judge", "施法官", "judge", "浙江省高级人民法院", 0},
    {"ajfy_judge", "张法官", "judge", "安吉县人民法院", 0},
    {"hzjc_admin", "孔管理", "unit_admin", "湖州市人民检察院", 0},
    {"hzjc_procurator", "曹检察官", "procurator", "湖州市人民检察院", 0},
    {"hzga_admin", "严管理", "unit_admin", "湖州市公安局", 0},
    {"hzga_officer", "华警官", "police_officer", "湖州市公安局", 0},
    {"hzzr_officer", "金执法", "enforcement_officer", "湖州市自然资源和规划局", 1},
    {"hzny_officer", "魏执法", "enforcement_officer", "湖州市农业农村局", 1},
    {"hzsl_officer", "陶执法", "enforcement_officer", "湖州市水利局", 1},
    {"hzly_officer", "姜执法", "enforcement_officer", "湖州市林业局", 1},
    {"jd_appraiser", "戚鉴定", "appraiser", "湖州市环境损害司法鉴定中心", 0},
    {"zj_expert", "谢专家", "expert", "湖州市环境资源咨询专家库", 0},
    {"tj_mediator", "邹调解", "mediator", "湖州市环境资源纠纷人民调解委员会", 0},
};

}  // namespace

Result<std::vector<DemoAccount>> CreateDemo(Accounts& accounts, const DemoOptions& options) {
  const Principal cli = Accounts::CommandLine();
  const RequestMeta meta{"", "demo"};
  std::map<std::string, std::int64_t> unit_ids;
  std::map<std::string, std::string> unit_types;
  for (const auto& u : kUnits) {
    store::UnitFilter filter;
    filter.name_contains = u.name;
    filter.limit = 200;
    auto page = TRY(accounts.ListUnits(cli, filter));
    std::optional<store::UnitRecord> existing;
    for (auto& item : page.items) {
      if (item.name == u.name) existing = item;
    }
    if (!existing) {
      UnitInput in;
      in.name = u.name;
      in.type = u.type;
      in.region_code = u.region;
      if (u.parent) in.parent_id = unit_ids.at(u.parent);
      in.contact_person = u.contact;
      in.contact_phone = u.phone;
      existing = TRY(accounts.CreateUnit(cli, in, meta));
    }
    unit_ids[u.name] = existing->id;
    unit_types[u.name] = existing->type;
  }

  const std::string today = core::ChinaDate(accounts.clock().NowMs());
  const std::string year = today.substr(0, 4);
  const int y = std::stoi(year);
  std::vector<DemoAccount> out;
  std::string hash;  // made once: hashing is deliberately slow
  for (const auto& u : kUsers) {
    DemoAccount account{u.username, u.role, u.unit, false};
    store::UserFilter filter;
    filter.text_contains = u.username;
    filter.limit = 200;
    auto page = TRY(accounts.ListUsers(cli, filter));
    bool exists = false;
    for (const auto& item : page.items) exists = exists || item.username == u.username;
    if (!exists) {
      UserInput in;
      in.username = u.username;
      in.display_name = u.name;
      in.unit_id = unit_ids.at(u.unit);
      in.roles = {u.role};
      in.password = options.password;
      if (hash.empty()) {
        hash = TRY(crypto::HashPassword(options.password, accounts.policy().hash_params));
      }
      in.password_hash = hash;
      in.totp_exempt = !options.require_totp;
      if (u.certificate == 1) {
        in.certificate = store::Certificate{
            std::string("浙湖") + std::to_string(y) + "0" + std::to_string(out.size() + 100),
            "浙江省人民政府", std::to_string(y - 6) + "-01-01", std::to_string(y + 4) + "-12-31"};
      } else if (u.certificate == 2) {
        in.certificate =
            store::Certificate{"浙湖" + std::to_string(y - 6) + "0999", "浙江省人民政府",
                               std::to_string(y - 6) + "-01-01", std::to_string(y - 1) + "-06-30"};
      }
      TRY(accounts.CreateUser(cli, in, meta));
      account.created = true;
    }
    out.push_back(account);
  }
  return out;
}

namespace {

constexpr std::pair<const char*, const char*> kAbbreviations[] = {
    {"湖州市中级人民法院", "湖中院"}, {"安吉县人民法院", "安法"},
    {"湖州市人民检察院", "湖检"},     {"湖州市公安局", "湖公"},
    {"湖州市生态环境局", "湖环"},     {"湖州市自然资源和规划局", "湖资规"},
    {"湖州市农业农村局", "湖农"},     {"湖州市水利局", "湖水"},
    {"湖州市林业局", "湖林"},
};

}  // namespace

Result<Principal> DemoPrincipal(store::Database& db, const Catalog& catalog,
                                std::string_view username) {
  std::optional<store::UserRecord> user;
  TRY(db.Read([&](store::Conn& conn) -> Status {
    user = TRY(store::FindUserByName(conn, username));
    return core::Ok();
  }));
  if (!user) return core::NotFound("演示用户不存在：" + std::string(username));
  Principal p;
  p.user_id = user->id;
  p.username = user->username;
  p.display_name = user->display_name;
  p.unit_id = user->unit_id;
  p.unit_type = user->unit_type;
  p.roles = user->roles;
  for (const std::string& code : user->roles) {
    if (const Role* role = catalog.FindRole(code)) {
      p.permissions.insert(role->permissions.begin(), role->permissions.end());
    }
  }
  p.user = std::make_shared<const store::UserRecord>(std::move(*user));
  return p;
}

Result<std::int64_t> DemoPhoto(Evidence& evidence, const Principal& who, int seed) {
  Provenance p;
  p.source = "on_site_capture";
  p.captured_at = "2026-01-15T02:30:00Z";
  p.captured_by = who.display_name;
  p.device_id = "执法记录仪 DSJ-A8-0031";
  p.location = EvidenceLocation{"湖州市吴兴区某印染厂排污口", "30.8703", "120.0933"};
  p.description = "排污口现场照片";
  std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  while (png.size() < 256) png.push_back(static_cast<std::uint8_t>(png.size() * 7 + seed));
  const RequestMeta meta{"", "demo"};
  auto upload = TRY(evidence.CreateUpload(
      who, {"排污口" + std::to_string(seed) + ".png", static_cast<std::int64_t>(png.size()), p},
      meta));
  auto session = TRY(evidence.ContinueUpload(who, upload.id, std::nullopt, meta));
  TRY(session->Write(png));
  auto done = TRY(session->Finish());
  if (!done.evidence) return core::Internal("demo photo upload did not complete");
  return done.evidence->id;
}

Result<int> CreateDemoMatters(Matters& matters, Evidence& evidence, store::Database& db,
                              const Catalog& catalog) {
  bool any = false;
  std::int64_t police_unit = 0;
  TRY(db.Write([&](store::Conn& conn) -> Status {
    for (const auto& [name, abbreviation] : kAbbreviations) {
      auto unit = TRY(store::FindUnitByName(conn, name));
      if (!unit) continue;
      if (TRY(store::UnitAbbreviation(conn, unit->id)).empty()) {
        TRY(store::SetUnitAbbreviation(conn, unit->id, abbreviation));
      }
      if (std::string_view(name) == "湖州市公安局") police_unit = unit->id;
    }
    store::MatterFilter all;
    all.limit = 1;
    any = !TRY(store::ListMatters(conn, all)).items.empty();
    return core::Ok();
  }));
  if (any || police_unit == 0) return 0;

  const RequestMeta meta{"", "demo"};
  const Principal officer = TRY(DemoPrincipal(db, catalog, "hzhb_officer"));
  const Principal police = TRY(DemoPrincipal(db, catalog, "hzga_officer"));
  const std::int64_t photo = TRY(DemoPhoto(evidence, officer, 1));
  const std::int64_t second_photo = TRY(DemoPhoto(evidence, officer, 2));

  boost::json::object clue{
      {"title", "吴兴区某印染厂疑似夜间偷排废水"},
      {"source", "complaint"},
      {"domain", "water"},
      {"region", "330502"},
      {"address", "湖州市吴兴区织里镇某印染厂东侧排污口"},
      {"subject",
       {{"kind", "company"},
        {"credit_code", "91330502MA2B3C4D58"},
        {"name", "湖州某印染有限公司"}}},
      {"discovered_on", "2026-01-15"},
      {"description", "群众举报该厂夜间通过暗管向河道排放未经处理的印染废水，河水发红。"},
      {"attachments", boost::json::array{photo}}};
  TRY(matters.Create(officer, "clue", clue, meta));

  boost::json::object crime = clue;
  crime["title"] = "长兴县某电镀厂非法倾倒含重金属污泥";
  crime["domain"] = "solid_hazardous_waste";
  crime["region"] = "330522";
  crime["address"] = "湖州市长兴县某镇废弃矿坑";
  crime["subject"] = {
      {"kind", "company"}, {"credit_code", "91330522MA2C7D8E94"}, {"name", "长兴某电镀有限公司"}};
  crime["description"] = "巡查发现废弃矿坑内倾倒大量电镀污泥，初步检测铬含量超标，涉嫌污染环境罪。";
  crime["attachments"] = boost::json::array{second_photo};
  const std::int64_t clue_id = TRY(matters.Create(officer, "clue", crime, meta));
  TRY(matters.Act(officer, clue_id, "transfer_criminal",
                  {{"police_unit", police_unit}, {"suspected_offence", "污染环境罪"}}, 1, meta));
  const MatterView transferred = TRY(matters.Get(officer, clue_id));
  if (transferred.links.empty()) return core::Internal("demo transfer opened no matter");
  const std::int64_t transfer_id = transferred.links.front().to_matter_id;
  TRY(matters.Act(police, transfer_id, "accept", boost::json::object{}, 1, meta));
  return 3;
}

}  // namespace lvyuan::domain
