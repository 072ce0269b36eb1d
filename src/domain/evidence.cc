#include "domain/evidence.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "core/strings.h"
#include "crypto/random.h"
#include "domain/matters.h"
#include "domain/record_actor.h"
#include "store/matters.h"

namespace lvyuan::domain {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxFilenameChars = 255;
constexpr std::size_t kMaxNameChars = 100;
constexpr std::size_t kMaxLocationChars = 200;
constexpr std::size_t kMaxDescriptionChars = 2000;
constexpr std::size_t kMaxObjectChars = 64;
constexpr int kMaxPage = 200;

Result<json::value> ReadJsonFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::InvalidArgument("无法读取数据文件 " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(text.str(), ec);
  if (ec) return core::InvalidArgument(path.string() + " 不是合法的 JSON: " + ec.message());
  return v;
}

std::string Str(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return {};
}

Result<std::vector<EvidenceLabel>> ReadLabels(const json::object& root, std::string_view list,
                                              std::string_view code_key, const fs::path& path) {
  auto* items = root.if_contains(list);
  if (!items || !items->is_array() || items->as_array().empty()) {
    return core::InvalidArgument(path.string() + " 缺少 " + std::string(list) + " 列表");
  }
  std::vector<EvidenceLabel> out;
  for (const auto& item : items->as_array()) {
    if (!item.is_object()) {
      return core::InvalidArgument(path.string() + ": " + std::string(list) + " 的条目应为对象");
    }
    EvidenceLabel label{Str(item.as_object(), code_key), Str(item.as_object(), "zh"),
                        Str(item.as_object(), "en")};
    if (label.code.empty() || label.name_zh.empty() || label.name_en.empty()) {
      return core::InvalidArgument(path.string() + ": " + std::string(list) + " 条目 \"" +
                                   label.code + "\" 缺少 " + std::string(code_key) + "、zh 或 en");
    }
    out.push_back(std::move(label));
  }
  return out;
}

// Valid UTF-8 (as far as Utf8Length can tell) without control characters;
// `multiline` also allows \n and \t.
bool CleanText(std::string_view text, bool multiline) {
  for (unsigned char c : text) {
    if (c == 0x7F) return false;
    if (c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) return false;
  }
  return true;
}

Status CheckText(std::string_view text, std::size_t max_chars, std::string_view field,
                 bool multiline = false) {
  if (!CleanText(text, multiline)) {
    return core::InvalidArgument("含有不允许的控制字符", std::string(field));
  }
  if (core::Utf8Length(text) > max_chars) {
    return core::InvalidArgument("过长：最多 " + std::to_string(max_chars) + " 个字符",
                                 std::string(field));
  }
  return core::Ok();
}

// A decimal "-12.345" with at most `int_digits` integer digits and 8
// fractional ones whose value lies in [-limit, limit].
bool IsDegrees(std::string_view text, std::size_t int_digits, int limit) {
  std::string_view t = text;
  if (!t.empty() && t.front() == '-') t.remove_prefix(1);
  std::size_t dot = t.find('.');
  std::string_view whole = t.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  if (whole.empty() || whole.size() > int_digits) return false;
  if (dot != std::string_view::npos && (frac.empty() || frac.size() > 8)) return false;
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!digits(whole) || !digits(frac)) return false;
  int value = std::atoi(std::string(whole).c_str());
  if (value > limit) return false;
  if (value == limit) return std::all_of(frac.begin(), frac.end(), [](char c) { return c == '0'; });
  return true;
}

bool IsObjectType(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || c == '_' || c == '.'; });
}

std::string SizeText(std::uint64_t bytes) {
  if (bytes % (std::uint64_t{1} << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes % (std::uint64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " 字节";
}

json::object LocationJson(const EvidenceLocation& l) {
  return json::object{{"text", l.text}, {"lat", l.lat}, {"lng", l.lng}};
}

// The provenance as kept in uploads.metadata (captured_at already parsed).
json::object MetadataJson(const Provenance& p, std::int64_t captured_at_ms) {
  return json::object{
      {"source", p.source},
      {"captured_at", captured_at_ms},
      {"captured_by", p.captured_by},
      {"device_id", p.device_id},
      {"location", p.location ? json::value(LocationJson(*p.location)) : json::value(nullptr)},
      {"description", p.description},
      {"object_type", p.object_type},
      {"object_id", p.object_id}};
}

std::string StrOf(const json::object& o, std::string_view key) { return Str(o, key); }

std::int64_t IntOf(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_int64()) return v->as_int64();
  return 0;
}

json::array FilesJson(const store::EvidenceRecord& e) {
  return json::array{
      json::object{{"sm3", e.sm3}, {"sha256", e.sha256}, {"size", e.size}, {"name", e.filename}}};
}

json::object Created(std::initializer_list<std::pair<std::string_view, json::value>> items) {
  json::object o;
  for (const auto& [k, v] : items) {
    if (v.is_string() && v.as_string().empty()) continue;
    o[k] = json::object{{"before", nullptr}, {"after", v}};
  }
  return o;
}

}  // namespace

// ------------------------------------------------------------------ catalogue

Result<EvidenceCatalog> EvidenceCatalog::Load(const fs::path& dir) {
  const fs::path path = dir / "evidence.json";
  auto root_value = TRY(ReadJsonFile(path));
  if (!root_value.is_object()) return core::InvalidArgument(path.string() + " 应为对象");
  const auto& root = root_value.as_object();
  EvidenceCatalog c;
  auto* max = root.if_contains("max_size_bytes");
  if (!max || !max->is_number()) {
    return core::InvalidArgument(path.string() + " 缺少 max_size_bytes");
  }
  boost::system::error_code ec;
  auto limit = max->to_number<std::uint64_t>(ec);
  if (ec || limit == 0) {
    return core::InvalidArgument(path.string() + ": max_size_bytes 应为正整数");
  }
  c.max_size_bytes_ = limit;
  c.media_types_ = TRY(ReadLabels(root, "media_types", "type", path));
  c.sources_ = TRY(ReadLabels(root, "sources", "code", path));
  return c;
}

const EvidenceLabel* EvidenceCatalog::FindMediaType(std::string_view media_type) const {
  for (const auto& l : media_types_) {
    if (l.code == media_type) return &l;
  }
  return nullptr;
}

const EvidenceLabel* EvidenceCatalog::FindSource(std::string_view code) const {
  for (const auto& l : sources_) {
    if (l.code == code) return &l;
  }
  return nullptr;
}

// ------------------------------------------------------------------ provenance

Result<std::int64_t> ValidateProvenance(const Provenance& p, const EvidenceCatalog& catalog,
                                        std::int64_t now_ms) {
  if (p.source.empty()) return core::InvalidArgument("请选择证据来源", "source");
  if (!catalog.FindSource(p.source)) return core::InvalidArgument("证据来源无效", "source");
  if (p.captured_at.empty()) return core::InvalidArgument("请填写取证时间", "captured_at");
  std::int64_t captured_at = 0;
  if (!core::ParseIsoTime(p.captured_at, &captured_at)) {
    return core::InvalidArgument("取证时间格式应为 ISO 8601（如 2026-05-01T08:30:00Z）",
                                 "captured_at");
  }
  if (captured_at > now_ms + kCaptureClockSkewMs) {
    return core::InvalidArgument("取证时间不能晚于当前时间", "captured_at");
  }
  if (captured_at < 0) return core::InvalidArgument("取证时间无效", "captured_at");
  if (p.captured_by.empty() && p.device_id.empty()) {
    return core::InvalidArgument("请填写取证人或取证设备", "captured_by");
  }
  TRY(CheckText(p.captured_by, kMaxNameChars, "captured_by"));
  TRY(CheckText(p.device_id, kMaxNameChars, "device_id"));
  if (p.location) {
    TRY(CheckText(p.location->text, kMaxLocationChars, "location.text"));
    if (!p.location->lat.empty() && !IsDegrees(p.location->lat, 2, 90)) {
      return core::InvalidArgument("纬度应为 -90 到 90 之间的十进制数", "location.lat");
    }
    if (!p.location->lng.empty() && !IsDegrees(p.location->lng, 3, 180)) {
      return core::InvalidArgument("经度应为 -180 到 180 之间的十进制数", "location.lng");
    }
    if (p.location->lat.empty() != p.location->lng.empty()) {
      return core::InvalidArgument("经纬度应同时填写",
                                   p.location->lat.empty() ? "location.lat" : "location.lng");
    }
  }
  TRY(CheckText(p.description, kMaxDescriptionChars, "description", true));
  TRY(CheckText(p.object_type, kMaxObjectChars, "object_type"));
  TRY(CheckText(p.object_id, kMaxObjectChars, "object_id"));
  if (!IsObjectType(p.object_type)) {
    return core::InvalidArgument("关联对象类型只能由小写字母、下划线和点组成", "object_type");
  }
  if (p.object_type.empty() != p.object_id.empty()) {
    return core::InvalidArgument("关联对象类型与编号应同时填写",
                                 p.object_type.empty() ? "object_type" : "object_id");
  }
  return captured_at;
}

// ------------------------------------------------------------------ upload session

UploadSession::UploadSession(Key /*key*/, Evidence& owner, const Principal& who, RequestMeta meta,
                             store::UploadRecord upload, record::BlobWriter writer)
    : owner_(owner),
      actor_(ActorOf(who)),
      meta_(std::move(meta)),
      upload_(std::move(upload)),
      writer_(std::move(writer)) {}

UploadSession::~UploadSession() { Abort(); }

Status UploadSession::Write(std::span<const std::uint8_t> bytes) {
  if (done_) return core::FailedPrecondition("上传已结束");
  if (writer_.size() + bytes.size() > size()) {
    return core::OutOfRange("上传的数据超过声明的文件大小 " + std::to_string(size()) + " 字节",
                            "size");
  }
  return writer_.Write(bytes);
}

Result<UploadResult> UploadSession::Finish() {
  if (done_) return core::FailedPrecondition("上传已结束");
  if (writer_.size() < size()) {
    writer_.Abort();  // keeps the partial file (Resume set keep_partial)
    Status recorded = owner_.RecordReceived(upload_.id, writer_.size());
    upload_.received = static_cast<std::int64_t>(writer_.size());
    Release();
    TRY(recorded);
    return UploadResult{upload_, std::nullopt};
  }
  return owner_.Complete(*this);
}

void UploadSession::Abort() {
  if (done_) return;
  writer_.Abort();
  // Best effort: the next Resume counts the bytes on disk anyway.
  (void)owner_.RecordReceived(upload_.id, writer_.size());
  Release();
}

void UploadSession::Release() {
  if (done_) return;
  done_ = true;
  owner_.ClearActive(upload_.id);
}

// ------------------------------------------------------------------ evidence

Evidence::Evidence(store::Database& db, record::Log& log, record::BlobStore& blobs,
                   const EvidenceCatalog& catalog, const core::Clock& clock)
    : db_(db), log_(log), blobs_(blobs), catalog_(catalog), clock_(clock) {}

bool Evidence::SeesAllUnits(const Principal& who) const {
  return who.via == Principal::Via::kCommandLine || who.Has("audit:event:list");
}

bool Evidence::MayRead(const Principal& who) const {
  return SeesAllUnits(who) || who.Has(kEvidenceReadPermission);
}

bool Evidence::MayReadMatterFiles(const Principal& who) const {
  return who.unit_id != 0 && who.Has(kMatterReadPermission);
}

Result<bool> Evidence::MayReadFile(store::Conn& conn, const Principal& who,
                                   const store::EvidenceRecord& e) const {
  if (SeesAllUnits(who)) return true;
  if (who.unit_id != 0 && e.unit_id == who.unit_id && MayRead(who)) return true;
  if (!MayReadMatterFiles(who)) return false;
  return store::IsFileVisibleTo(conn, e.id, who.unit_id);
}

fs::path Evidence::TempPathOf(std::string_view upload_id) const {
  // The blob store's documented layout: <root>/tmp/<upload id>.
  return blobs_.root() / "tmp" / std::string(upload_id);
}

bool Evidence::MarkActive(const std::string& upload_id) {
  std::lock_guard lock(active_mu_);
  return active_.insert(upload_id).second;
}

void Evidence::ClearActive(const std::string& upload_id) {
  std::lock_guard lock(active_mu_);
  active_.erase(upload_id);
}

Status Evidence::RecordReceived(std::string_view upload_id, std::uint64_t received) {
  const std::int64_t now = clock_.NowMs();
  return db_.Write([&](store::Conn& conn) -> Status {
    TRY(store::SetUploadReceived(conn, upload_id, static_cast<std::int64_t>(received), now));
    return core::Ok();
  });
}

Result<store::UploadRecord> Evidence::CreateUpload(const Principal& who, const UploadInput& in,
                                                   const RequestMeta& meta) {
  if (who.via != Principal::Via::kCommandLine && !who.Has(kEvidenceUploadPermission)) {
    return core::PermissionDenied("没有上传证据文件的权限");
  }
  if (who.user_id == 0 || who.unit_id == 0) {
    return core::PermissionDenied("证据文件须由本单位用户上传");
  }
  if (core::TrimBlanks(in.filename).empty()) {
    return core::InvalidArgument("请填写文件名", "filename");
  }
  TRY(CheckText(in.filename, kMaxFilenameChars, "filename"));
  if (in.size <= 0) return core::InvalidArgument("文件大小应为正整数", "size");
  if (static_cast<std::uint64_t>(in.size) > catalog_.max_size_bytes()) {
    return core::Error{core::ErrorCode::kResourceExhausted,
                       "文件过大：单个证据文件最大 " + SizeText(catalog_.max_size_bytes()), "size"};
  }
  const std::int64_t now = clock_.NowMs();
  const std::int64_t captured_at = TRY(ValidateProvenance(in.provenance, catalog_, now));

  store::UploadRecord u;
  u.id = crypto::RandomToken(16);
  u.user_id = who.user_id;
  u.unit_id = who.unit_id;
  u.declared_size = in.size;
  u.filename = record::SanitizeFilename(in.filename);
  u.metadata = json::serialize(MetadataJson(in.provenance, captured_at));
  u.created_at = now;
  u.updated_at = now;

  // The empty temp file exists from now on, so every PUT resumes it.
  {
    auto writer = TRY(blobs_.Begin(u.id));
    writer.set_keep_partial(true);
    writer.Abort();
  }
  Status written = db_.Write([&](store::Conn& conn) -> Status {
    TRY(store::InsertUpload(conn, u));
    record::EventInput e;
    e.actor = ActorOf(who);
    e.action = "evidence.upload_open";
    e.object_type = "upload";
    e.object_id = u.id;
    e.client_ip = meta.client_ip;
    e.request_id = meta.request_id;
    e.detail = json::object{{"filename", u.filename}, {"size", u.declared_size}};
    TRY(log_.Append(conn, e));
    return core::Ok();
  });
  if (!written.ok()) {
    (void)blobs_.DiscardUpload(u.id);
    return std::move(written).error();
  }
  return u;
}

Result<store::UploadRecord> Evidence::OwnUpload(const Principal& who, std::string_view upload_id) {
  if (!record::ValidateUploadId(upload_id).ok()) return core::NotFound("上传不存在");
  std::optional<store::UploadRecord> upload;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    upload = TRY(store::FindUpload(conn, upload_id));
    return core::Ok();
  }));
  if (!upload || upload->user_id != who.user_id || who.user_id == 0) {
    return core::NotFound("上传不存在");
  }
  return *upload;
}

Result<UploadStatus> Evidence::GetUpload(const Principal& who, std::string_view upload_id) {
  UploadStatus status{TRY(OwnUpload(who, upload_id)), false};
  {
    std::lock_guard lock(active_mu_);
    status.in_progress = active_.contains(status.upload.id);
  }
  if (status.upload.state == store::UploadState::kOpen) {
    std::error_code ec;
    auto on_disk = fs::file_size(TempPathOf(status.upload.id), ec);
    if (!ec) status.upload.received = static_cast<std::int64_t>(on_disk);
  }
  return status;
}

Result<std::unique_ptr<UploadSession>> Evidence::ContinueUpload(const Principal& who,
                                                                std::string_view upload_id,
                                                                std::optional<std::uint64_t> offset,
                                                                const RequestMeta& meta) {
  auto upload = TRY(OwnUpload(who, upload_id));
  if (upload.state == store::UploadState::kDone) {
    return core::FailedPrecondition("该上传已完成", "upload_id");
  }
  if (upload.state == store::UploadState::kAborted) {
    return core::FailedPrecondition("该上传已放弃，请重新上传", "upload_id");
  }
  if (!MarkActive(upload.id)) return core::Aborted("该上传正在进行中，请稍后再续传");
  auto writer = blobs_.Resume(upload.id);
  if (!writer.ok()) {
    ClearActive(upload.id);
    if (writer.error().code == core::ErrorCode::kNotFound) {
      return core::FailedPrecondition("上传的数据已丢失，请重新上传", "upload_id");
    }
    return std::move(writer).error();
  }
  if (offset && *offset != writer->size()) {
    std::uint64_t received = writer->size();
    writer->Abort();
    ClearActive(upload.id);
    return core::FailedPrecondition(
        "续传位置不符：已接收 " + std::to_string(received) + " 字节，应从该位置续传",
        "Upload-Offset");
  }
  upload.received = static_cast<std::int64_t>(writer->size());
  return std::make_unique<UploadSession>(UploadSession::Key{}, *this, who, meta, std::move(upload),
                                         std::move(writer).value());
}

Status Evidence::AbandonUpload(const Principal& who, std::string_view upload_id,
                               const RequestMeta& meta) {
  auto upload = TRY(OwnUpload(who, upload_id));
  if (upload.state != store::UploadState::kOpen) {
    return core::FailedPrecondition("该上传已结束", "upload_id");
  }
  if (!MarkActive(upload.id)) return core::Aborted("该上传正在进行中，请稍后再试");
  std::error_code ec;
  auto on_disk = fs::file_size(TempPathOf(upload.id), ec);
  const std::int64_t received = ec ? upload.received : static_cast<std::int64_t>(on_disk);
  const std::int64_t now = clock_.NowMs();
  Status written = db_.Write([&](store::Conn& conn) -> Status {
    if (!TRY(store::CloseUpload(conn, upload.id, store::UploadState::kAborted, received,
                                std::nullopt, now))) {
      return core::FailedPrecondition("该上传已结束", "upload_id");
    }
    record::EventInput e;
    e.actor = ActorOf(who);
    e.action = "evidence.upload_abandon";
    e.object_type = "upload";
    e.object_id = upload.id;
    e.client_ip = meta.client_ip;
    e.request_id = meta.request_id;
    e.detail = json::object{{"received", received}};
    TRY(log_.Append(conn, e));
    return core::Ok();
  });
  if (written.ok()) {
    Status discarded = blobs_.DiscardUpload(upload.id);
    if (!discarded.ok() && discarded.error().code != core::ErrorCode::kNotFound) {
      ClearActive(upload.id);
      return discarded;
    }
  }
  ClearActive(upload.id);
  return written;
}

Result<UploadResult> Evidence::Complete(UploadSession& s) {
  const std::string& id = s.upload_.id;
  // The type is checked before the blob is committed, so a refused file is
  // never stored.
  std::vector<std::uint8_t> head(std::min<std::uint64_t>(s.size(), record::kSniffBytes));
  {
    std::ifstream in(TempPathOf(id), std::ios::binary);
    in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  }
  const std::string sniffed = record::SniffMediaType(head);
  const std::int64_t now = clock_.NowMs();
  const std::int64_t received = static_cast<std::int64_t>(s.received());
  if (!catalog_.FindMediaType(sniffed)) {
    s.writer_.set_keep_partial(false);
    s.writer_.Abort();
    Status written = db_.Write([&](store::Conn& conn) -> Status {
      TRY(store::CloseUpload(conn, id, store::UploadState::kAborted, received, std::nullopt, now));
      record::EventInput e;
      e.actor = s.actor_;
      e.action = "evidence.upload";
      e.object_type = "upload";
      e.object_id = id;
      e.outcome = "failed";
      e.client_ip = s.meta_.client_ip;
      e.request_id = s.meta_.request_id;
      e.detail = json::object{{"reason", "media_type"}, {"media_type", sniffed}};
      TRY(log_.Append(conn, e));
      return core::Ok();
    });
    s.Release();
    TRY(written);
    return core::InvalidArgument("不支持的文件类型（" + sniffed + "），请上传图片、音视频或文档",
                                 "media_type");
  }

  auto committed = s.writer_.Commit();
  if (!committed.ok()) {
    s.Release();
    return std::move(committed).error();
  }
  const record::BlobInfo& info = *committed;

  json::object meta;
  {
    boost::system::error_code ec;
    json::value v = json::parse(s.upload_.metadata, ec);
    if (!ec && v.is_object()) meta = std::move(v.as_object());
  }
  store::EvidenceRecord ev;
  ev.sm3 = info.sm3_hex;
  ev.sha256 = info.sha256_hex;
  ev.size = static_cast<std::int64_t>(info.size);
  ev.media_type = info.media_type;
  ev.filename = s.upload_.filename;
  ev.source = StrOf(meta, "source");
  ev.captured_at = IntOf(meta, "captured_at");
  ev.captured_by = StrOf(meta, "captured_by");
  ev.device_id = StrOf(meta, "device_id");
  if (auto* l = meta.if_contains("location"); l && l->is_object()) {
    ev.location = json::serialize(*l);
  }
  ev.description = StrOf(meta, "description");
  ev.object_type = StrOf(meta, "object_type");
  ev.object_id = StrOf(meta, "object_id");
  ev.unit_id = s.upload_.unit_id;
  ev.uploaded_by = s.upload_.user_id;
  ev.uploaded_at = now;

  Status written = db_.Write([&](store::Conn& conn) -> Status {
    TRY(store::InsertFileIfAbsent(conn, {.sm3 = ev.sm3,
                                         .sha256 = ev.sha256,
                                         .size = ev.size,
                                         .media_type = ev.media_type,
                                         .stored_at = now}));
    ev.id = TRY(store::NextEvidenceId(conn));
    record::EventInput e;
    e.actor = s.actor_;
    e.action = "evidence.upload";
    e.object_type = "evidence";
    e.object_id = std::to_string(ev.id);
    e.files = FilesJson(ev);
    e.changes = Created({{"filename", json::value(ev.filename)},
                         {"source", json::value(ev.source)},
                         {"captured_at", json::value(core::FormatIsoUtc(ev.captured_at))},
                         {"captured_by", json::value(ev.captured_by)},
                         {"device_id", json::value(ev.device_id)},
                         {"description", json::value(ev.description)},
                         {"object_type", json::value(ev.object_type)},
                         {"object_id", json::value(ev.object_id)}});
    if (auto* l = meta.if_contains("location"); l && l->is_object()) {
      e.changes["location"] = json::object{{"before", nullptr}, {"after", *l}};
    }
    e.client_ip = s.meta_.client_ip;
    e.request_id = s.meta_.request_id;
    e.detail = json::object{
        {"upload_id", id}, {"media_type", ev.media_type}, {"stored_before", info.already_existed}};
    auto event = TRY(log_.Append(conn, e));
    ev.event_seq = event.seq;
    TRY(store::InsertEvidence(conn, ev));
    if (!TRY(store::CloseUpload(conn, id, store::UploadState::kDone, received, ev.id, now))) {
      return core::FailedPrecondition("该上传已结束", "upload_id");
    }
    return core::Ok();
  });
  if (!written.ok()) {
    // The blob is stored (content-addressed, so a retry dedupes) but its
    // upload file is gone: the client has to start a new upload.
    (void)db_.Write([&](store::Conn& conn) -> Status {
      TRY(store::CloseUpload(conn, id, store::UploadState::kAborted, received, std::nullopt, now));
      return core::Ok();
    });
    s.Release();
    return std::move(written).error();
  }
  s.upload_.state = store::UploadState::kDone;
  s.upload_.received = received;
  s.upload_.evidence_id = ev.id;
  s.upload_.updated_at = now;
  s.Release();
  return UploadResult{s.upload_, ev};
}

Result<Page<store::EvidenceRecord>> Evidence::List(const Principal& who,
                                                   store::EvidenceFilter filter) {
  if (!MayRead(who)) return core::PermissionDenied("没有查看证据文件的权限");
  if (!SeesAllUnits(who)) filter.only_unit_id = who.unit_id;
  const int want = std::clamp(filter.limit, 1, kMaxPage);
  filter.limit = want + 1;
  Page<store::EvidenceRecord> page;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    page.items = TRY(store::ListEvidence(conn, filter));
    return core::Ok();
  }));
  if (static_cast<int>(page.items.size()) > want) {
    page.items.resize(static_cast<std::size_t>(want));
    page.next_after = page.items.back().id;
  }
  return page;
}

Status Evidence::AppendRead(store::Conn& conn, const Principal& who,
                            const store::EvidenceRecord& ev, std::string_view action,
                            const RequestMeta& meta) {
  record::EventInput e;
  e.actor = ActorOf(who);
  e.action = action;
  e.object_type = "evidence";
  e.object_id = std::to_string(ev.id);
  e.files = FilesJson(ev);
  e.client_ip = meta.client_ip;
  e.request_id = meta.request_id;
  TRY(log_.Append(conn, e));
  return core::Ok();
}

Result<store::EvidenceRecord> Evidence::Get(const Principal& who, std::int64_t id,
                                            const RequestMeta& meta) {
  if (!MayRead(who) && !MayReadMatterFiles(who)) {
    return core::PermissionDenied("没有查看证据文件的权限");
  }
  std::optional<store::EvidenceRecord> found;
  TRY(db_.Write([&](store::Conn& conn) -> Status {
    found = TRY(store::FindEvidence(conn, id));
    if (!found) return core::NotFound("证据文件不存在");
    const bool readable = TRY(MayReadFile(conn, who, *found));
    if (!readable) return core::NotFound("证据文件不存在");
    return AppendRead(conn, who, *found, "evidence.view", meta);
  }));
  return *found;
}

Result<EvidenceContent> Evidence::Open(const Principal& who, std::int64_t id,
                                       const RequestMeta& meta) {
  if (!MayRead(who) && !MayReadMatterFiles(who)) {
    return core::PermissionDenied("没有查看证据文件的权限");
  }
  EvidenceContent out;
  TRY(db_.Write([&](store::Conn& conn) -> Status {
    auto found = TRY(store::FindEvidence(conn, id));
    if (!found) return core::NotFound("证据文件不存在");
    const bool readable = TRY(MayReadFile(conn, who, *found));
    if (!readable) return core::NotFound("证据文件不存在");
    auto path = blobs_.PathOf(found->sm3);
    if (!path.ok()) return core::DataLoss("证据文件内容缺失：" + found->sm3, "sm3");
    out.path = std::move(path).value();
    out.evidence = std::move(*found);
    return AppendRead(conn, who, out.evidence, "evidence.download", meta);
  }));
  return out;
}

}  // namespace lvyuan::domain
