// The /api/v1 handlers for sign-in, the signed-in user, units, users, roles,
// dictionaries, regions, API tokens and the audit log: decode the request,
// call domain::Accounts, encode the answer. No rules live here.
#pragma once

#include <memory>

#include "domain/accounts.h"
#include "http/rate_limiter.h"
#include "http/router.h"
#include "http/server.h"

namespace lvyuan::core {
class WorkCalendar;
}

namespace lvyuan::domain {
class RecordAccess;
class RecordVerifyJob;
class Evidence;
class Matters;
class Subjects;
class UnitDirectory;
}  // namespace lvyuan::domain

namespace lvyuan::record {
class WitnessRegistry;
}  // namespace lvyuan::record

namespace lvyuan::http {

struct ApiOptions {
  // Logins allowed per client address per minute (burst = the same number).
  int login_rate_per_minute = 30;
  // When set, the login buckets are kept in this database, shared by every
  // process serving it (SharedRateLimiter); otherwise in memory.
  store::Database* rate_limit_store = nullptr;
  // The matter list's answer cache (matters.list_cache_entries,
  // matters.list_cache_max_age_ms; response_cache.h); 0 entries: none.
  std::size_t list_cache_entries = 1024;
  std::int64_t list_cache_max_age_ms = 1000;
};

// The domain services the routes call. Each must outlive the router; an
// absent (null) optional service leaves its routes out.
struct Services {
  domain::Accounts& accounts;
  domain::RecordAccess* record = nullptr;
  domain::RecordVerifyJob* verify = nullptr;
  domain::Evidence* evidence = nullptr;
  // The witnesses whose cosignatures are accepted; null accepts none (the
  // cosignature route then answers 403).
  record::WitnessRegistry* witnesses = nullptr;
  // The working-day calendar; null leaves out the /api/v1/calendar routes.
  const core::WorkCalendar* calendar = nullptr;
  // Messages between the processes on the database; null leaves out the
  // event stream (GET /api/v1/stream, stream_routes.cc).
  store::Notifier* notifier = nullptr;
  // Matters and notifications; null leaves out their routes (matter_routes.cc).
  domain::Matters* matters = nullptr;
  // Subjects and the business users' unit directory; null leaves out their
  // routes (subject_routes.cc).
  domain::Subjects* subjects = nullptr;
  domain::UnitDirectory* directory = nullptr;
};

// The matter and notification routes (matter_routes.cc).
void AddMatterRoutes(Router& router, const Services& services, const ApiOptions& options);
// The subject and unit directory routes (subject_routes.cc).
void AddSubjectRoutes(Router& router, const Services& services);

// Adds every /api/v1 and /api/public route to `router`: the one route table
// of the product (parts of it live in record_routes.cc, evidence_routes.cc).
void RegisterRoutes(Router& router, const Services& services, const ApiOptions& options);

// The server hooks backed by `accounts`: session/bearer authentication, CSRF
// check, audit of refusals, readiness = the store answers.
Hooks MakeHooks(domain::Accounts& accounts, store::Database& db);

}  // namespace lvyuan::http
