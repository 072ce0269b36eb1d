// docs/openapi.yaml and the route table describe the same API: every
// (method, path) the server registers is a documented operation and every
// documented operation is registered.
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "core/calendar.h"
#include "core/clock.h"
#include "core/regions.h"
#include "domain/accounts.h"
#include "domain/catalog.h"
#include "domain/evidence.h"
#include "domain/matters.h"
#include "domain/record_access.h"
#include "domain/record_verify_job.h"
#include "domain/subjects.h"
#include "domain/unit_directory.h"
#include "http/router.h"
#include "http/routes.h"
#include "http/server.h"
#include "record/log.h"
#include "store/database.h"
#include "workflow/guards.h"

namespace lvyuan::http {
namespace {

using Operation = std::pair<std::string, std::string>;  // {"GET", "/api/v1/me"}
using Operations = std::set<Operation>;

// Registered by Server's constructor, not by RegisterRoutes.
const Operations kBuiltInRoutes = {{"GET", "/healthz"}, {"GET", "/readyz"}, {"GET", "/metrics"}};

std::filesystem::path SourceRoot() { return std::filesystem::path(LVYUAN_SOURCE_ROOT); }

int IndentOf(const std::string& line) {
  std::size_t n = line.find_first_not_of(' ');
  return n == std::string::npos ? -1 : static_cast<int>(n);
}

// The operations of the document's `paths:` section, read line by line: path
// keys at indent 2 starting with '/', method keys at indent 4. `error` is set
// when the section is missing.
Operations ReadDocumentedOperations(const std::filesystem::path& file, std::string* error) {
  static const std::set<std::string> kMethods = {"get",     "put",  "post",  "delete",
                                                 "options", "head", "patch", "trace"};
  std::ifstream in(file);
  if (!in) {
    *error = "cannot read " + file.string();
    return {};
  }
  Operations out;
  bool in_paths = false;
  bool seen_paths = false;
  std::string path;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    int indent = IndentOf(line);
    if (indent < 0 || line[static_cast<std::size_t>(indent)] == '#') continue;
    if (indent == 0) {
      in_paths = line == "paths:";
      seen_paths = seen_paths || in_paths;
      continue;
    }
    if (!in_paths || line.back() != ':') continue;
    std::string key = line.substr(static_cast<std::size_t>(indent), line.size() - indent - 1);
    if (key.size() >= 2 && (key.front() == '\'' || key.front() == '"') &&
        key.back() == key.front()) {
      key = key.substr(1, key.size() - 2);
    }
    if (indent == 2 && key.starts_with('/')) {
      path = key;
    } else if (indent == 4 && !path.empty() && kMethods.contains(key)) {
      std::string method = key;
      for (char& c : method) c = static_cast<char>(c - 'a' + 'A');
      out.emplace(method, path);
    }
  }
  if (!seen_paths) *error = file.string() + " has no top-level paths: section";
  return out;
}

Operations OperationsOf(const Router& router) {
  Operations out;
  for (const Route& route : router.routes()) {
    out.emplace(std::string(beast_http::to_string(route.method)), route.pattern);
  }
  return out;
}

std::string Describe(const Operations& ops) {
  std::ostringstream s;
  for (const auto& [method, path] : ops) s << "\n  " << method << " " << path;
  return s.str();
}

// Operations in `a` that are not in `b`.
Operations Minus(const Operations& a, const Operations& b) {
  Operations out;
  for (const auto& op : a) {
    if (!b.contains(op)) out.insert(op);
  }
  return out;
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("lvyuan-openapi-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = store::Open({.url = (dir_ / "lvyuan.db").string()});
    ASSERT_TRUE(db.ok()) << db.error().ToString();
    db_ = std::move(db).value();
    auto migrated = db_->Migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().ToString();
    auto catalog = domain::Catalog::Load(SourceRoot() / "data");
    ASSERT_TRUE(catalog.ok()) << catalog.error().ToString();
    catalog_ = std::make_unique<domain::Catalog>(std::move(catalog).value());
    auto regions = core::RegionCatalogue::Load(SourceRoot() / "data/regions");
    ASSERT_TRUE(regions.ok()) << regions.error().ToString();
    regions_ = std::make_unique<core::RegionCatalogue>(std::move(regions).value());
    domain::AuthPolicy policy;
    policy.hash_params = {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
    log_ = std::move(record::Log::Open(*db_, clock_, crypto::HashAlgorithm::kSm3).value());
    accounts_ =
        std::make_unique<domain::Accounts>(*db_, *catalog_, *regions_, clock_, *log_, policy);
    auto initialized = accounts_->Initialize();
    ASSERT_TRUE(initialized.ok()) << initialized.error().ToString();
    auto key = crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kSm2);
    ASSERT_TRUE(key.ok());
    record_ = std::make_unique<domain::RecordAccess>(*db_, *log_, key->Public());
    auto evidence_catalog = domain::EvidenceCatalog::Load(SourceRoot() / "data");
    ASSERT_TRUE(evidence_catalog.ok()) << evidence_catalog.error().ToString();
    evidence_catalog_ =
        std::make_unique<domain::EvidenceCatalog>(std::move(evidence_catalog).value());
    blobs_ = std::make_unique<record::BlobStore>(dir_ / "files");
    evidence_ =
        std::make_unique<domain::Evidence>(*db_, *log_, *blobs_, *evidence_catalog_, clock_);
    verify_ = std::make_unique<domain::RecordVerifyJob>(*db_, *log_, clock_, dir_ / "files");
    auto calendar = core::WorkCalendar::Load(SourceRoot() / "data/calendar");
    ASSERT_TRUE(calendar.ok()) << calendar.error().ToString();
    calendar_ = std::make_unique<core::WorkCalendar>(std::move(calendar).value());
    notifier_ = store::MakeNotifier(*db_, {});
    auto workflow_catalogs = workflow::Catalogs::FromDataDir(SourceRoot() / "data", *regions_);
    ASSERT_TRUE(workflow_catalogs.ok()) << workflow_catalogs.error().ToString();
    auto workflows = workflow::Registry::Load(SourceRoot() / "workflows", *workflow_catalogs,
                                              workflow::BuiltinGuards());
    ASSERT_TRUE(workflows.ok()) << workflows.error().ToString();
    workflows_ = std::make_unique<workflow::Registry>(std::move(workflows).value());
    cipher_ = std::make_unique<crypto::FieldCipher>(crypto::FieldCipher::Generate());
    matters_ = std::make_unique<domain::Matters>(*db_, *log_, *workflows_, *calendar_, *regions_,
                                                 *cipher_, *catalog_, clock_);
    subjects_ = std::make_unique<domain::Subjects>(*db_, *log_, *cipher_);
    directory_ = std::make_unique<domain::UnitDirectory>(*db_);
    RegisterRoutes(router_,
                   {.accounts = *accounts_,
                    .record = record_.get(),
                    .verify = verify_.get(),
                    .evidence = evidence_.get(),
                    .calendar = calendar_.get(),
                    .notifier = notifier_.get(),
                    .matters = matters_.get(),
                    .subjects = subjects_.get(),
                    .directory = directory_.get()},
                   {});

    std::string error;
    documented_ = ReadDocumentedOperations(SourceRoot() / "docs/openapi.yaml", &error);
    ASSERT_TRUE(error.empty()) << error;
  }

  void TearDown() override {
    directory_.reset();
    subjects_.reset();
    matters_.reset();
    verify_.reset();
    evidence_.reset();
    record_.reset();
    accounts_.reset();
    db_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // What the running server answers: the API routes plus the built-in ones.
  Operations Served() const {
    Operations ops = OperationsOf(router_);
    ops.insert(kBuiltInRoutes.begin(), kBuiltInRoutes.end());
    return ops;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  // Before router_, whose event stream subscribes to it.
  std::unique_ptr<store::Notifier> notifier_;
  std::unique_ptr<workflow::Registry> workflows_;
  std::unique_ptr<crypto::FieldCipher> cipher_;
  std::unique_ptr<domain::Matters> matters_;
  std::unique_ptr<domain::Subjects> subjects_;
  std::unique_ptr<domain::UnitDirectory> directory_;
  std::unique_ptr<domain::Catalog> catalog_;
  std::unique_ptr<core::RegionCatalogue> regions_;
  core::SystemClock clock_;
  std::unique_ptr<record::Log> log_;
  std::unique_ptr<domain::Accounts> accounts_;
  std::unique_ptr<domain::RecordAccess> record_;
  std::unique_ptr<domain::RecordVerifyJob> verify_;
  std::unique_ptr<domain::EvidenceCatalog> evidence_catalog_;
  std::unique_ptr<record::BlobStore> blobs_;
  std::unique_ptr<domain::Evidence> evidence_;
  std::unique_ptr<core::WorkCalendar> calendar_;
  Router router_;
  Operations documented_;
};

TEST_F(OpenApiTest, DocumentParsesIntoOperations) {
  EXPECT_TRUE(documented_.contains({"POST", "/api/v1/auth/login"})) << Describe(documented_);
  EXPECT_TRUE(documented_.contains({"PATCH", "/api/v1/users/{id}"})) << Describe(documented_);
  EXPECT_FALSE(documented_.contains({"PARAMETERS", "/api/v1/units"}));
}

TEST_F(OpenApiTest, EveryServedRouteIsDocumented) {
  Operations missing = Minus(Served(), documented_);
  EXPECT_TRUE(missing.empty()) << "routes missing from docs/openapi.yaml:" << Describe(missing);
}

TEST_F(OpenApiTest, EveryDocumentedOperationIsServed) {
  Operations extra = Minus(documented_, Served());
  EXPECT_TRUE(extra.empty()) << "operations in docs/openapi.yaml that no route serves:"
                             << Describe(extra);
}

TEST_F(OpenApiTest, ServerRegistersExactlyTheBuiltInRoutes) {
  Router router;
  Server server(ServerOptions{.port = 0}, router, Hooks{});
  EXPECT_EQ(OperationsOf(router), kBuiltInRoutes) << Describe(OperationsOf(router));
}

}  // namespace
}  // namespace lvyuan::http
