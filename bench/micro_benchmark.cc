// Micro-benchmarks of the work every authenticated request does: hashing
// (SM3 of 1 KiB) and looking up a session (domain::Accounts::
// AuthenticateSession against a SQLite database in a temporary directory).
//
//   cmake --preset bench && cmake --build --preset bench --target lvyuan_micro_benchmark
//   build/bench/bench/lvyuan_micro_benchmark
#include <benchmark/benchmark.h>
#include <sodium.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/regions.h"
#include "crypto/hash.h"
#include "domain/accounts.h"
#include "domain/catalog.h"
#include "domain/demo.h"
#include "record/log.h"
#include "store/database.h"

namespace lvyuan {
namespace {

void BM_Sm3OneKiB(benchmark::State& state) {
  const std::string data(1024, 'x');
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::Sm3(data));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 1024);
}
BENCHMARK(BM_Sm3OneKiB);

void BM_HmacSm3CsrfToken(benchmark::State& state) {
  const std::string key(32, 'k');
  const std::string token(43, 't');
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::HmacSm3(key, token));
  }
}
BENCHMARK(BM_HmacSm3CsrfToken);

// A demo deployment in a temporary directory with one signed-in session.
// Any failure aborts: a benchmark that measures an error path is worthless.
class Deployment {
 public:
  Deployment() {
    dir_ = std::filesystem::temp_directory_path() / ("lvyuan-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::filesystem::path root(LVYUAN_SOURCE_ROOT);
    auto db = store::Open({.url = (dir_ / "lvyuan.db").string()});
    Check(db, "open");
    db_ = std::move(db).value();
    Check(db_->Migrate(), "migrate");
    auto catalog = domain::Catalog::Load(root / "data");
    Check(catalog, "catalog");
    catalog_ = std::make_unique<domain::Catalog>(std::move(catalog).value());
    auto regions = core::RegionCatalogue::Load(root / "data/regions");
    Check(regions, "regions");
    regions_ = std::make_unique<core::RegionCatalogue>(std::move(regions).value());
    domain::AuthPolicy policy;
    policy.hash_params = {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
    log_ = std::move(record::Log::Open(*db_, clock_, crypto::HashAlgorithm::kSm3).value());
    accounts_ =
        std::make_unique<domain::Accounts>(*db_, *catalog_, *regions_, clock_, *log_, policy);
    Check(accounts_->Initialize(), "initialize");
    auto demo = domain::CreateDemo(*accounts_, {});
    Check(demo, "demo");
    auto login = accounts_->Login({"hzhb_officer", "Lvyuan@2026demo", ""}, {"127.0.0.1", "bench"});
    Check(login, "login");
    session_token_ = login->session_token;
  }
  ~Deployment() {
    accounts_.reset();
    db_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Deployment(const Deployment&) = delete;
  Deployment& operator=(const Deployment&) = delete;

  domain::Accounts& accounts() { return *accounts_; }
  const std::string& session_token() const { return session_token_; }

 private:
  template <typename R>
  static void Check(const R& result, const char* step) {
    if (result.ok()) return;
    std::fprintf(stderr, "benchmark set-up failed at %s: %s\n", step,
                 result.error().ToString().c_str());
    std::abort();
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<domain::Catalog> catalog_;
  std::unique_ptr<core::RegionCatalogue> regions_;
  core::SystemClock clock_;
  std::unique_ptr<record::Log> log_;
  std::unique_ptr<domain::Accounts> accounts_;
  std::string session_token_;
};

void BM_AuthenticateSession(benchmark::State& state) {
  Deployment deployment;
  for (auto _ : state) {
    auto principal = deployment.accounts().AuthenticateSession(deployment.session_token());
    if (!principal.ok()) {
      state.SkipWithError(principal.error().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(principal);
  }
}
BENCHMARK(BM_AuthenticateSession);

}  // namespace
}  // namespace lvyuan
