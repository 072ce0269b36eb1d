#include "domain/record_access.h"

#include "core/encoding.h"
#include "core/strings.h"
#include "crypto/random.h"
#include "domain/record_actor.h"
#include "record/canonical.h"
#include "record/checkpoint.h"

namespace lvyuan::domain {

namespace {

constexpr std::size_t kMaxObjectPart = 64;

core::Status CheckObject(std::string_view object_type, std::string_view object_id) {
  if (object_type.empty() || object_type.size() > kMaxObjectPart) {
    return core::InvalidArgument("请给出对象类型（不超过 64 个字符）", "object_type");
  }
  if (object_id.empty() || object_id.size() > kMaxObjectPart) {
    return core::InvalidArgument("请给出对象编号（不超过 64 个字符）", "object_id");
  }
  return core::Ok();
}

}  // namespace

RecordAccess::RecordAccess(store::Database& db, record::Log& log, crypto::PublicKey key,
                           BundleExportSettings exports)
    : db_(db),
      log_(log),
      key_(std::move(key)),
      origin_(record::OriginOf(key_)),
      key_info_{.algorithm = std::string(crypto::SignatureAlgorithmName(key_.algorithm())),
                .key_id = key_.KeyId(),
                .public_key_pem = key_.ToPem(),
                .origin = origin_,
                .hash = std::string(record::HashAlgorithmName(log_.algorithm()))},
      exports_(std::move(exports)) {}

core::Result<CheckpointView> RecordAccess::ViewOf(store::Conn& conn,
                                                  store::CheckpointRecord checkpoint) {
  CheckpointView view;
  view.cosignatures = TRY(store::ListCosignatures(conn, checkpoint.size));
  view.signed_note = record::SignedNote(checkpoint, origin_);
  view.checkpoint = std::move(checkpoint);
  return view;
}

namespace {

// The public record reads below are signed data its reader checks, so they
// may come from a replica a few seconds behind (Database::ReadMayLag). What
// the replica does not have yet (a checkpoint or tree size the reader learnt
// from the primary) is asked of the primary before answering "not found".
core::Status ReadPublic(store::Database& db, const std::function<core::Status(store::Conn&)>& fn,
                        const std::function<bool(const core::Error&)>& maybe_lag) {
  core::Status status = db.ReadMayLag(fn);
  if (!status.ok() && maybe_lag(status.error())) status = db.Read(fn);
  return status;
}

bool IsNotFound(const core::Error& e) { return e.code == core::ErrorCode::kNotFound; }

}  // namespace

core::Result<CheckpointView> RecordAccess::LatestCheckpoint() {
  CheckpointView view;
  TRY(ReadPublic(
      db_,
      [&](store::Conn& conn) -> core::Status {
        auto latest = TRY(store::LatestCheckpoint(conn));
        if (!latest) return core::NotFound("尚无签名检查点");
        view = TRY(ViewOf(conn, std::move(*latest)));
        return core::Ok();
      },
      IsNotFound));
  return view;
}

core::Result<CheckpointView> RecordAccess::CheckpointAt(std::int64_t size) {
  CheckpointView view;
  TRY(ReadPublic(
      db_,
      [&](store::Conn& conn) -> core::Status {
        auto found = TRY(store::FindCheckpoint(conn, size));
        if (!found) return core::NotFound("没有树大小为 " + std::to_string(size) + " 的检查点");
        view = TRY(ViewOf(conn, std::move(*found)));
        return core::Ok();
      },
      IsNotFound));
  return view;
}

core::Result<std::vector<record::Hash>> RecordAccess::Consistency(std::uint64_t from,
                                                                  std::uint64_t to) {
  std::vector<record::Hash> proof;
  TRY(ReadPublic(
      db_,
      [&](store::Conn& conn) -> core::Status {
        auto p = log_.ConsistencyProof(conn, from, to);
        if (!p.ok() && p.error().code == core::ErrorCode::kOutOfRange) {
          return core::InvalidArgument(p.error().message, "to");
        }
        proof = TRY(std::move(p));
        return core::Ok();
      },
      [](const core::Error& e) { return e.field == "to"; }));
  return proof;
}

core::Result<RecordedFile> RecordAccess::FindFile(std::string_view sm3_text) {
  std::string sm3 = core::AsciiLower(sm3_text);
  if (sm3.size() != 64 || sm3.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return core::InvalidArgument("SM3 哈希应为 64 位十六进制数", "sm3");
  }
  RecordedFile out;
  out.sm3 = sm3;
  TRY(db_.Read([&](store::Conn& conn) -> core::Status {
    auto file = TRY(store::FindStoredFile(conn, sm3));
    if (!file || file->first_event_seq == 0) return core::Ok();
    auto event = TRY(store::FindEvent(conn, file->first_event_seq));
    if (!event) return core::DataLoss("文件登记事件缺失");
    out.recorded = true;
    out.seq = event->seq;
    out.recorded_at = event->at;
    out.leaf_hash = core::HexEncode(event->leaf_hash);
    auto checkpoint = TRY(store::LatestCheckpoint(conn));
    if (!checkpoint || checkpoint->size < event->seq) return core::Ok();
    out.tree_size = static_cast<std::uint64_t>(checkpoint->size);
    out.proof = TRY(log_.InclusionProof(conn, event->seq, out.tree_size));
    out.checkpoint = TRY(ViewOf(conn, std::move(*checkpoint)));
    return core::Ok();
  }));
  return out;
}

bool RecordAccess::MaySee(const Principal& who, const store::EventRecord& event) const {
  if (who.via == Principal::Via::kCommandLine || who.Has("audit:event:list")) return true;
  // 三员分立: the system and security administrators share the platform's
  // unit with the audit administrator, whose work they must not read; they
  // see only what they did themselves.
  if (who.admin_class != AdminClass::kNone) {
    return who.user_id != 0 && event.actor_user_id == who.user_id;
  }
  return who.unit_id != 0 && event.actor_unit_id == who.unit_id;
}

core::Result<RecordAccess::Visibility> RecordAccess::VisibilityOf(
    store::Conn& conn, const Principal& who, std::string_view object_type,
    std::string_view object_id) const {
  Visibility out;
  store::EventFilter filter;
  filter.object_type = object_type;
  filter.object_id = object_id;
  filter.limit = 500;
  for (;;) {
    auto page = TRY(store::ListEvents(conn, filter));
    for (const store::EventRecord& e : page) {
      ++out.events;
      if (!MaySee(who, e)) {
        out.all_visible = false;
        return out;
      }
    }
    if (page.size() < static_cast<std::size_t>(filter.limit)) return out;
    filter.before_seq = page.back().seq;
  }
}

core::Result<EventProof> RecordAccess::Prove(const Principal& who, std::int64_t seq,
                                             std::optional<std::uint64_t> size,
                                             const RequestMeta& meta) {
  EventProof out;
  // The supervised read and the visibility check in one transaction: a
  // refused read is recorded as such.
  TRY(db_.Write([&](store::Conn& conn) -> core::Status {
    auto event = TRY(store::FindEvent(conn, seq));
    const bool visible = event && MaySee(who, *event);
    record::EventInput view;
    view.actor = ActorOf(who);
    view.action = "record.view";
    view.object_type = "event";
    view.object_id = std::to_string(seq);
    view.outcome = visible ? "ok" : "denied";
    view.client_ip = meta.client_ip;
    view.request_id = meta.request_id;
    if (size) view.detail["size"] = static_cast<std::int64_t>(*size);
    TRY(log_.Append(conn, view));
    if (visible) out.event = std::move(*event);
    return core::Ok();
  }));
  if (out.event.seq == 0) return core::NotFound("事件不存在");
  out.canonical = TRY(record::CanonicalEvent(out.event));
  TRY(db_.Read([&](store::Conn& conn) -> core::Status {
    std::optional<store::CheckpointRecord> checkpoint;
    if (size) {
      checkpoint = TRY(store::FindCheckpoint(conn, static_cast<std::int64_t>(*size)));
      out.tree_size = *size;
    } else {
      checkpoint = TRY(store::LatestCheckpoint(conn));
      if (!checkpoint || checkpoint->size < seq) {
        return core::FailedPrecondition("该事件尚未纳入签名检查点，请稍后再试（或指定 size）");
      }
      out.tree_size = static_cast<std::uint64_t>(checkpoint->size);
    }
    if (out.tree_size < static_cast<std::uint64_t>(seq)) {
      return core::InvalidArgument("树大小不能小于事件序号", "size");
    }
    auto proof = log_.InclusionProof(conn, seq, out.tree_size);
    if (!proof.ok() && proof.error().code == core::ErrorCode::kOutOfRange) {
      return core::InvalidArgument(proof.error().message, "size");
    }
    out.proof = TRY(std::move(proof));
    out.root = TRY(log_.RootAt(conn, out.tree_size));
    if (checkpoint) out.checkpoint = TRY(ViewOf(conn, std::move(*checkpoint)));
    return core::Ok();
  }));
  return out;
}

core::Result<ObjectRecordPage> RecordAccess::ObjectRecord(const Principal& who,
                                                          std::string_view object_type,
                                                          std::string_view object_id,
                                                          std::int64_t before_seq, int limit,
                                                          const RequestMeta& meta) {
  TRY(CheckObject(object_type, object_id));
  ObjectRecordPage page;
  TRY(db_.Write([&](store::Conn& conn) -> core::Status {
    page.items.clear();
    store::EventFilter filter;
    filter.object_type = object_type;
    filter.object_id = object_id;
    filter.before_seq = before_seq;
    filter.limit = limit;
    auto events = TRY(store::ListEvents(conn, filter));
    if (events.size() == static_cast<std::size_t>(limit)) page.next_before = events.back().seq;
    for (store::EventRecord& e : events) {
      if (MaySee(who, e))
        page.items.push_back({.event = std::move(e), .canonical = {}, .proof = {}});
    }
    if (page.items.empty()) return core::Ok();
    record::EventInput view;
    view.actor = ActorOf(who);
    view.action = "record.view";
    view.object_type = "record";
    view.object_id = std::string(object_type) + ":" + std::string(object_id);
    view.client_ip = meta.client_ip;
    view.request_id = meta.request_id;
    view.detail["events"] = static_cast<std::int64_t>(page.items.size());
    view.detail["from_seq"] = page.items.back().event.seq;
    view.detail["to_seq"] = page.items.front().event.seq;
    TRY(log_.Append(conn, view));
    return core::Ok();
  }));
  if (page.items.empty()) return page;
  TRY(db_.Read([&](store::Conn& conn) -> core::Status {
    auto checkpoint = TRY(store::LatestCheckpoint(conn));
    const std::int64_t size = checkpoint ? checkpoint->size : 0;
    for (ProvenEvent& item : page.items) {
      item.canonical = TRY(record::CanonicalEvent(item.event));
      if (item.event.seq <= size) {
        item.proof =
            TRY(log_.InclusionProof(conn, item.event.seq, static_cast<std::uint64_t>(size)));
      }
    }
    if (checkpoint) page.checkpoint = TRY(ViewOf(conn, std::move(*checkpoint)));
    // Scanning every event of the object is a read: not while holding the
    // writer above.
    if (before_seq == 0) {
      page.exportable = TRY(VisibilityOf(conn, who, object_type, object_id)).all_visible;
    }
    return core::Ok();
  }));
  return page;
}

core::Result<ExportedBundle> RecordAccess::ExportBundle(const Principal& who,
                                                        std::string_view object_type,
                                                        std::string_view object_id,
                                                        const RequestMeta& meta) {
  TRY(CheckObject(object_type, object_id));
  if (exports_.key == nullptr || exports_.clock == nullptr || exports_.dir.empty()) {
    return core::FailedPrecondition("本服务未配置证据包导出");
  }
  // The visibility check and the supervised read in one transaction, so a
  // refused export is recorded as such.
  bool admitted = false;
  TRY(db_.Write([&](store::Conn& conn) -> core::Status {
    const Visibility visible = TRY(VisibilityOf(conn, who, object_type, object_id));
    const std::int64_t events = visible.events;
    admitted = events > 0 && visible.all_visible;
    if (events == 0) return core::Ok();  // nothing to record a read of
    record::EventInput e;
    e.actor = ActorOf(who);
    e.action = "record.view.bundle";
    e.object_type = "record";
    e.object_id = std::string(object_type) + ":" + std::string(object_id);
    e.outcome = admitted ? "ok" : "denied";
    e.client_ip = meta.client_ip;
    e.request_id = meta.request_id;
    e.detail["events"] = events;
    TRY(log_.Append(conn, e));
    return core::Ok();
  }));
  if (!admitted) return core::NotFound("该对象没有可导出的记录事件");

  std::error_code ec;
  std::filesystem::create_directories(exports_.dir, ec);
  if (ec) return core::Internal("无法创建证据包导出目录: " + ec.message());
  const std::int64_t now = exports_.clock->NowMs();
  ExportedBundle out;
  out.filename = record::BundleFileName(object_type, object_id, now);
  out.path = exports_.dir / (crypto::RandomToken(12) + ".tar");
  out.summary = TRY(record::ExportBundle(db_, log_, *exports_.key, *exports_.clock, exports_.blobs,
                                         {.object_type = std::string(object_type),
                                          .object_id = std::string(object_id),
                                          .out = out.path}));
  return out;
}

}  // namespace lvyuan::domain
