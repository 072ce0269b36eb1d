#include "app/backup_cli.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "app/audit_cli.h"
#include "app/config.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/unique_fd.h"
#include "crypto/hash.h"
#include "record/blob_store.h"
#include "record/verify.h"
#include "store/copy.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/postgres/postgres_database.h"
#include "store/record.h"
#include "store/sqlite/sqlite_database.h"

namespace lvyuan::app {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kManifestName = "MANIFEST.json";
constexpr std::string_view kStoreName = "store.sqlite";
constexpr std::string_view kDataName = "data";

// Where a deployment keeps its state, resolved as Runtime::Open does, without
// opening or changing anything.
struct Deployment {
  Config config;
  fs::path data_dir;
  std::string url;            // store.url (the application's)
  std::string migration_url;  // store.migration_url, may be empty
};

core::Result<Deployment> LoadDeployment(const CommonOptions& options) {
  std::optional<fs::path> file;
  if (!options.config_file.empty()) file = options.config_file;
  Deployment d;
  d.config = TRY(LoadConfig(file));
  const bool default_store = d.config.store.url == StoreConfig{}.url;
  if (!options.data_dir.empty()) d.config.data.var_dir = options.data_dir;
  d.data_dir = d.config.data.var_dir;
  d.url = default_store ? (d.data_dir / "lvyuan.db").string() : d.config.store.url;
  d.migration_url = d.config.store.migration_url;
  return d;
}

int Fail(std::ostream& err, const core::Error& e) {
  err << "lvyuan: " << e.message;
  if (!e.field.empty()) err << " [" << e.field << "]";
  err << "\n";
  if (e.code == core::ErrorCode::kInvalidArgument && !e.field.empty()) return kMoveBadInvocation;
  if (e.code == core::ErrorCode::kDataLoss) return kMoveNotVerified;
  return kMoveFailed;
}

core::Result<std::unique_ptr<store::Database>> OpenStore(const std::string& url,
                                                         const std::string& field) {
  auto db = store::Open({.url = url, .reader_pool_size = 2});
  if (!db.ok()) {
    auto e = std::move(db).error();
    if (e.code == core::ErrorCode::kInvalidArgument) e.field = field;
    return e;
  }
  return std::move(db).value();
}

// Applies the migrations numbered up to `version` (so that a copy can be
// made from a source that this binary would migrate further).
core::Status MigrateTo(store::Database& db, int version) {
  auto upto = [version](std::span<const store::Migration> all)
      -> core::Result<std::span<const store::Migration>> {
    if (version > store::HighestMigration(all)) {
      return core::FailedPrecondition("数据的结构版本 " + std::to_string(version) +
                                      " 比本程序支持的更新，请使用更新版本的 lvyuan");
    }
    std::size_t n = 0;
    while (n < all.size() && all[n].number <= version) ++n;
    return all.first(n);
  };
  if (auto* sqlite = dynamic_cast<store::sqlite::SqliteDatabase*>(&db)) {
    return sqlite->Migrate(TRY(upto(store::SqliteMigrations())));
  }
  if (auto* postgres = dynamic_cast<store::postgres::PostgresDatabase*>(&db)) {
    return postgres->Migrate(TRY(upto(store::PostgresMigrations())));
  }
  return core::Internal("unknown store backend");
}

// After a restore into PostgreSQL through store.migration_url: the
// application's role gets its rights, as every start does.
core::Status GrantApplication(store::Database& owner, const Deployment& d) {
  if (d.migration_url.empty()) return core::Ok();
  auto* postgres = dynamic_cast<store::postgres::PostgresDatabase*>(&owner);
  if (postgres == nullptr) return core::Ok();
  const std::string app_role = TRY(store::postgres::UserOfUrl(d.url));
  const std::string owner_role = TRY(store::postgres::UserOfUrl(d.migration_url));
  if (app_role.empty() || app_role == owner_role) return core::Ok();
  return postgres->GrantApplicationRole(app_role);
}

// ------------------------------------------------------------------ files

struct FileDigest {
  std::uint64_t size = 0;
  std::string sm3;  // hex
};

core::Error IoError(const std::string& what, const fs::path& path) {
  return core::Internal(what + " " + path.string() + "：" + std::strerror(errno));
}

// Reads `from` (and, when `to` is set, writes it to `to`, a new file with
// `mode`, made durable) and returns its size and SM3.
core::Result<FileDigest> CopyOrHash(const fs::path& from, const fs::path* to, mode_t mode) {
  core::UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return IoError("无法读取", from);
  std::optional<core::UniqueFd> out;
  if (to != nullptr) {
    out.emplace(::open(to->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (out->get() < 0) return IoError("无法创建", *to);
    if (::fchmod(out->get(), mode) != 0) return IoError("无法设置权限", *to);
  }
  crypto::Hasher sm3(crypto::HashAlgorithm::kSm3);
  std::vector<std::uint8_t> buffer(1 << 20);
  FileDigest digest;
  while (true) {
    const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("无法读取", from);
    if (n == 0) break;
    const auto bytes = std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n));
    sm3.Update(bytes);
    digest.size += static_cast<std::uint64_t>(n);
    for (std::size_t done = 0; out && done < bytes.size();) {
      const ssize_t w = ::write(out->get(), bytes.data() + done, bytes.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return IoError("无法写入", *to);
      done += static_cast<std::size_t>(w);
    }
  }
  if (out && ::fsync(out->get()) != 0) return IoError("无法写入", *to);
  if (out && ::close(out->Release()) != 0) return IoError("无法写入", *to);
  const crypto::Digest d = sm3.Finish();
  digest.sm3 = core::HexEncode(d);
  return digest;
}

core::Status SyncDirectory(const fs::path& dir) {
  core::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return IoError("无法同步目录", dir);
  return core::Ok();
}

core::Status WriteNewFile(const fs::path& path, std::string_view text, mode_t mode) {
  core::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) return IoError("无法创建", path);
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t w = ::write(fd.get(), text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return IoError("无法写入", path);
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd.get()) != 0) return IoError("无法写入", path);
  return core::Ok();
}

mode_t ModeOf(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0600;
  return st.st_mode & 0777;
}

bool IsEmptyDirectory(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::is_empty(path, ec) && !ec;
}

// The SQLite file of a store URL, or empty for another backend.
fs::path SqliteFileOf(const std::string& url) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return {};
  std::string path = url;
  if (path.starts_with("sqlite:")) path = path.substr(7);
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? fs::path(path) : canonical;
}

// --------------------------------------------------------------- manifest

struct ManifestFile {
  std::string path;  // relative to the backup, '/'-separated
  std::uint64_t size = 0;
  std::string sm3;
  mode_t mode = 0600;
};

struct Manifest {
  std::string created_at;
  std::string source_backend;
  int schema_version = 0;
  std::uint64_t events = 0;
  std::string root;  // hex
  std::string hash;
  std::vector<ManifestFile> files;
};

std::string OctalMode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode));
  return text;
}

std::string ManifestJson(const Manifest& m) {
  json::array files;
  for (const ManifestFile& f : m.files) {
    files.push_back(json::object{
        {"path", f.path}, {"size", f.size}, {"sm3", f.sm3}, {"mode", OctalMode(f.mode)}});
  }
  json::object doc{
      {"format", kBackupFormat},
      {"version", kBackupVersion},
      {"created_at", m.created_at},
      {"source_backend", m.source_backend},
      {"schema_version", m.schema_version},
      {"record", json::object{{"events", m.events}, {"root", m.root}, {"hash", m.hash}}},
      {"files", std::move(files)},
  };
  return json::serialize(doc) + "\n";
}

// A path inside the backup: relative, no "..", no empty or "." parts.
bool IsSafeRelativePath(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

core::Result<Manifest> ReadManifest(const fs::path& backup) {
  const fs::path path = backup / kManifestName;
  auto bad = [&path](const std::string& why) {
    return core::FailedPrecondition(path.string() + " 不是 lvyuan 备份清单：" + why, "--from");
  };
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return bad("文件不存在");
  std::string text;
  {
    core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return IoError("无法读取", path);
    char buffer[65536];
    ssize_t n;
    while ((n = ::read(fd.get(), buffer, sizeof buffer)) > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
      if (text.size() > (64u << 20)) return bad("过大");
    }
    if (n < 0) return IoError("无法读取", path);
  }
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return bad("不是 JSON 对象");
  const json::object& o = doc.as_object();
  try {
    if (o.at("format").as_string() != kBackupFormat) return bad("format 不是 lvyuan-backup");
    if (o.at("version").to_number<int>() != kBackupVersion) {
      return bad("不支持的版本 " + json::serialize(o.at("version")));
    }
    Manifest m;
    m.created_at = json::value_to<std::string>(o.at("created_at"));
    m.source_backend = json::value_to<std::string>(o.at("source_backend"));
    m.schema_version = o.at("schema_version").to_number<int>();
    const json::object& record = o.at("record").as_object();
    m.events = record.at("events").to_number<std::uint64_t>();
    m.root = json::value_to<std::string>(record.at("root"));
    m.hash = json::value_to<std::string>(record.at("hash"));
    for (const json::value& item : o.at("files").as_array()) {
      const json::object& f = item.as_object();
      ManifestFile file;
      file.path = json::value_to<std::string>(f.at("path"));
      file.size = f.at("size").to_number<std::uint64_t>();
      file.sm3 = json::value_to<std::string>(f.at("sm3"));
      file.mode = static_cast<mode_t>(
          std::stoul(json::value_to<std::string>(f.at("mode")), nullptr, 8) & 0777);
      if (!IsSafeRelativePath(file.path)) return bad("文件路径不安全：" + file.path);
      m.files.push_back(std::move(file));
    }
    return m;
  } catch (const std::exception& e) {
    return bad(std::string("字段缺失或类型错误（") + e.what() + "）");
  }
}

// ----------------------------------------------------------------- backup

struct BackupSummary {
  Manifest manifest;
  store::CopyReport copy;
};

// Copies the deployment's own files (keys…) and the evidence files the
// snapshot in `backup` lists into staging/data, adding them to `manifest`.
core::Status CopyDataFiles(const Deployment& d, store::Database& backup, const fs::path& staging,
                           Manifest& manifest) {
  const fs::path data = staging / kDataName;
  const fs::path db_file = SqliteFileOf(d.url);
  std::error_code ec;
  for (auto it = fs::directory_iterator(d.data_dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::error_code item_ec;
    if (!it->is_regular_file(item_ec) || item_ec) continue;
    const fs::path file = fs::weakly_canonical(it->path(), item_ec);
    if (!db_file.empty()) {
      const std::string name = file.string();
      const std::string db = db_file.string();
      if (name == db || name == db + "-wal" || name == db + "-shm" || name == db + "-journal") {
        continue;
      }
    }
    const std::string name = it->path().filename().string();
    const fs::path to = data / name;
    const mode_t mode = ModeOf(it->path());
    const FileDigest digest = TRY(CopyOrHash(it->path(), &to, mode));
    manifest.files.push_back({.path = std::string(kDataName) + "/" + name,
                              .size = digest.size,
                              .sm3 = digest.sm3,
                              .mode = mode});
  }
  if (ec) return core::Internal("无法列出数据目录 " + d.data_dir.string() + "：" + ec.message());

  const record::BlobStore blobs(d.data_dir / "files");
  const record::BlobStore copies(data / "files");
  std::string after;
  while (true) {
    std::vector<store::StoredFile> files;
    TRY(backup.Read([&](store::Conn& conn) -> core::Status {
      files = TRY(store::ListStoredFiles(conn, after, 256));
      return core::Ok();
    }));
    if (files.empty()) return core::Ok();
    after = files.back().sm3;
    for (const store::StoredFile& f : files) {
      auto from = blobs.PathOf(f.sm3);
      if (!from.ok()) continue;  // the verification names the missing file
      const fs::path relative = fs::relative(*from, d.data_dir / "files");
      const fs::path to = data / "files" / relative;
      fs::create_directories(to.parent_path(), ec);
      if (ec) return core::Internal("无法创建目录 " + to.parent_path().string());
      const mode_t mode = ModeOf(*from);
      const FileDigest digest = TRY(CopyOrHash(*from, &to, mode));
      manifest.files.push_back({.path = std::string(kDataName) + "/files/" + relative.string(),
                                .size = digest.size,
                                .sm3 = digest.sm3,
                                .mode = mode});
    }
  }
}

core::Result<BackupSummary> WriteBackup(const Deployment& d, const fs::path& staging,
                                        std::ostream& out, std::ostream& err) {
  std::unique_ptr<store::Database> source = TRY(OpenStore(d.url, "store.url"));
  const int version = TRY(source->SchemaVersion());
  if (version == 0) {
    return core::FailedPrecondition("数据库 " + d.url + " 是空的，不是 lvyuan 部署", "store.url");
  }
  std::error_code ec;
  fs::create_directories(staging / kDataName, ec);
  if (ec) return core::Internal("无法创建 " + staging.string() + "：" + ec.message());
  fs::permissions(staging, fs::perms::owner_all, ec);

  BackupSummary summary;
  Manifest& m = summary.manifest;
  m.created_at = core::FormatIsoUtc(core::SystemClock().NowMs());
  m.source_backend = std::string(source->Backend());
  m.schema_version = version;
  const fs::path store_file = staging / kStoreName;
  {
    auto opened = store::sqlite::SqliteDatabase::Open(store_file.string(), {.reader_pool_size = 1});
    if (!opened.ok()) return std::move(opened).error();
    std::unique_ptr<store::sqlite::SqliteDatabase> backup = std::move(opened).value();
    TRY(MigrateTo(*backup, version));
    summary.copy = TRY(store::CopyDatabase(*source, *backup));
    source.reset();
    TRY(CopyDataFiles(d, *backup, staging, m));
    record::VerifyReport report;
    const int verified =
        RunAuditVerify(*backup, staging / kDataName / "files", out, err, false, &report);
    if (verified == kAuditFailed) {
      return core::DataLoss(
          "备份中的记录未通过校验，未写出备份（请先用 lvyuan audit verify 检查部署）");
    }
    if (verified != kAuditVerified) return core::Internal("无法校验备份中的记录");
    m.events = report.tree_size;
    m.root = core::HexEncode(report.root);
    m.hash = std::string(record::HashAlgorithmName(report.algorithm));
  }
  // Closed: the WAL is folded into the file, which is hashed as it stays.
  for (const char* suffix : {"-wal", "-shm"}) {
    fs::path side = store_file;
    side += suffix;
    if (fs::exists(side, ec) && fs::file_size(side, ec) == 0) fs::remove(side, ec);
    if (fs::exists(side, ec)) return core::Internal("备份数据库未能关闭：" + side.string());
  }
  const FileDigest store_digest = TRY(CopyOrHash(store_file, nullptr, 0));
  m.files.insert(m.files.begin(), {.path = std::string(kStoreName),
                                   .size = store_digest.size,
                                   .sm3 = store_digest.sm3,
                                   .mode = ModeOf(store_file)});
  TRY(WriteNewFile(staging / kManifestName, ManifestJson(m), 0600));
  TRY(SyncDirectory(staging));
  return summary;
}

// ---------------------------------------------------------------- restore

// Every file the manifest lists is in the backup with its size and SM3.
core::Status CheckBackupFiles(const fs::path& backup, const Manifest& m) {
  bool has_store = false;
  for (const ManifestFile& f : m.files) {
    if (f.path == kStoreName) has_store = true;
    const fs::path path = backup / f.path;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      return core::DataLoss("备份已损坏：缺少文件 " + f.path, "--from");
    }
    const FileDigest digest = TRY(CopyOrHash(path, nullptr, 0));
    if (digest.size != f.size || digest.sm3 != f.sm3) {
      return core::DataLoss("备份已损坏：文件 " + f.path + " 与清单记录的 SM3 不符", "--from");
    }
  }
  if (!has_store) return core::DataLoss("备份已损坏：清单中没有 store.sqlite", "--from");
  return core::Ok();
}

core::Status RestoreFiles(const fs::path& backup, const Manifest& m, const fs::path& data_dir) {
  const std::string prefix = std::string(kDataName) + "/";
  for (const ManifestFile& f : m.files) {
    if (!f.path.starts_with(prefix)) continue;
    const fs::path to = data_dir / f.path.substr(prefix.size());
    std::error_code ec;
    fs::create_directories(to.parent_path(), ec);
    if (ec) return core::Internal("无法创建目录 " + to.parent_path().string());
    const FileDigest digest = TRY(CopyOrHash(backup / f.path, &to, f.mode));
    if (digest.sm3 != f.sm3) {
      return core::DataLoss("备份已损坏：文件 " + f.path + " 在恢复时发生变化", "--from");
    }
  }
  return core::Ok();
}

int Restore(const Deployment& d, const fs::path& backup, std::ostream& out, std::ostream& err) {
  auto manifest = ReadManifest(backup);
  if (!manifest.ok()) return Fail(err, manifest.error());
  const Manifest& m = *manifest;
  if (auto checked = CheckBackupFiles(backup, m); !checked.ok()) return Fail(err, checked.error());
  out << "备份文件校验通过 backup files verified: " << m.files.size() << " 个文件 files\n";

  std::error_code ec;
  if (fs::exists(d.data_dir, ec) && !IsEmptyDirectory(d.data_dir)) {
    return Fail(err,
                core::FailedPrecondition(
                    "数据目录 " + d.data_dir.string() + " 不是空的，恢复只写入空目录", "--data"));
  }
  const std::string& owner_url = d.migration_url.empty() ? d.url : d.migration_url;
  const std::string owner_field = d.migration_url.empty() ? "store.url" : "store.migration_url";
  fs::create_directories(d.data_dir, ec);
  if (ec) {
    return Fail(err, core::InvalidArgument("无法创建数据目录 " + d.data_dir.string(), "--data"));
  }
  fs::permissions(d.data_dir, fs::perms::owner_all, ec);
  auto owner = OpenStore(owner_url, owner_field);
  if (!owner.ok()) return Fail(err, owner.error());
  store::Database& target = **owner;
  if (auto s = MigrateTo(target, m.schema_version); !s.ok()) return Fail(err, s.error());
  if (auto s = store::RequireEmpty(target); !s.ok()) {
    auto e = s.error();
    e.field = owner_field;
    return Fail(err, e);
  }
  if (auto s = RestoreFiles(backup, m, d.data_dir); !s.ok()) return Fail(err, s.error());

  const fs::path scratch = d.data_dir / ".restore";
  fs::create_directories(scratch, ec);
  const fs::path scratch_file = scratch / kStoreName;
  {
    const fs::path from = backup / kStoreName;
    auto digest = CopyOrHash(from, &scratch_file, 0600);
    if (!digest.ok()) return Fail(err, digest.error());
    const auto entry = std::find_if(m.files.begin(), m.files.end(),
                                    [](const ManifestFile& f) { return f.path == kStoreName; });
    if (entry == m.files.end() || digest->sm3 != entry->sm3) {
      return Fail(err, core::DataLoss("备份已损坏：store.sqlite 在恢复时发生变化", "--from"));
    }
    auto opened = store::Open({.url = "sqlite:" + scratch_file.string(), .reader_pool_size = 1});
    if (!opened.ok()) return Fail(err, opened.error());
    auto copied = store::CopyDatabase(**opened, target);
    if (!copied.ok()) return Fail(err, copied.error());
    out << "已复制 copied " << copied->rows << " 行 rows, " << copied->tables.size()
        << " 张表 tables\n";
  }
  fs::remove_all(scratch, ec);
  if (auto s = target.Migrate(); !s.ok()) return Fail(err, s.error());
  if (auto s = GrantApplication(target, d); !s.ok()) return Fail(err, s.error());

  record::VerifyReport report;
  const int verified =
      RunAuditVerify(target, d.data_dir / "files", out, err, ::isatty(STDERR_FILENO) != 0, &report);
  if (verified != kAuditVerified) return verified == kAuditFailed ? kMoveNotVerified : kMoveFailed;
  if (report.tree_size != m.events || core::HexEncode(report.root) != m.root) {
    return Fail(err, core::DataLoss("恢复后的记录与备份清单不符：清单 " + std::to_string(m.events) +
                                    " 条事件，根 " + m.root + "；恢复后 " +
                                    std::to_string(report.tree_size) + " 条，根 " +
                                    core::HexEncode(report.root)));
  }
  out << "已恢复 restored " << backup.string() << " (" << m.created_at << ", " << m.source_backend
      << ") 到 into " << d.data_dir.string() << "\n";
  return kMoveOk;
}

bool IsStoreUrl(const std::string& url) {
  return (url.starts_with("sqlite:") && url.size() > 7) || url.starts_with("postgresql://") ||
         url.starts_with("postgres://");
}

}  // namespace

int RunBackup(const CommonOptions& common, const std::string& out_path, std::ostream& out,
              std::ostream& err) {
  auto deployment = LoadDeployment(common);
  if (!deployment.ok()) return Fail(err, deployment.error());
  if (out_path.empty()) return Fail(err, core::InvalidArgument("需要 --out", "--out"));
  const fs::path target(out_path);
  std::error_code ec;
  if (fs::exists(target, ec) && !IsEmptyDirectory(target)) {
    return Fail(err, core::FailedPrecondition(target.string() + " 已存在且不是空目录", "--out"));
  }
  fs::path staging = target;
  staging += ".part";
  if (fs::exists(staging, ec)) {
    return Fail(err, core::FailedPrecondition(
                         staging.string() + " 已存在（上次备份被中断？确认后删除它）", "--out"));
  }
  auto summary = WriteBackup(*deployment, staging, out, err);
  if (!summary.ok()) {
    fs::remove_all(staging, ec);
    return Fail(err, summary.error());
  }
  if (fs::exists(target, ec)) fs::remove(target, ec);
  fs::rename(staging, target, ec);
  if (ec) return Fail(err, core::Internal("无法把 " + staging.string() + " 改名为 " + out_path));
  const fs::path parent = fs::absolute(target).parent_path();
  if (auto s = SyncDirectory(parent); !s.ok()) return Fail(err, s.error());
  const Manifest& m = summary->manifest;
  std::uint64_t bytes = 0;
  for (const ManifestFile& f : m.files) bytes += f.size;
  out << "备份完成 backup written: " << target.string() << "\n"
      << "  来源 source:        " << m.source_backend << ", 结构版本 schema " << m.schema_version
      << "\n"
      << "  记录 record:        " << m.events << " 条事件 events, 根 root " << m.root << "\n"
      << "  数据库 rows:        " << summary->copy.rows << "\n"
      << "  文件 files:         " << m.files.size() << " (" << bytes << " bytes)\n";
  return kMoveOk;
}

int RunRestore(const CommonOptions& common, const std::string& from_path, std::ostream& out,
               std::ostream& err) {
  auto deployment = LoadDeployment(common);
  if (!deployment.ok()) return Fail(err, deployment.error());
  return Restore(*deployment, fs::path(from_path), out, err);
}

int RunMigrateStore(const CommonOptions& common, const std::string& from_url,
                    const std::string& to_url, std::ostream& out, std::ostream& err) {
  if (!IsStoreUrl(from_url)) {
    return Fail(err, core::InvalidArgument("--from 应为 sqlite:PATH 或 postgresql://…", "--from"));
  }
  if (!IsStoreUrl(to_url)) {
    return Fail(err, core::InvalidArgument("--to 应为 sqlite:PATH 或 postgresql://…", "--to"));
  }
  if (from_url == to_url) {
    return Fail(err, core::InvalidArgument("--from 与 --to 是同一个数据库", "--to"));
  }
  auto deployment = LoadDeployment(common);
  if (!deployment.ok()) return Fail(err, deployment.error());
  auto source = OpenStore(from_url, "--from");
  if (!source.ok()) return Fail(err, source.error());
  auto version = (*source)->SchemaVersion();
  if (!version.ok()) return Fail(err, version.error());
  if (*version == 0) {
    return Fail(err, core::FailedPrecondition("源数据库是空的，不是 lvyuan 部署", "--from"));
  }
  auto target = OpenStore(to_url, "--to");
  if (!target.ok()) return Fail(err, target.error());
  if (auto s = MigrateTo(**target, *version); !s.ok()) return Fail(err, s.error());
  auto copied = store::CopyDatabase(**source, **target);
  if (!copied.ok()) {
    auto e = copied.error();
    if (e.code == core::ErrorCode::kFailedPrecondition && e.field.empty()) e.field = "--to";
    return Fail(err, e);
  }
  source->reset();
  out << "已复制 copied " << copied->rows << " 行 rows, " << copied->tables.size()
      << " 张表 tables (结构版本 schema " << copied->schema_version << ")\n";
  if (auto s = (*target)->Migrate(); !s.ok()) return Fail(err, s.error());
  std::int64_t events = 0;
  for (const store::TableCopyCount& t : copied->tables) {
    if (t.table == "record_events") events = t.rows;
  }
  record::VerifyReport report;
  const int verified = RunAuditVerify(**target, deployment->data_dir / "files", out, err,
                                      ::isatty(STDERR_FILENO) != 0, &report);
  if (verified != kAuditVerified) return verified == kAuditFailed ? kMoveNotVerified : kMoveFailed;
  if (report.tree_size != static_cast<std::uint64_t>(events)) {
    return Fail(err, core::DataLoss("目标数据库的记录有 " + std::to_string(report.tree_size) +
                                    " 条事件，复制了 " + std::to_string(events) + " 条"));
  }
  out << "已迁移 migrated: 请把 store.url 设为目标数据库 set store.url to the target; the "
         "evidence files stay in "
      << (deployment->data_dir / "files").string() << "\n";
  return kMoveOk;
}

}  // namespace lvyuan::app
