#include "domain/catalog.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace lvyuan::domain {
namespace {

std::filesystem::path DataDir() { return std::filesystem::path(LVYUAN_SOURCE_ROOT) / "data"; }

TEST(CatalogTest, LoadsShippedRolesWithTheThreeSeparatedAdministrators) {
  auto catalog = Catalog::Load(DataDir());
  ASSERT_TRUE(catalog.ok()) << catalog.error().ToString();
  const Role* sys = catalog->FindRole("system_admin");
  const Role* sec = catalog->FindRole("security_admin");
  const Role* aud = catalog->FindRole("audit_admin");
  ASSERT_TRUE(sys && sec && aud);
  EXPECT_EQ(sys->admin_class, AdminClass::kSystem);
  EXPECT_TRUE(sys->exclusive && sec->exclusive && aud->exclusive);
  auto has = [](const Role* r, std::string_view p) {
    return std::find(r->permissions.begin(), r->permissions.end(), p) != r->permissions.end();
  };
  // 三员分立: the system admin cannot read the audit log or grant roles,
  // the audit admin can do nothing but read it.
  EXPECT_FALSE(has(sys, "audit:event:list"));
  EXPECT_FALSE(has(sys, "system:user:grant"));
  EXPECT_TRUE(has(sec, "system:user:grant"));
  EXPECT_FALSE(has(sec, "audit:event:list"));
  EXPECT_EQ(aud->permissions, std::vector<std::string>{"audit:event:list"});
  for (const char* code :
       {"unit_admin", "enforcement_officer", "legal_reviewer", "unit_leader", "judge", "clerk",
        "procurator", "police_officer", "mediator", "expert", "appraiser", "analyst"}) {
    EXPECT_NE(catalog->FindRole(code), nullptr) << code;
  }
  EXPECT_TRUE(catalog->FindRole("legal_reviewer")->requires_totp);
}

TEST(CatalogTest, UnitTypesAreADictionary) {
  auto catalog = Catalog::Load(DataDir());
  ASSERT_TRUE(catalog.ok());
  EXPECT_TRUE(catalog->InDict("unit_types", "court"));
  EXPECT_TRUE(catalog->InDict("unit_types", "mediation_organization"));
  EXPECT_FALSE(catalog->InDict("unit_types", "bank"));
  EXPECT_EQ(catalog->Dict("no_such_dict"), nullptr);
}

TEST(CatalogTest, CommonPasswordsMatchCaseInsensitively) {
  auto catalog = Catalog::Load(DataDir());
  ASSERT_TRUE(catalog.ok());
  EXPECT_TRUE(catalog->IsCommonPassword("Password123"));
  EXPECT_TRUE(catalog->IsCommonPassword("woaini1314"));
  EXPECT_FALSE(catalog->IsCommonPassword("Sturdy-Pass-2026"));
}

TEST(CatalogTest, RejectsRoleWithUndeclaredPermission) {
  auto dir =
      std::filesystem::temp_directory_path() / ("lvyuan-catalog-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "dicts");
  std::ofstream(dir / "roles.json")
      << R"({"permissions":{"a:b:c":{}},"roles":[{"code":"x","permissions":["a:b:d"]}]})";
  std::ofstream(dir / "common-passwords.txt") << "123456\n";
  auto catalog = Catalog::Load(dir);
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.error().message.find("a:b:d"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lvyuan::domain
