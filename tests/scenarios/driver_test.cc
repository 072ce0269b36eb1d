// The scenario driver: every tests/scenarios/*.scenario file is one test
// case (ScenarioFiles/ScenarioTest.Runs/<file>), run against a fresh demo
// deployment (domain::CreateDemo and CreateDemoMatters: the demo units, users
// and abbreviations) in a real SQLite file, through domain::Matters with a
// fake clock. A failure names the file and the line of the step.
//
// The format, one step a line (docs/workflows.md, "Scenario files"):
//
//   # a comment; blank lines are ignored
//   clock 2026-02-13 09:00             set the fake clock (China time)
//   file <name> by <user>              <user> uploads a small PNG as evidence
//   create <ref> <kind> by <user> => <expect> [<json>]
//   act <ref> <action> by <user> [stale] => <expect> [<json>]
//                                      take the action at the matter's current
//                                      version (stale: one before it)
//   linked <new-ref> = <ref> <action> [<n>]
//                                      the n-th (1-based, default 1) matter
//                                      <ref>'s <action> opened (its link)
//   state <ref> <state>
//   number <ref> <matter number>
//   field <ref> <name> <json>          the matter's field equals the JSON value
//   nofield <ref> <name>               the matter has no such field
//   sees <ref> <user>...               Get succeeds for each user
//   hidden <ref> <user>...             Get answers NotFound ("事项不存在")
//   relations <ref> <user> <r>[,<r>…]  the user's unit's relations, in order
//   allowed <ref> <user> <a>[,<a>…]|-  the user's allowed actions, in order
//   participants <ref> <relation> <n>  units with that relation
//   deadline <ref> <name> <YYYY-MM-DD> [ok|due_soon|overdue|cleared]
//                                      the deadline's last day (China date)
//                                      and, when given, its status now
//   events <ref> <action> <n>          record events "matter.<action>"
//   inbox <user> <n>                   the user's unread notifications
//
// <user> is a demo username (docs/demo.md). <expect> is ok, or the HTTP status
// the API answers for the error — 400, 403, 404 or 409 — optionally followed
// by the field the error names. JSON may continue over several lines until
// its braces balance; inside it ${unit:<unit name>}, ${file:<name>} and
// ${id:<ref>} are replaced by the ids they name.
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "crypto/field_cipher.h"
#include "domain/accounts.h"
#include "domain/catalog.h"
#include "domain/demo.h"
#include "domain/evidence.h"
#include "domain/matters.h"
#include "record/blob_store.h"
#include "record/log.h"
#include "store/accounts.h"
#include "store/database.h"
#include "workflow/test_env.h"

namespace lvyuan {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using workflow::testing::Shipped;

const fs::path kScenarioDir = fs::path(LVYUAN_SOURCE_ROOT) / "tests" / "scenarios";
// Monday 2 February 2026, 09:00 in China: when the deployment is made (after
// the demo photos were taken, 15 January).
const std::int64_t kStart = workflow::testing::ChinaTime("2026-02-02T09:00");

// The status the HTTP API answers for an error code (http/json.cc).
int StatusOf(core::ErrorCode code) {
  switch (code) {
    case core::ErrorCode::kInvalidArgument:
    case core::ErrorCode::kOutOfRange:
      return 400;
    case core::ErrorCode::kPermissionDenied:
      return 403;
    case core::ErrorCode::kNotFound:
      return 404;
    case core::ErrorCode::kAlreadyExists:
    case core::ErrorCode::kAborted:
    case core::ErrorCode::kFailedPrecondition:
      return 409;
    default:
      return 500;
  }
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> out;
  if (text == "-") return out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out.empty() ? "-" : out;
}

// Brace depth of JSON text so far (strings skipped).
int Depth(const std::string& text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
  }
  return depth;
}

struct Step {
  int line = 0;
  std::vector<std::string> words;  // before the JSON
  std::string json;                // the JSON text, or empty
};

// Reads the steps of a scenario file; a step's JSON starts at its first '{',
// '[' or '"' after "=>", or at the last word of field steps.
std::vector<Step> ReadSteps(const fs::path& path) {
  std::ifstream in(path);
  std::vector<Step> steps;
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    const std::string trimmed = text.substr(0, text.find_last_not_of(" \t\r") + 1);
    const auto first = trimmed.find_first_not_of(" \t");
    if (first == std::string::npos || trimmed[first] == '#') continue;
    Step step;
    step.line = number;
    std::string head = trimmed.substr(first);
    std::size_t json_at = std::string::npos;
    if (head.rfind("field ", 0) == 0) {
      // field <ref> <name> <json>
      std::size_t at = 0;
      for (int i = 0; i < 3 && at != std::string::npos; ++i) {
        at = head.find(' ', at);
        if (at != std::string::npos) at = head.find_first_not_of(' ', at);
      }
      json_at = at;
    } else if (const auto arrow = head.find("=>"); arrow != std::string::npos) {
      json_at = head.find_first_of("{[", arrow);
    }
    if (json_at != std::string::npos) {
      step.json = head.substr(json_at);
      head = head.substr(0, json_at);
      while (Depth(step.json) > 0 && std::getline(in, text)) {
        ++number;
        step.json += "\n" + text;
      }
    }
    step.words = Words(head);
    steps.push_back(std::move(step));
  }
  return steps;
}

class ScenarioTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    const Shipped& shipped = Shipped::Get();
    dir_ = fs::temp_directory_path() /
           ("lvyuan-scenario-" + std::to_string(::getpid()) + "-" + GetParam());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = Must(store::Open({.url = (dir_ / "lvyuan.db").string()}));
    ASSERT_TRUE(db_->Migrate().ok());
    log_ = Must(record::Log::Open(*db_, clock_, crypto::HashAlgorithm::kSm3));
    catalog_ = std::make_unique<domain::Catalog>(
        Must(domain::Catalog::Load(workflow::testing::kRoot / "data")));
    evidence_catalog_ = std::make_unique<domain::EvidenceCatalog>(
        Must(domain::EvidenceCatalog::Load(workflow::testing::kRoot / "data")));
    domain::AuthPolicy policy;
    policy.hash_params = {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
    policy.field_cipher = &cipher_;
    accounts_ =
        std::make_unique<domain::Accounts>(*db_, *catalog_, shipped.regions, clock_, *log_, policy);
    ASSERT_TRUE(accounts_->Initialize().ok());
    Must(domain::CreateDemo(*accounts_, {}));
    blobs_ = std::make_unique<record::BlobStore>(dir_ / "files");
    evidence_ =
        std::make_unique<domain::Evidence>(*db_, *log_, *blobs_, *evidence_catalog_, clock_);
    matters_ = std::make_unique<domain::Matters>(*db_, *log_, shipped.registry, shipped.calendar,
                                                 shipped.regions, cipher_, *catalog_, clock_);
    Must(domain::CreateDemoMatters(*matters_, *evidence_, *db_, *catalog_));
  }

  void TearDown() override {
    matters_.reset();
    evidence_.reset();
    accounts_.reset();
    log_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  template <typename T>
  static T Must(core::Result<T> r) {
    if (!r.ok()) throw std::runtime_error(r.error().ToString());
    return std::move(r).value();
  }

  // The demo user acting as if signed in.
  core::Result<domain::Principal> User(const std::string& username) {
    auto found = principals_.find(username);
    if (found != principals_.end()) return found->second;
    std::optional<store::UserRecord> user;
    TRY(db_->Read([&](store::Conn& conn) -> core::Status {
      user = TRY(store::FindUserByName(conn, username));
      return core::Ok();
    }));
    if (!user) return core::NotFound("no demo user " + username);
    domain::Principal p;
    p.user_id = user->id;
    p.username = user->username;
    p.display_name = user->display_name;
    p.unit_id = user->unit_id;
    p.unit_type = user->unit_type;
    p.roles = user->roles;
    for (const std::string& code : user->roles) {
      if (const domain::Role* role = catalog_->FindRole(code)) {
        p.permissions.insert(role->permissions.begin(), role->permissions.end());
      }
    }
    principals_[username] = p;
    return p;
  }

  core::Result<std::int64_t> UnitId(const std::string& name) {
    std::optional<store::UnitRecord> unit;
    TRY(db_->Read([&](store::Conn& conn) -> core::Status {
      unit = TRY(store::FindUnitByName(conn, name));
      return core::Ok();
    }));
    if (!unit) return core::NotFound("no unit " + name);
    return unit->id;
  }

  core::Result<std::int64_t> Upload(const domain::Principal& who, const std::string& name) {
    domain::Provenance p;
    p.source = "on_site_capture";
    p.captured_at = core::FormatIsoUtc(clock_.NowMs());
    p.captured_by = who.display_name;
    p.description = name;
    std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    const std::size_t seed = files_.size() + 1;
    while (png.size() < 128) png.push_back(static_cast<std::uint8_t>(png.size() * seed));
    auto upload = TRY(evidence_->CreateUpload(
        who, {name + ".png", static_cast<std::int64_t>(png.size()), p}, {}));
    auto session = TRY(evidence_->ContinueUpload(who, upload.id, std::nullopt, {}));
    TRY(session->Write(png));
    auto done = TRY(session->Finish());
    if (!done.evidence) return core::Internal("upload did not complete");
    return done.evidence->id;
  }

  // The JSON text with ${unit:…}, ${file:…} and ${id:…} replaced.
  core::Result<json::value> Parse(std::string text) {
    for (auto at = text.find("${"); at != std::string::npos; at = text.find("${", at)) {
      const auto end = text.find('}', at);
      if (end == std::string::npos) return core::InvalidArgument("unclosed ${");
      const std::string inner = text.substr(at + 2, end - at - 2);
      const auto colon = inner.find(':');
      const std::string what = inner.substr(0, colon);
      const std::string name = colon == std::string::npos ? "" : inner.substr(colon + 1);
      std::int64_t id = 0;
      if (what == "unit") {
        id = TRY(UnitId(name));
      } else if (what == "file" && files_.contains(name)) {
        id = files_[name];
      } else if (what == "id" && refs_.contains(name)) {
        id = refs_[name];
      } else {
        return core::InvalidArgument("unknown placeholder ${" + inner + "}");
      }
      text.replace(at, end - at + 1, std::to_string(id));
    }
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return core::InvalidArgument("bad JSON: " + ec.message());
    return v;
  }

  core::Result<std::int64_t> Ref(const std::string& name) {
    auto it = refs_.find(name);
    if (it == refs_.end()) return core::InvalidArgument("unknown matter " + name);
    return it->second;
  }

  core::Result<domain::MatterView> View(const std::string& ref) {
    const std::int64_t id = TRY(Ref(ref));
    return matters_->Get(domain::Accounts::CommandLine(), id);
  }

  // Compares an outcome with "ok" | "<status> [field]" (the words after =>).
  static std::string Judge(const core::Status& outcome, const std::vector<std::string>& expect) {
    if (expect.empty()) return "missing expectation after =>";
    if (expect[0] == "ok") {
      return outcome.ok() ? "" : "expected ok, got " + outcome.error().ToString();
    }
    if (outcome.ok()) return "expected " + Join(expect) + ", got ok";
    const int status = StatusOf(outcome.error().code);
    if (std::to_string(status) != expect[0]) {
      return "expected " + expect[0] + ", got " + std::to_string(status) + " " +
             outcome.error().ToString();
    }
    if (expect.size() > 1 && outcome.error().field != expect[1]) {
      return "expected field " + expect[1] + ", got " + outcome.error().ToString();
    }
    return "";
  }

  // Runs one step; returns "" when it holds, else what went wrong.
  core::Result<std::string> Run(const Step& step) {
    const std::vector<std::string>& w = step.words;
    const std::string& verb = w.at(0);
    auto need = [&](std::size_t n) -> core::Status {
      if (w.size() < n) return core::InvalidArgument("too few words for " + verb);
      return core::Ok();
    };
    auto after_arrow = [&]() {
      auto arrow = std::find(w.begin(), w.end(), "=>");
      return arrow == w.end() ? std::vector<std::string>{}
                              : std::vector<std::string>(arrow + 1, w.end());
    };
    if (verb == "clock") {
      TRY(need(3));
      clock_.Set(workflow::testing::ChinaTime(w[1] + "T" + w[2]));
      return std::string();
    }
    if (verb == "file") {
      TRY(need(4));
      const domain::Principal who = TRY(User(w[3]));
      files_[w[1]] = TRY(Upload(who, w[1]));
      return std::string();
    }
    if (verb == "create") {
      TRY(need(7));
      const domain::Principal who = TRY(User(w[4]));
      const json::value input =
          step.json.empty() ? json::value(json::object{}) : TRY(Parse(step.json));
      auto created = matters_->Create(who, w[2], input, {"", "scenario"});
      if (created.ok()) refs_[w[1]] = *created;
      return Judge(created.ok() ? core::Ok() : core::Status(created.error()), after_arrow());
    }
    if (verb == "act") {
      TRY(need(7));
      const domain::Principal who = TRY(User(w[4]));
      const domain::MatterView view = TRY(View(w[1]));
      const bool stale = w[5] == "stale";
      const json::value input =
          step.json.empty() ? json::value(json::object{}) : TRY(Parse(step.json));
      auto done = matters_->Act(who, view.matter.id, w[2], input,
                                view.matter.version - (stale ? 1 : 0), {"", "scenario"});
      return Judge(done.ok() ? core::Ok() : core::Status(done.error()), after_arrow());
    }
    if (verb == "linked") {
      TRY(need(5));
      const domain::MatterView view = TRY(View(w[3]));
      const std::size_t n = w.size() > 5 ? std::stoul(w[5]) : 1;
      std::size_t seen = 0;
      for (const store::LinkRecord& link : view.links) {
        if (link.from_matter_id != view.matter.id || link.relation != w[4]) continue;
        if (++seen == n) {
          refs_[w[1]] = link.to_matter_id;
          return std::string();
        }
      }
      return "no matter #" + std::to_string(n) + " opened by " + w[4] + " (" +
             std::to_string(seen) + " opened)";
    }
    if (verb == "state" || verb == "number") {
      TRY(need(3));
      const domain::MatterView view = TRY(View(w[1]));
      const std::string& got = verb == "state" ? view.matter.state : view.matter.number;
      return got == w[2] ? std::string() : verb + " is " + got + ", expected " + w[2];
    }
    if (verb == "field" || verb == "nofield") {
      TRY(need(3));
      const domain::MatterView view = TRY(View(w[1]));
      const json::value* got = view.fields.if_contains(w[2]);
      if (verb == "nofield") {
        return got == nullptr ? std::string() : w[2] + " is " + json::serialize(*got);
      }
      const json::value expected = TRY(Parse(step.json));
      if (got == nullptr) return w[2] + " is missing";
      return *got == expected ? std::string()
                              : w[2] + " is " + json::serialize(*got) + ", expected " +
                                    json::serialize(expected);
    }
    if (verb == "sees" || verb == "hidden") {
      TRY(need(3));
      const std::int64_t id = TRY(Ref(w[1]));
      for (std::size_t i = 2; i < w.size(); ++i) {
        const domain::Principal who = TRY(User(w[i]));
        auto got = matters_->Get(who, id);
        if (verb == "sees" && !got.ok())
          return w[i] + " does not see it: " + got.error().ToString();
        if (verb == "hidden" && (got.ok() || got.error().code != core::ErrorCode::kNotFound ||
                                 got.error().message != "事项不存在")) {
          return w[i] + " is not answered 事项不存在";
        }
      }
      return std::string();
    }
    if (verb == "relations" || verb == "allowed") {
      TRY(need(4));
      const std::int64_t id = TRY(Ref(w[1]));
      const domain::Principal who = TRY(User(w[2]));
      const domain::MatterView view = TRY(matters_->Get(who, id));
      const std::string got = Join(verb == "relations" ? view.relations : view.allowed_actions);
      return got == Join(SplitCommas(w[3])) ? std::string()
                                            : verb + " are " + got + ", expected " + w[3];
    }
    if (verb == "participants") {
      TRY(need(4));
      const domain::MatterView view = TRY(View(w[1]));
      const auto n = std::count_if(view.participants.begin(), view.participants.end(),
                                   [&](const auto& p) { return p.relation == w[2]; });
      return std::to_string(n) == w[3]
                 ? std::string()
                 : std::to_string(n) + " participants " + w[2] + ", expected " + w[3];
    }
    if (verb == "deadline") {
      TRY(need(4));
      const domain::MatterView view = TRY(View(w[1]));
      for (const domain::MatterDeadline& d : view.deadlines) {
        if (d.deadline.name != w[2]) continue;
        const std::string last_day = core::ChinaDate(d.deadline.due_at - 1);
        if (last_day != w[3]) return w[2] + " ends on " + last_day + ", expected " + w[3];
        if (w.size() > 4 && d.status != w[4])
          return w[2] + " is " + d.status + ", expected " + w[4];
        return std::string();
      }
      return "no deadline " + w[2];
    }
    if (verb == "events") {
      TRY(need(4));
      const std::int64_t id = TRY(Ref(w[1]));
      const auto timeline = TRY(matters_->Timeline(domain::Accounts::CommandLine(), id, 0, 200));
      const auto n = std::count_if(timeline.events.begin(), timeline.events.end(),
                                   [&](const auto& e) { return e.action == "matter." + w[2]; });
      return std::to_string(n) == w[3]
                 ? std::string()
                 : std::to_string(n) + " events " + w[2] + ", expected " + w[3];
    }
    if (verb == "inbox") {
      TRY(need(3));
      const domain::Principal who = TRY(User(w[1]));
      const std::int64_t n = TRY(matters_->UnreadCount(who));
      return std::to_string(n) == w[2] ? std::string()
                                       : std::to_string(n) + " unread, expected " + w[2];
    }
    return core::InvalidArgument("unknown step \"" + verb + "\"");
  }

  fs::path dir_;
  core::FakeClock clock_{kStart};
  crypto::FieldCipher cipher_ = crypto::FieldCipher::Generate();
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<record::Log> log_;
  std::unique_ptr<domain::Catalog> catalog_;
  std::unique_ptr<domain::EvidenceCatalog> evidence_catalog_;
  std::unique_ptr<domain::Accounts> accounts_;
  std::unique_ptr<record::BlobStore> blobs_;
  std::unique_ptr<domain::Evidence> evidence_;
  std::unique_ptr<domain::Matters> matters_;
  std::map<std::string, domain::Principal> principals_;
  std::map<std::string, std::int64_t> refs_;   // matter references → ids
  std::map<std::string, std::int64_t> files_;  // file names → evidence ids
};

TEST_P(ScenarioTest, Runs) {
  const fs::path path = kScenarioDir / (GetParam() + ".scenario");
  const std::vector<Step> steps = ReadSteps(path);
  ASSERT_FALSE(steps.empty()) << path.filename().string() << " has no steps";
  for (const Step& step : steps) {
    const std::string where = path.filename().string() + ":" + std::to_string(step.line);
    auto outcome = Run(step);
    if (!outcome.ok()) FAIL() << where << ": cannot run step: " << outcome.error().ToString();
    if (!outcome->empty()) FAIL() << where << ": " << *outcome;
  }
}

std::vector<std::string> ScenarioNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kScenarioDir)) {
    if (entry.path().extension() == ".scenario") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(ScenarioFiles, ScenarioTest, ::testing::ValuesIn(ScenarioNames()),
                         [](const ::testing::TestParamInfo<std::string>& file) {
                           return file.param;
                         });

}  // namespace
}  // namespace lvyuan
