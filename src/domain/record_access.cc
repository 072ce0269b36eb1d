#include "domain/record_access.h"

#include "core/encoding.h"
#include "core/strings.h"
#include "record/canonical.h"
#include "record/checkpoint.h"

namespace lvyuan::domain {

RecordAccess::RecordAccess(store::Database& db, record::Log& log, crypto::PublicKey key)
    : db_(db),
      log_(log),
      key_(std::move(key)),
      origin_(record::OriginOf(key_)),
      key_info_{.algorithm = std::string(crypto::SignatureAlgorithmName(key_.algorithm())),
                .key_id = key_.KeyId(),
                .public_key_pem = key_.ToPem(),
                .origin = origin_,
                .hash = std::string(record::HashAlgorithmName(log_.algorithm()))} {}

core::Result<CheckpointView> RecordAccess::ViewOf(store::Conn& conn,
                                                  store::CheckpointRecord checkpoint) {
  CheckpointView view;
  view.cosignatures = TRY(store::ListCosignatures(conn, checkpoint.size));
  view.signed_note = record::SignedNote(checkpoint, origin_);
  view.checkpoint = std::move(checkpoint);
  return view;
}

core::Result<CheckpointView> RecordAccess::LatestCheckpoint() {
  CheckpointView view;
  TRY(db_.Read([&](store::Conn& conn) -> core::Status {
    auto latest = TRY(store::LatestCheckpoint(conn));
    if (!latest) return core::NotFound("尚无签名检查点");
    view = TRY(ViewOf(conn, std::move(*latest)));
    return core::Ok();
  }));
  return view;
}

core::Result<CheckpointView> RecordAccess::CheckpointAt(std::int64_t size) {
  CheckpointView view;
  TRY(db_.Read([&](store::Conn& conn) -> core::Status {
    auto found = TRY(store::FindCheckpoint(conn, size));
    if (!found) return core::NotFound("没有树大小为 " + std::to_string(size) + " 的检查点");
    view = TRY(ViewOf(conn, std::move(*found)));
    return core::Ok();
  }));
  return view;
}

core::Result<std::vector<record::Hash>> RecordAccess::Consistency(std::uint64_t from,
                                                                  std::uint64_t to) {
  std::vector<record::Hash> proof;
  TRY(db_.Read([&](store::Conn& conn) -> core::Status {
    auto p = log_.ConsistencyProof(conn, from, to);
    if (!p.ok() && p.error().code == core::ErrorCode::kOutOfRange) {
      return core::InvalidArgument(p.error().message, "to");
    }
    proof = TRY(std::move(p));
    return core::Ok();
  }));
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
  return who.unit_id != 0 && event.actor_unit_id == who.unit_id;
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
    view.actor = {.user_id = who.user_id ? std::optional<std::int64_t>(who.user_id) : std::nullopt,
                  .username = who.username,
                  .unit_id = who.unit_id ? std::optional<std::int64_t>(who.unit_id) : std::nullopt};
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

}  // namespace lvyuan::domain
