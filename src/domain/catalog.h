// The shipped configuration the account rules read: roles and their
// permission codes (data/roles.json), dictionaries (data/dicts/*.json) and the
// common-password list (data/common-passwords.txt). Loaded once at start;
// read-only afterwards, so safe to share between threads.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "domain/principal.h"

namespace lvyuan::domain {

using core::Result;
using core::Status;

// A set of role codes.
using RoleSet = std::set<std::string, std::less<>>;

struct Role {
  std::string code;
  std::string name_zh;
  std::string name_en;
  AdminClass admin_class = AdminClass::kNone;
  bool exclusive = false;
  bool requires_totp = false;
  // Acts on matters only while its holder's enforcement certificate (执法证)
  // is valid on the day of acting.
  bool requires_certificate = false;
  std::vector<std::string> assignable_by;  // role codes whose holders may grant it
  std::vector<std::string> unit_types;     // empty = any unit type
  std::vector<std::string> permissions;
};

struct PermissionInfo {
  std::string code;
  std::string name_zh;
  std::string name_en;
};

struct DictItem {
  std::string value;
  std::string label_zh;
  std::string label_en;
  // unit_types only: false for a unit that runs the platform rather than
  // taking part in cases (a notice "to every unit" does not reach it).
  bool member = true;
};

class Catalog {
 public:
  // Reads dir/roles.json, dir/dicts/*.json and dir/common-passwords.txt.
  // InvalidArgument naming the file and entry on any malformed content,
  // including a role granting a permission that is not declared.
  static Result<Catalog> Load(const std::filesystem::path& dir);

  const Role* FindRole(std::string_view code) const;
  const std::vector<Role>& roles() const { return roles_; }
  const std::vector<PermissionInfo>& permissions() const { return permissions_; }
  bool IsPermission(std::string_view code) const;
  // The codes of the roles that grant `permission`.
  RoleSet RolesGranting(std::string_view permission) const;
  // The unit_types values with "member": false.
  std::set<std::string, std::less<>> NonMemberUnitTypes() const;
  // The codes of the roles with requires_certificate.
  RoleSet CertificateRoles() const;
  // Null when no dictionary has that name.
  const std::vector<DictItem>* Dict(std::string_view name) const;
  bool InDict(std::string_view name, std::string_view value) const;
  // Case-insensitive membership in the common-password list.
  bool IsCommonPassword(std::string_view password) const;

 private:
  std::vector<Role> roles_;
  std::vector<PermissionInfo> permissions_;
  std::map<std::string, std::vector<DictItem>, std::less<>> dicts_;
  std::set<std::string, std::less<>> common_passwords_;
};

}  // namespace lvyuan::domain
