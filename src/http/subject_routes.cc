// The lookups business users make while handling matters: subjects
// (行政相对人) by name, credit code or ID number, one subject with its ID
// number masked or, for the units that need it, shown (domain::Subjects),
// and the directory of active member units a form may name
// (domain::UnitDirectory). The rules live there; this file decodes and
// encodes.
#include <boost/json.hpp>

#include "core/clock.h"
#include "domain/matters.h"
#include "domain/subjects.h"
#include "domain/unit_directory.h"
#include "http/json.h"
#include "http/route_helpers.h"
#include "http/routes.h"

namespace lvyuan::http {
namespace json = boost::json;
using core::Result;

namespace {

json::value OptText(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

// A subject as lists show it: never the ID number in plain.
json::object SubjectJson(const store::SubjectRecord& s) {
  return json::object{{"id", s.id},
                      {"kind", s.kind},
                      {"name", s.name},
                      {"credit_code", OptText(s.credit_code)},
                      {"id_number_masked", OptText(s.id_number_masked)},
                      {"created_at", core::FormatIsoUtc(s.created_at)},
                      {"updated_at", core::FormatIsoUtc(s.updated_at)}};
}

json::object SubjectDetailJson(const domain::SubjectView& v) {
  json::object o = SubjectJson(v.subject);
  o["id_number"] = OptText(v.id_number);
  o["id_number_shown"] = v.id_number.has_value();
  o["relations"] = Strings(v.relations);
  o["matters"] = "/api/v1/matters?subject_id=" + std::to_string(v.subject.id);
  return o;
}

json::value DirectoryUnitJson(const domain::Accounts& accounts, const store::DirectoryUnit& u) {
  const core::Region* region = accounts.regions().Find(u.region_code);
  return json::object{
      {"id", u.id},
      {"name", u.name},
      {"type", u.type},
      {"region_code", u.region_code},
      {"region_name", region ? accounts.regions().FullName(u.region_code) : std::string()},
      {"abbreviation", u.abbreviation},
      {"parent_id", u.parent_id ? json::value(*u.parent_id) : json::value(nullptr)},
      {"parent_name", u.parent_id ? json::value(u.parent_name) : json::value(nullptr)}};
}

}  // namespace

void AddSubjectRoutes(Router& router, const Services& services) {
  const std::string read(domain::kMatterReadPermission);

  if (domain::Subjects* subjects = services.subjects) {
    router.Add({.method = Verb::get,
                .pattern = "/api/v1/subjects",
                .permission = read,
                .handler = Wrap([subjects](Request& r) -> Result<Response> {
                  domain::SubjectQuery query;
                  query.q = TextQuery(r, "q");
                  query.after_id = TRY(DecodeCursor(r));
                  query.limit = TRY(LimitOf(r, 20, 100));
                  auto found = TRY(subjects->Search(*r.principal, query));
                  json::object body = PageJson<store::SubjectRecord>(
                      found.page, [](const store::SubjectRecord& s) { return SubjectJson(s); });
                  body["matched_by"] = found.matched_by;
                  return JsonResponse(200, body);
                })});

    router.Add({.method = Verb::get,
                .pattern = "/api/v1/subjects/{id}",
                .permission = read,
                .writes = true,  // a supervised read: records an event
                .handler = Wrap([subjects](Request& r) -> Result<Response> {
                  const std::int64_t id = TRY(r.PathId("id"));
                  auto view = TRY(subjects->Get(*r.principal, id, MetaOf(r)));
                  return JsonResponse(200, SubjectDetailJson(view));
                })});
  }

  if (domain::UnitDirectory* directory = services.directory) {
    domain::Accounts* accounts = &services.accounts;
    router.Add({.method = Verb::get,
                .pattern = "/api/v1/directory/units",
                .permission = read,
                .handler = Wrap([directory, accounts](Request& r) -> Result<Response> {
                  store::DirectoryFilter f;
                  f.name_contains = TextQuery(r, "q");
                  f.type = TextQuery(r, "type");
                  f.region_prefix = TextQuery(r, "region");
                  if (f.region_prefix.find_first_not_of("0123456789") != std::string::npos) {
                    return core::InvalidArgument("行政区划代码应为数字", "region");
                  }
                  // "330500" is the whole city: drop trailing zero pairs, as the
                  // administrators' unit list does.
                  while (f.region_prefix.size() > 2 && f.region_prefix.size() <= 6 &&
                         f.region_prefix.ends_with("00")) {
                    f.region_prefix.resize(f.region_prefix.size() - 2);
                  }
                  f.after_id = TRY(DecodeCursor(r));
                  f.limit = TRY(LimitOf(r, 50, 200));
                  auto page = TRY(directory->List(*r.principal, f));
                  return JsonResponse(200, PageJson<store::DirectoryUnit>(
                                               page, [accounts](const store::DirectoryUnit& u) {
                                                 return DirectoryUnitJson(*accounts, u);
                                               }));
                })});
  }
}

}  // namespace lvyuan::http
