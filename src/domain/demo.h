// The demo deployment: a Huzhou-like set of member units and one user for
// every role (docs/demo.md lists them). Idempotent: units and users that
// already exist (by name) are left as they are.
#pragma once

#include <string>
#include <vector>

#include "domain/accounts.h"
#include "domain/catalog.h"
#include "domain/evidence.h"
#include "domain/matters.h"

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

// After CreateDemo: the demo units' abbreviations for matter numbers (湖环,
// 湖公, 湖检, 湖中院 …) and, when the deployment has no matter yet, a few
// matters to look at — a registered clue, and a clue transferred to the
// police as a suspected crime whose transfer the police have accepted (the
// procuratorate copied). Returns how many matters it opened (0 when some
// existed already).
// A demo user acting as if signed in (roles and permissions from the
// catalogue). NotFound when there is no such user.
Result<Principal> DemoPrincipal(store::Database& db, const Catalog& catalog,
                                std::string_view username);

// Uploads a small PNG photo as evidence entered by `who` (the demo's on-site
// evidence; `seed` varies its bytes) and returns its evidence id.
Result<std::int64_t> DemoPhoto(Evidence& evidence, const Principal& who, int seed);

Result<int> CreateDemoMatters(Matters& matters, Evidence& evidence, store::Database& db,
                              const Catalog& catalog);

}  // namespace lvyuan::domain
