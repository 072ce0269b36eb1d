#include "domain/demo.h"

#include <map>
#include <optional>

#include "crypto/password.h"

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
    {"绿源平台运维中心", "other", "330500", nullptr, "周工", "0572-2000001"},
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
            "浙江省人民政府", std::to_string(y - 1) + "-01-01", std::to_string(y + 4) + "-12-31"};
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

}  // namespace lvyuan::domain
