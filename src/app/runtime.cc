#include "app/runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "domain/field_key.h"
#include "domain/reminders.h"
#include "http/access_log.h"
#include "http/routes.h"
#include "http/server.h"
#include "record/checkpoint.h"
#include "record/witness.h"
#include "store/postgres/postgres_database.h"
#include "workflow/guards.h"

namespace lvyuan::app {
namespace {

// The shipped data directory: as configured when it exists, otherwise the
// source tree's (a build run from elsewhere, such as a test).
std::filesystem::path FindCatalogDir(const std::string& configured) {
  std::filesystem::path p(configured);
  if (std::filesystem::exists(p / "roles.json")) return p;
  std::filesystem::path fallback = std::filesystem::path(LVYUAN_SOURCE_ROOT) / configured;
  if (p.is_relative() && std::filesystem::exists(fallback / "roles.json")) return fallback;
  return p;
}

// The procedure definitions: workflows/ beside the shipped data directory.
std::filesystem::path WorkflowDirOf(std::filesystem::path catalog_dir) {
  if (!catalog_dir.has_filename()) catalog_dir = catalog_dir.parent_path();
  return catalog_dir.parent_path() / "workflows";
}

// Bundles are removed once sent; what a crash left behind (older than an
// hour, so another process's export in flight is spared) goes at start-up.
void RemoveStaleExports(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::error_code item_ec;
    if (it->is_regular_file(item_ec) && it->last_write_time(item_ec) < cutoff && !item_ec) {
      fs::remove(it->path(), item_ec);
    }
  }
}

// Migrates through store.migration_url (the role that owns the tables) and
// grants the role of store.url what the application needs.
core::Status MigrateAsOwner(const StoreConfig& store_config) {
  auto owner = store::Open({.url = store_config.migration_url,
                            .reader_pool_size = 1,
                            .busy_timeout_ms = static_cast<int>(store_config.busy_timeout_ms)});
  if (!owner.ok()) {
    auto e = std::move(owner).error();
    e.field = "store.migration_url";
    return e;
  }
  TRY((*owner)->Migrate());
  auto* postgres = dynamic_cast<store::postgres::PostgresDatabase*>(owner->get());
  if (postgres == nullptr) {
    return core::InvalidArgument("store.migration_url 应为 PostgreSQL 地址", "store.migration_url");
  }
  const std::string app_role = TRY(store::postgres::UserOfUrl(store_config.url));
  const std::string owner_role = TRY(store::postgres::UserOfUrl(store_config.migration_url));
  if (app_role.empty()) {
    return core::InvalidArgument("设置了 store.migration_url 时 store.url 须写明其角色（用户名）",
                                 "store.url");
  }
  if (app_role == owner_role) return core::Ok();  // one role for both: nothing to restrict
  return postgres->GrantApplicationRole(app_role);
}

}  // namespace

Runtime::~Runtime() {
  if (!log_ || !signing_key_ || log_->appended() == 0) return;
  auto made = record::MakeCheckpoint(*db_, *log_, *signing_key_, clock_);
  if (!made.ok()) spdlog::error("final checkpoint failed: {}", made.error().ToString());
}

core::Result<std::unique_ptr<Runtime>> Runtime::Open(const CommonOptions& options,
                                                     bool for_server) {
  auto rt = std::make_unique<Runtime>();
  std::optional<std::filesystem::path> file;
  if (!options.config_file.empty()) file = options.config_file;
  rt->config_ = TRY(LoadConfig(file));
  Config& c = rt->config_;
  if (!options.listen.empty()) {
    auto hp = ParseListen(options.listen);
    if (!hp.ok()) return core::InvalidArgument(hp.error().message, "--listen");
    c.server.listen = options.listen;
    c.server.host = hp->first;
    c.server.port = hp->second;
  }
  if (options.bulk_load)
    c.store.sqlite_cache_mib = std::max<std::int64_t>(c.store.sqlite_cache_mib, 256);
  const bool default_store = c.store.url == StoreConfig{}.url;
  if (!options.data_dir.empty()) c.data.var_dir = options.data_dir;
  rt->data_dir_ = c.data.var_dir;
  if (default_store) c.store.url = (rt->data_dir_ / "lvyuan.db").string();

  spdlog::set_level(spdlog::level::from_str(c.log.level));
  rt->catalog_dir_ = FindCatalogDir(c.data.dir);
  auto regions = core::RegionCatalogue::Load(rt->catalog_dir_ / "regions");
  if (!regions.ok()) return core::InvalidArgument(regions.error().message, "data.dir");
  rt->regions_ = std::make_unique<core::RegionCatalogue>(std::move(regions).value());
  auto calendar = core::WorkCalendar::Load(rt->catalog_dir_ / "calendar");
  if (!calendar.ok()) return core::InvalidArgument(calendar.error().message, "data.dir");
  rt->calendar_ = std::make_unique<core::WorkCalendar>(std::move(calendar).value());
  auto catalog = domain::Catalog::Load(rt->catalog_dir_);
  if (!catalog.ok()) return core::InvalidArgument(catalog.error().message, "data.dir");
  rt->catalog_ = std::make_unique<domain::Catalog>(std::move(catalog).value());

  std::error_code ec;
  std::filesystem::create_directories(rt->data_dir_, ec);
  if (ec) {
    return core::InvalidArgument("无法创建数据目录 " + rt->data_dir_.string() + ": " + ec.message(),
                                 "data.var_dir");
  }
  auto db = store::Open({.url = c.store.url,
                         .replica_urls = c.store.replica_urls,
                         .reader_pool_size = static_cast<int>(c.store.reader_pool),
                         .busy_timeout_ms = static_cast<int>(c.store.busy_timeout_ms),
                         .sqlite_cache_mib = static_cast<int>(c.store.sqlite_cache_mib),
                         .sqlite_mmap_mib = static_cast<int>(c.store.sqlite_mmap_mib),
                         .sqlite_bulk_load = options.bulk_load});
  if (!db.ok()) {
    auto e = std::move(db).error();
    if (e.code == core::ErrorCode::kInvalidArgument && e.field != "store.replica_urls") {
      e.field = "store.url";
    }
    return e;
  }
  rt->db_ = std::move(db).value();
  if (c.store.migration_url.empty()) {
    TRY(rt->db_->Migrate());
  } else {
    TRY(MigrateAsOwner(c.store));
  }

  domain::AuthPolicy policy;
  policy.idle_timeout_ms = c.auth.idle_timeout_s * 1000;
  policy.admin_idle_timeout_ms = c.auth.admin_idle_timeout_s * 1000;
  policy.absolute_timeout_ms = c.auth.absolute_timeout_s * 1000;
  policy.lockout_threshold = static_cast<int>(c.auth.lockout_threshold);
  policy.lockout_window_ms = c.auth.lockout_window_s * 1000;
  policy.lockout_duration_ms = c.auth.lockout_duration_s * 1000;
  policy.password_min_length = static_cast<std::size_t>(c.auth.password_min_length);
  if (c.auth.argon2_ops > 0)
    policy.hash_params.opslimit = static_cast<unsigned long long>(c.auth.argon2_ops);
  if (c.auth.argon2_mem_kib > 0)
    policy.hash_params.memlimit = static_cast<std::size_t>(c.auth.argon2_mem_kib) * 1024;
  rt->field_cipher_ = std::make_unique<crypto::FieldCipher>(
      TRY(domain::EnsureFieldKey(*rt->db_, rt->data_dir_ / "field-key")));
  policy.field_cipher = rt->field_cipher_.get();
  auto log =
      record::Log::Open(*rt->db_, rt->clock_, TRY(record::ParseHashAlgorithm(c.record.hash)));
  if (!log.ok()) return std::move(log).error();
  rt->log_ = std::move(log).value();
  rt->accounts_ = std::make_unique<domain::Accounts>(*rt->db_, *rt->catalog_, *rt->regions_,
                                                     rt->clock_, *rt->log_, policy);
  // Account changes and new checkpoints reach every process on the database.
  rt->notifier_ = store::MakeNotifier(*rt->db_, {.url = c.store.url});
  rt->accounts_->UseNotifier(*rt->notifier_);
  std::filesystem::path key_file(c.record.key_file);
  if (key_file.is_relative()) key_file = rt->data_dir_ / key_file;
  auto key = record::EnsureSigningKey(*rt->db_, key_file,
                                      TRY(crypto::ParseSignatureAlgorithm(c.record.signature)));
  if (!key.ok()) return std::move(key).error();
  rt->signing_key_ = std::make_unique<crypto::PrivateKey>(std::move(key).value());
  rt->blobs_ = std::make_unique<record::BlobStore>(rt->data_dir_ / "files");
  const std::filesystem::path exports = rt->data_dir_ / "exports";
  RemoveStaleExports(exports);
  rt->record_ = std::make_unique<domain::RecordAccess>(
      *rt->db_, *rt->log_, rt->signing_key_->Public(),
      domain::BundleExportSettings{.key = rt->signing_key_.get(),
                                   .blobs = rt->blobs_.get(),
                                   .clock = &rt->clock_,
                                   .dir = exports});
  rt->verify_job_ = std::make_unique<domain::RecordVerifyJob>(*rt->db_, *rt->log_, rt->clock_,
                                                              rt->data_dir_ / "files");
  auto evidence_catalog = domain::EvidenceCatalog::Load(rt->catalog_dir_);
  if (!evidence_catalog.ok()) {
    return core::InvalidArgument(evidence_catalog.error().message, "data.dir");
  }
  rt->evidence_catalog_ =
      std::make_unique<domain::EvidenceCatalog>(std::move(evidence_catalog).value());
  rt->evidence_ = std::make_unique<domain::Evidence>(*rt->db_, *rt->log_, *rt->blobs_,
                                                     *rt->evidence_catalog_, rt->clock_);
  // A definition that does not load stops start-up, naming file and path.
  auto workflow_catalogs = workflow::Catalogs::FromDataDir(rt->catalog_dir_, *rt->regions_);
  if (!workflow_catalogs.ok()) {
    return core::InvalidArgument(workflow_catalogs.error().message, "data.dir");
  }
  auto workflows = workflow::Registry::Load(WorkflowDirOf(rt->catalog_dir_), *workflow_catalogs,
                                            workflow::BuiltinGuards());
  if (!workflows.ok()) return core::InvalidArgument(workflows.error().message, "data.dir");
  rt->workflows_ = std::make_unique<workflow::Registry>(std::move(workflows).value());
  rt->matters_ = std::make_unique<domain::Matters>(*rt->db_, *rt->log_, *rt->workflows_,
                                                   *rt->calendar_, *rt->regions_,
                                                   *rt->field_cipher_, *rt->catalog_, rt->clock_);
  // Notifications reach the browsers connected to any process.
  rt->matters_->UseNotifier(*rt->notifier_);
  rt->subjects_ = std::make_unique<domain::Subjects>(*rt->db_, *rt->log_, *rt->field_cipher_);
  rt->directory_ = std::make_unique<domain::UnitDirectory>(*rt->db_);
  TRY(rt->accounts_->Initialize());
  if (for_server) TRY(http::ConfigureAccessLog(c.log.access_log));
  return rt;
}

core::Status Runtime::Serve() {
  const Config& c = config_;
  http::ServerOptions so;
  so.host = c.server.host;
  so.port = c.server.port;
  so.threads = static_cast<int>(c.server.threads);
  so.write_threads = static_cast<int>(c.server.write_threads);
  so.header_timeout = std::chrono::seconds(c.server.header_timeout_s);
  so.body_timeout = std::chrono::seconds(c.server.body_timeout_s);
  so.idle_timeout = std::chrono::seconds(c.server.idle_timeout_s);
  so.header_limit = static_cast<std::size_t>(c.server.header_limit_bytes);
  so.body_limit = static_cast<std::size_t>(c.server.body_limit_bytes);
  so.trust_proxy = c.server.trust_proxy;
  std::filesystem::path web_root(c.server.web_root);
  if (web_root.is_relative() && !std::filesystem::exists(web_root / "index.html")) {
    auto fallback = std::filesystem::path(LVYUAN_SOURCE_ROOT) / web_root;
    if (std::filesystem::exists(fallback / "index.html")) web_root = fallback;
  }
  if (!std::filesystem::exists(web_root / "index.html")) {
    spdlog::warn(
        "web UI not built: {} has no index.html (run scripts/run or npm run build in web/)",
        web_root.string());
  }
  so.web_root = web_root;

  http::Router router;
  record::WitnessRegistry witnesses(*db_);
  http::RegisterRoutes(
      router,
      {.accounts = *accounts_,
       .record = record_.get(),
       .verify = verify_job_.get(),
       .evidence = evidence_.get(),
       .witnesses = &witnesses,
       .calendar = calendar_.get(),
       .notifier = notifier_.get(),
       .matters = matters_.get(),
       .subjects = subjects_.get(),
       .directory = directory_.get()},
      {.login_rate_per_minute = static_cast<int>(c.auth.login_rate_per_minute),
       .rate_limit_store = db_.get(),
       .list_cache_entries = static_cast<std::size_t>(c.matters.list_cache_entries),
       .list_cache_max_age_ms = c.matters.list_cache_max_age_ms});
  http::Server server(so, router, http::MakeHooks(*accounts_, *db_));
  // Serve only once changes made by the other processes are heard (bounded:
  // a database that is down shows in /readyz anyway).
  for (int i = 0; i < 500 && !notifier_->Listening(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!notifier_->Listening()) spdlog::warn("not yet hearing the other processes' changes");
  TRY(server.Start());
  server.StopOnSignals();
  std::string host = so.host.find(':') != std::string::npos ? "[" + so.host + "]" : so.host;
  std::printf("lvyuan listening on http://%s:%u\n", host.c_str(), server.port());
  std::fflush(stdout);
  spdlog::info("serving {} with {} threads, store {}", web_root.string(), so.threads,
               db_->Backend());
  record::Checkpointer checkpointer(
      *db_, *log_, *signing_key_, clock_,
      {.every_events = static_cast<std::uint64_t>(c.record.checkpoint_every),
       .interval = std::chrono::seconds(c.record.checkpoint_interval_s)},
      notifier_.get());
  checkpointer.Start();
  // Deadline reminders: one process of the deployment (the lease holder) sends them.
  domain::DeadlineReminders reminders(*db_, *log_, *workflows_, *calendar_, *catalog_,
                                      notifier_.get());
  domain::DeadlineReminderJob reminder_job(
      reminders, clock_, std::chrono::seconds(c.matters.reminder_interval_s), notifier_.get());
  reminder_job.Start();
  server.Run();
  reminder_job.Stop();
  checkpointer.Stop();  // a last checkpoint covers every event
  http::FlushAccessLog();
  spdlog::info("stopped");
  return core::Ok();
}

core::Result<std::vector<domain::DemoAccount>> Runtime::Demo(const std::string& password,
                                                             bool totp) {
  auto accounts = TRY(domain::CreateDemo(*accounts_, {.password = password, .require_totp = totp}));
  TRY(domain::CreateDemoMatters(*matters_, *evidence_, *db_, *catalog_));
  return accounts;
}

core::Result<domain::DemoVolumeResult> Runtime::DemoVolume(
    const domain::DemoVolumeOptions& options) {
  auto made = TRY(domain::CreateDemoVolume(*accounts_, *matters_, *evidence_, *db_, *catalog_,
                                           *regions_, clock_, options));
  // Left as a deployment that has been running: the deadline reminders of
  // the backlog are sent now, not by the first `serve`.
  domain::DeadlineReminders reminders(*db_, *log_, *workflows_, *calendar_, *catalog_,
                                      notifier_.get());
  TRY(reminders.RunOnce(clock_.NowMs()));
  return made;
}

core::Result<std::int64_t> Runtime::ResolveUnit(const std::string& id_or_name) {
  const auto cli = domain::Accounts::CommandLine();
  if (!id_or_name.empty() && id_or_name.find_first_not_of("0123456789") == std::string::npos &&
      id_or_name.size() < 18) {
    auto unit = TRY(accounts_->GetUnit(cli, std::stoll(id_or_name)));
    return unit.id;
  }
  store::UnitFilter f;
  f.name_contains = id_or_name;
  f.limit = 200;
  auto page = TRY(accounts_->ListUnits(cli, f));
  for (const auto& u : page.items) {
    if (u.name == id_or_name) return u.id;
  }
  return core::NotFound("成员单位不存在：" + id_or_name);
}

core::Result<std::int64_t> Runtime::ResolveUser(const std::string& username) {
  store::UserFilter f;
  f.text_contains = username;
  f.limit = 200;
  auto page = TRY(accounts_->ListUsers(domain::Accounts::CommandLine(), f));
  for (const auto& u : page.items) {
    if (u.username == username) return u.id;
  }
  return core::NotFound("用户不存在：" + username);
}

}  // namespace lvyuan::app
