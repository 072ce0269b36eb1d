// Everything a running lvyuan needs, opened in order: configuration, shipped
// data, the store (migrated), the account rules; and the server on top.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "core/calendar.h"
#include "core/clock.h"
#include "core/regions.h"
#include "crypto/sign.h"
#include "domain/accounts.h"
#include "domain/catalog.h"
#include "domain/demo.h"
#include "domain/demo_volume.h"
#include "domain/evidence.h"
#include "domain/matters.h"
#include "domain/record_access.h"
#include "domain/record_verify_job.h"
#include "domain/subjects.h"
#include "domain/unit_directory.h"
#include "record/log.h"
#include "store/database.h"
#include "store/notify.h"
#include "workflow/registry.h"

namespace lvyuan::app {

inline constexpr const char* kVersion = LVYUAN_VERSION;

// Command-line options shared by the verbs; each overrides the config.
struct CommonOptions {
  std::string config_file;
  std::string data_dir;
  std::string listen;
  // A command that writes generated data at volume (demo --matters): each
  // SQLite connection's page cache is at least 256 MiB (store.sqlite_cache_mib),
  // so the indexes stay in memory instead of being read back page by page,
  // and the store is opened with sqlite_bulk_load (commits not synced; see
  // store::OpenOptions).
  bool bulk_load = false;
};

class Runtime {
 public:
  // Loads the config (file, then LVYUAN_* environment, then flags), the data
  // files, opens and migrates the store. Errors with a field name a config
  // key (the caller exits 2).
  static core::Result<std::unique_ptr<Runtime>> Open(const CommonOptions& options, bool for_server);
  // A command that recorded events (demo, user add, …) leaves them covered
  // by a signed checkpoint.
  ~Runtime();

  // Serves until SIGTERM/SIGINT; prints "lvyuan listening on http://…" once
  // bound.
  core::Status Serve();
  core::Result<std::vector<domain::DemoAccount>> Demo(const std::string& password, bool totp);
  // After Demo: tops the deployment up to options.matters matters
  // (domain::CreateDemoVolume).
  core::Result<domain::DemoVolumeResult> DemoVolume(const domain::DemoVolumeOptions& options);
  // A unit by id ("12") or exact name.
  core::Result<std::int64_t> ResolveUnit(const std::string& id_or_name);
  core::Result<std::int64_t> ResolveUser(const std::string& username);

  store::Database& db() { return *db_; }
  domain::Accounts& accounts() { return *accounts_; }
  record::Log& log() { return *log_; }
  domain::RecordAccess& record() { return *record_; }
  const crypto::PrivateKey& signing_key() const { return *signing_key_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  Config config_;
  std::filesystem::path data_dir_;     // deployment state
  std::filesystem::path catalog_dir_;  // shipped data
  core::SystemClock clock_;
  std::unique_ptr<core::RegionCatalogue> regions_;
  std::unique_ptr<core::WorkCalendar> calendar_;  // <data.dir>/calendar
  std::unique_ptr<domain::Catalog> catalog_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<record::Log> log_;
  std::unique_ptr<store::Notifier> notifier_;  // outlives accounts_, which subscribes
  std::unique_ptr<domain::Accounts> accounts_;
  std::unique_ptr<crypto::PrivateKey> signing_key_;
  std::unique_ptr<crypto::FieldCipher> field_cipher_;  // <data>/field-key
  std::unique_ptr<domain::RecordAccess> record_;
  std::unique_ptr<domain::RecordVerifyJob> verify_job_;
  std::unique_ptr<domain::EvidenceCatalog> evidence_catalog_;
  std::unique_ptr<record::BlobStore> blobs_;  // <data.var_dir>/files
  std::unique_ptr<domain::Evidence> evidence_;
  std::unique_ptr<workflow::Registry> workflows_;  // workflows/ beside the shipped data
  std::unique_ptr<domain::Matters> matters_;
  std::unique_ptr<domain::Subjects> subjects_;
  std::unique_ptr<domain::UnitDirectory> directory_;
};

}  // namespace lvyuan::app
