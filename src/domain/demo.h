// The demo deployment: a Huzhou-like set of member units and one user for
// every role (docs/demo.md lists them). Idempotent: units and users that
// already exist (by name) are left as they are.
#pragma once

#include <string>
#include <vector>

#include "domain/accounts.h"

namespace lvyuan::domain {

struct DemoAccount {
  std::string username;
  std::string role;
  std::string unit;
  bool created = false;  // false when it already existed
};

struct DemoOptions {
  std::string password = "Lvyuan@2026demo";
  // When false, the demo users are exempt from the mandatory second factor.
  bool require_totp = false;
};

Result<std::vector<DemoAccount>> CreateDemo(Accounts& accounts, const DemoOptions& options);

}  // namespace lvyuan::domain
