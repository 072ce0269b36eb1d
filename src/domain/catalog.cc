#include "domain/catalog.h"

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "core/strings.h"

namespace lvyuan::domain {
namespace json = boost::json;
namespace {

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::InvalidArgument("无法读取数据文件 " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<json::value> ReadJson(const std::filesystem::path& path) {
  auto text = TRY(ReadFile(path));
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return core::InvalidArgument(path.string() + " 不是合法的 JSON: " + ec.message());
  return v;
}

std::string Str(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return {};
}

std::vector<std::string> StrList(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (auto* v = o.if_contains(key); v && v->is_array()) {
    for (const auto& item : v->as_array()) {
      if (item.is_string()) out.emplace_back(item.as_string());
    }
  }
  return out;
}

bool Flag(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_bool()) return v->as_bool();
  return false;
}

}  // namespace

Result<Catalog> Catalog::Load(const std::filesystem::path& dir) {
  Catalog c;
  const auto roles_path = dir / "roles.json";
  auto roles_json = TRY(ReadJson(roles_path));
  if (!roles_json.is_object()) return core::InvalidArgument(roles_path.string() + " 应为对象");
  const auto& root = roles_json.as_object();
  if (auto* perms = root.if_contains("permissions"); perms && perms->is_object()) {
    for (const auto& [code, info] : perms->as_object()) {
      PermissionInfo p{std::string(code), {}, {}};
      if (info.is_object()) {
        p.name_zh = Str(info.as_object(), "zh");
        p.name_en = Str(info.as_object(), "en");
      }
      c.permissions_.push_back(std::move(p));
    }
  }
  auto* roles = root.if_contains("roles");
  if (!roles || !roles->is_array()) {
    return core::InvalidArgument(roles_path.string() + " 缺少 roles 数组");
  }
  for (const auto& item : roles->as_array()) {
    if (!item.is_object()) return core::InvalidArgument(roles_path.string() + ": 角色应为对象");
    const auto& o = item.as_object();
    Role r;
    r.code = Str(o, "code");
    r.name_zh = Str(o, "zh");
    r.name_en = Str(o, "en");
    r.exclusive = Flag(o, "exclusive");
    r.requires_totp = Flag(o, "requires_totp");
    r.requires_certificate = Flag(o, "requires_certificate");
    r.assignable_by = StrList(o, "assignable_by");
    r.unit_types = StrList(o, "unit_types");
    r.permissions = StrList(o, "permissions");
    std::string admin = Str(o, "admin_class");
    if (admin == "system") {
      r.admin_class = AdminClass::kSystem;
    } else if (admin == "security") {
      r.admin_class = AdminClass::kSecurity;
    } else if (admin == "audit") {
      r.admin_class = AdminClass::kAudit;
    } else if (!admin.empty()) {
      return core::InvalidArgument(roles_path.string() + ": 角色 " + r.code +
                                   " 的 admin_class 未知: " + admin);
    }
    if (r.code.empty()) return core::InvalidArgument(roles_path.string() + ": 角色缺少 code");
    for (const auto& p : r.permissions) {
      if (!c.IsPermission(p)) {
        return core::InvalidArgument(roles_path.string() + ": 角色 " + r.code +
                                     " 引用了未声明的权限 " + p);
      }
    }
    c.roles_.push_back(std::move(r));
  }
  for (const auto& r : c.roles_) {
    for (const auto& by : r.assignable_by) {
      if (!c.FindRole(by)) {
        return core::InvalidArgument(roles_path.string() + ": 角色 " + r.code +
                                     " 的 assignable_by 引用了未知角色 " + by);
      }
    }
  }

  const auto dicts_dir = dir / "dicts";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dicts_dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    auto v = TRY(ReadJson(entry.path()));
    auto* items = v.is_object() ? v.as_object().if_contains("items") : nullptr;
    if (!items || !items->is_array()) {
      return core::InvalidArgument(entry.path().string() + " 缺少 items 数组");
    }
    std::vector<DictItem> list;
    for (const auto& item : items->as_array()) {
      if (!item.is_object()) continue;
      const auto& o = item.as_object();
      list.push_back({Str(o, "value"), Str(o, "zh"), Str(o, "en"),
                      !o.contains("member") || Flag(o, "member")});
    }
    c.dicts_[entry.path().stem().string()] = std::move(list);
  }
  if (ec) return core::InvalidArgument("无法读取字典目录 " + dicts_dir.string());

  auto words = TRY(ReadFile(dir / "common-passwords.txt"));
  std::istringstream in(words);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    c.common_passwords_.insert(core::AsciiLower(line));
  }
  return c;
}

const Role* Catalog::FindRole(std::string_view code) const {
  for (const auto& r : roles_) {
    if (r.code == code) return &r;
  }
  return nullptr;
}

bool Catalog::IsPermission(std::string_view code) const {
  return std::any_of(permissions_.begin(), permissions_.end(),
                     [&](const PermissionInfo& p) { return p.code == code; });
}

std::set<std::string, std::less<>> Catalog::NonMemberUnitTypes() const {
  std::set<std::string, std::less<>> out;
  if (const std::vector<DictItem>* types = Dict("unit_types")) {
    for (const DictItem& item : *types) {
      if (!item.member) out.insert(item.value);
    }
  }
  return out;
}

RoleSet Catalog::CertificateRoles() const {
  RoleSet out;
  for (const Role& role : roles_) {
    if (role.requires_certificate) out.insert(role.code);
  }
  return out;
}

RoleSet Catalog::RolesGranting(std::string_view permission) const {
  RoleSet out;
  for (const Role& role : roles_) {
    if (std::find(role.permissions.begin(), role.permissions.end(), permission) !=
        role.permissions.end()) {
      out.insert(role.code);
    }
  }
  return out;
}

const std::vector<DictItem>* Catalog::Dict(std::string_view name) const {
  auto it = dicts_.find(name);
  return it == dicts_.end() ? nullptr : &it->second;
}

bool Catalog::InDict(std::string_view name, std::string_view value) const {
  const auto* d = Dict(name);
  return d && std::any_of(d->begin(), d->end(),
                          [&](const DictItem& item) { return item.value == value; });
}

bool Catalog::IsCommonPassword(std::string_view password) const {
  return common_passwords_.contains(core::AsciiLower(password));
}

}  // namespace lvyuan::domain
