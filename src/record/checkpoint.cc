#include "record/checkpoint.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <vector>

#include "core/encoding.h"
#include "store/accounts.h"

namespace lvyuan::record {
namespace {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos) {
      lines.push_back(text);
      break;
    }
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace

std::string OriginOf(const crypto::PublicKey& key) { return "lvyuan/" + key.KeyId(); }

std::string FormatCheckpointBody(const CheckpointBody& b) {
  std::string out;
  out += b.origin + "\n";
  out += std::to_string(b.size) + "\n";
  out += core::Base64Encode(b.root) + "\n";
  out += "hash " + std::string(HashAlgorithmName(b.hash)) + "\n";
  out += "time " + core::FormatIsoUtc(b.at_ms) + "\n";
  return out;
}

core::Result<CheckpointBody> ParseCheckpointBody(std::string_view text) {
  auto bad = [](std::string what) {
    return core::InvalidArgument("检查点格式错误：" + what, "body");
  };
  if (text.empty() || text.back() != '\n') return bad("末尾缺少换行");
  const auto lines = Lines(text);
  if (lines.size() != 5) return bad("应为 5 行");
  CheckpointBody b;
  b.origin = std::string(lines[0]);
  if (b.origin.rfind("lvyuan/", 0) != 0) return bad("第 1 行应为 lvyuan/<密钥标识>");
  const auto size_line = lines[1];
  auto [end, ec] = std::from_chars(size_line.data(), size_line.data() + size_line.size(), b.size);
  if (ec != std::errc() || end != size_line.data() + size_line.size() || size_line.empty() ||
      (size_line.size() > 1 && size_line[0] == '0')) {
    return bad("第 2 行应为树大小（十进制）");
  }
  auto root = core::Base64Decode(lines[2]);
  if (!root.ok() || root->size() != b.root.size() || core::Base64Encode(*root) != lines[2]) {
    return bad("第 3 行应为 base64 的 32 字节根哈希");
  }
  std::copy(root->begin(), root->end(), b.root.begin());
  if (lines[3].rfind("hash ", 0) != 0) return bad("第 4 行应为 hash <算法>");
  auto hash = ParseHashAlgorithm(lines[3].substr(5));
  if (!hash.ok()) return bad("第 4 行的哈希算法未知");
  b.hash = *hash;
  if (lines[4].rfind("time ", 0) != 0) return bad("第 5 行应为 time <UTC 时间>");
  const auto time = lines[4].substr(5);
  if (!core::ParseIsoTime(time, &b.at_ms) || core::FormatIsoUtc(b.at_ms) != time) {
    return bad("第 5 行的时间格式应为 YYYY-MM-DDTHH:MM:SS.mmmZ");
  }
  return b;
}

std::string SignedNote(const store::CheckpointRecord& c, std::string_view origin) {
  return c.body + "\n\u2014 " + std::string(origin) + " " + core::Base64Encode(c.signature) + "\n";
}

std::string CosignatureMessage(std::string_view body, std::int64_t at_ms) {
  return "lvyuan-cosignature/v1\ntime " + core::FormatIsoUtc(at_ms) + "\n" + std::string(body);
}

core::Status VerifyCheckpoint(const store::CheckpointRecord& c, const crypto::PublicKey& key,
                              HashAlgorithm hash) {
  const std::string at = "检查点（树大小 " + std::to_string(c.size) + "）";
  auto body = ParseCheckpointBody(c.body);
  if (!body.ok()) return core::DataLoss(at + "：" + body.error().message);
  if (body->origin != OriginOf(key)) return core::DataLoss(at + "：来源不是本部署的密钥");
  if (body->hash != hash) return core::DataLoss(at + "：哈希算法与本部署不符");
  if (body->size != static_cast<std::uint64_t>(c.size) || body->at_ms != c.at ||
      !std::equal(c.root.begin(), c.root.end(), body->root.begin(), body->root.end())) {
    return core::DataLoss(at + "：签名正文与存储的大小、根哈希或时间不一致");
  }
  if (c.key_id != key.KeyId()) return core::DataLoss(at + "：签名密钥标识不符");
  if (!key.Verify(core::AsBytes(c.body), c.signature)) {
    return core::DataLoss(at + "：签名验证失败");
  }
  return core::Ok();
}

core::Result<crypto::PublicKey> DeploymentPublicKey(store::Conn& conn) {
  auto der = TRY(store::GetSetting(conn, kPublicKeySetting));
  if (!der) return core::NotFound("本部署尚未创建检查点签名密钥");
  auto key = crypto::PublicKey::FromDer(*der);
  if (!key.ok()) return core::DataLoss("记录的公钥已损坏：" + key.error().message);
  return key;
}

core::Result<crypto::PrivateKey> EnsureSigningKey(store::Database& db,
                                                  const std::filesystem::path& key_file,
                                                  crypto::SignatureAlgorithm algorithm) {
  std::optional<store::Blob> recorded;
  TRY(db.Read([&](store::Conn& conn) -> core::Status {
    recorded = TRY(store::GetSetting(conn, kPublicKeySetting));
    return core::Ok();
  }));
  std::error_code ec;
  const bool exists = std::filesystem::exists(key_file, ec);
  if (recorded) {
    if (!exists) {
      return core::FailedPrecondition("检查点签名密钥文件 " + key_file.string() +
                                          " 不存在；本部署已有记录的公钥，请从备份恢复该文件",
                                      "record.key_file");
    }
    auto key = TRY(crypto::PrivateKey::LoadFile(key_file));
    if (key.Public().ToDer() != *recorded) {
      return core::FailedPrecondition(
          "检查点签名密钥文件 " + key_file.string() + " 不是本部署记录的密钥", "record.key_file");
    }
    return key;
  }
  crypto::PrivateKey key = exists ? TRY(crypto::PrivateKey::LoadFile(key_file))
                                  : TRY(crypto::PrivateKey::Generate(algorithm));
  if (!exists) {
    if (key_file.has_parent_path()) std::filesystem::create_directories(key_file.parent_path(), ec);
    TRY(key.SaveFile(key_file));
    spdlog::info("created the record signing key {} ({}, key id {})", key_file.string(),
                 crypto::SignatureAlgorithmName(algorithm), key.Public().KeyId());
  }
  const std::vector<std::uint8_t> der = key.Public().ToDer();
  store::Blob stored;
  TRY(db.Write([&](store::Conn& conn) -> core::Status {
    stored = TRY(store::PutSettingIfAbsent(conn, kPublicKeySetting, der));
    return core::Ok();
  }));
  if (stored != der) {
    return core::FailedPrecondition("另一进程同时创建了不同的签名密钥", "record.key_file");
  }
  return key;
}

core::Result<std::optional<store::CheckpointRecord>> MakeCheckpoint(store::Database& db, Log& log,
                                                                    const crypto::PrivateKey& key,
                                                                    const core::Clock& clock) {
  std::optional<store::CheckpointRecord> made;
  std::optional<store::CheckpointRecord> candidate;  // what was offered to the store
  const crypto::PublicKey public_key = key.Public();
  core::Status written = db.Write([&](store::Conn& conn) -> core::Status {
    made.reset();
    candidate.reset();
    const TreeHead head = TRY(log.Head(conn));
    if (head.size == 0) return core::Ok();
    auto latest = TRY(store::LatestCheckpoint(conn));
    if (latest && static_cast<std::uint64_t>(latest->size) >= head.size) return core::Ok();
    CheckpointBody body{.origin = OriginOf(public_key),
                        .size = head.size,
                        .root = head.root,
                        .hash = log.algorithm(),
                        .at_ms = clock.NowMs()};
    store::CheckpointRecord c;
    c.size = static_cast<std::int64_t>(head.size);
    c.root.assign(head.root.begin(), head.root.end());
    c.at = body.at_ms;
    c.body = FormatCheckpointBody(body);
    c.key_id = public_key.KeyId();
    c.signature = TRY(key.Sign(core::AsBytes(c.body)));
    candidate = c;
    TRY(store::PutCheckpoint(conn, c));
    made = std::move(c);
    return core::Ok();
  });
  if (written.ok()) return made;
  if (written.error().code != core::ErrorCode::kAlreadyExists || !candidate) {
    return std::move(written).error();
  }
  // Another process stored a checkpoint of this size first (its transaction
  // was not yet visible when this one looked). The tree of a size is one
  // tree: the same root means the work is done; another root is a fork.
  const store::CheckpointRecord& mine = *candidate;
  std::optional<store::CheckpointRecord> existing;
  TRY(db.Read([&](store::Conn& conn) -> core::Status {
    existing = TRY(store::FindCheckpoint(conn, mine.size));
    return core::Ok();
  }));
  if (!existing) return std::move(written).error();
  if (existing->root != mine.root) {
    return core::DataLoss("树大小 " + std::to_string(mine.size) +
                          " 已有检查点，但其根哈希与当前记录不同：记录已分叉");
  }
  return std::optional<store::CheckpointRecord>();
}

Checkpointer::Checkpointer(store::Database& db, Log& log, const crypto::PrivateKey& key,
                           const core::Clock& clock, CheckpointPolicy policy,
                           store::Notifier* notifier)
    : db_(db), log_(log), key_(key), clock_(clock), policy_(policy), notifier_(notifier) {}

Checkpointer::~Checkpointer() { Stop(); }

void Checkpointer::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Checkpointer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (Leads()) MakeOne();
  lease_.reset();
}

bool Checkpointer::Leads() {
  if (notifier_ == nullptr) return true;
  if (lease_ && !lease_->Held()) {
    spdlog::warn("checkpoint leadership lost");
    lease_.reset();
  }
  if (!lease_) {
    lease_ = notifier_->TryLead(kCheckpointLease);
    if (lease_) spdlog::info("this process now makes the checkpoints");
  }
  return lease_ != nullptr;
}

void Checkpointer::Poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

void Checkpointer::MakeOne() {
  auto made = MakeCheckpoint(db_, log_, key_, clock_);
  if (!made.ok()) {
    spdlog::error("checkpoint failed: {}", made.error().ToString());
  } else if (*made) {
    made_.fetch_add(1);
    spdlog::info("checkpoint made at tree size {}", (*made)->size);
    if (notifier_ != nullptr) {
      const std::string payload =
          std::to_string((*made)->size) + " " + core::HexEncode((*made)->root);
      core::Status published = notifier_->Write([&](store::Conn&, store::Outbox& outbox) {
        return outbox.Publish(kRecordChannel, payload);
      });
      if (!published.ok()) {
        spdlog::warn("checkpoint notification failed: {}", published.error().ToString());
      }
    }
  }
}

void Checkpointer::Run() {
  std::uint64_t appended_at_last = log_.appended();
  auto last = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stop_) {
    // Wake at the interval, when poked, or at least every second to count.
    cv_.wait_for(lock,
                 std::min<std::chrono::milliseconds>(policy_.interval, std::chrono::seconds(1)),
                 [&] { return stop_ || poked_; });
    poked_ = false;
    if (stop_) break;
    const std::uint64_t appended = log_.appended();
    const auto now = std::chrono::steady_clock::now();
    const bool enough = appended - appended_at_last >= policy_.every_events;
    // Other processes append too: with a notifier every interval is due.
    const bool due =
        (appended != appended_at_last || notifier_ != nullptr) && now - last >= policy_.interval;
    if (!enough && !due) continue;
    lock.unlock();
    if (Leads()) MakeOne();
    lock.lock();
    appended_at_last = appended;
    last = now;
  }
}

}  // namespace lvyuan::record
