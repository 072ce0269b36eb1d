#include "record/log.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/encoding.h"
#include "record/canonical.h"
#include "store/accounts.h"

namespace lvyuan::record {
namespace json = boost::json;

std::string_view HashAlgorithmName(HashAlgorithm algorithm) {
  return algorithm == HashAlgorithm::kSm3 ? "sm3" : "sha256";
}

core::Result<HashAlgorithm> ParseHashAlgorithm(std::string_view name) {
  if (name == "sm3") return HashAlgorithm::kSm3;
  if (name == "sha256") return HashAlgorithm::kSha256;
  return core::InvalidArgument("哈希算法应为 sm3 或 sha256", "record.hash");
}

core::Result<Hash> ToHash(const store::Blob& blob, std::string_view what) {
  Hash h{};
  if (blob.size() != h.size()) {
    return core::DataLoss(std::string(what) + " 不是 32 字节的哈希值");
  }
  std::memcpy(h.data(), blob.data(), h.size());
  return h;
}

core::Result<Hash> StoredTree::Node(int level, std::uint64_t index) const {
  const auto idx = static_cast<std::int64_t>(index);
  std::optional<store::Blob> blob;
  if (level == 0) {
    blob = TRY(store::FindLeafHash(conn_, idx));
  } else {
    blob = TRY(store::FindNode(conn_, level, idx));
  }
  const std::string what =
      level == 0 ? "第 " + std::to_string(index + 1) + " 条事件的叶子哈希"
                 : "默克尔树节点 (" + std::to_string(level) + ", " + std::to_string(index) + ")";
  if (!blob) return core::DataLoss(what + " 缺失");
  return ToHash(*blob, what);
}

core::Result<std::unique_ptr<Log>> Log::Open(store::Database& db, const core::Clock& clock,
                                             HashAlgorithm configured) {
  const std::string_view name = HashAlgorithmName(configured);
  store::Blob stored;
  TRY(db.Write([&](store::Conn& conn) -> core::Status {
    stored =
        TRY(store::PutSettingIfAbsent(conn, kHashSetting, store::Blob(name.begin(), name.end())));
    return core::Ok();
  }));
  const std::string stored_name(stored.begin(), stored.end());
  auto algorithm = ParseHashAlgorithm(stored_name);
  if (!algorithm.ok()) return core::DataLoss("记录的哈希算法设置已损坏：" + stored_name);
  if (*algorithm != configured) {
    return core::FailedPrecondition("本部署的记录使用 " + stored_name + "，配置却是 " +
                                        std::string(name) + "；已有记录的哈希算法不能更改",
                                    "record.hash");
  }
  return std::unique_ptr<Log>(new Log(clock, *algorithm));
}

core::Status Log::SyncFrontier(store::Conn& conn) {
  auto last = TRY(store::LastEvent(conn));
  const std::uint64_t n = last ? static_cast<std::uint64_t>(last->first) : 0;
  if (n == size_ && (n == 0 || std::equal(last->second.begin(), last->second.end(),
                                          last_leaf_.begin(), last_leaf_.end()))) {
    return core::Ok();
  }
  StoredTree tree(conn, algorithm_, n);
  std::vector<std::optional<Hash>> frontier(static_cast<std::size_t>(std::bit_width(n)));
  for (int level = 0; level < static_cast<int>(frontier.size()); ++level) {
    if (((n >> level) & 1U) == 0) continue;
    frontier[static_cast<std::size_t>(level)] = TRY(tree.Node(level, (n >> level) - 1));
  }
  Hash leaf{};
  if (n > 0) leaf = TRY(ToHash(last->second, "最新事件的叶子哈希"));
  frontier_ = std::move(frontier);
  size_ = n;
  last_leaf_ = leaf;
  return core::Ok();
}

Hash Log::FrontierRoot() const {
  if (size_ == 0) return EmptyRoot(algorithm_);
  bool have = false;
  Hash root{};
  for (const auto& subtree : frontier_) {
    if (!subtree) continue;
    root = have ? NodeHash(algorithm_, *subtree, root) : *subtree;
    have = true;
  }
  return root;
}

core::Result<store::EventRecord> Log::Append(store::Conn& conn, const EventInput& in) {
  if (in.action.empty()) return core::InvalidArgument("事件缺少动作名称", "action");
  if (in.outcome != "ok" && in.outcome != "denied" && in.outcome != "failed") {
    return core::InvalidArgument("事件结果应为 ok、denied 或 failed", "outcome");
  }
  store::EventRecord e;
  e.at = clock_.NowMs();
  e.actor_user_id = in.actor.user_id;
  e.actor_username = in.actor.username;
  e.actor_unit_id = in.actor.unit_id;
  e.action = in.action;
  e.object_type = in.object_type;
  e.object_id = in.object_id;
  e.outcome = in.outcome;
  e.changes = TRY(CanonicalJson(in.changes));
  e.files = TRY(CanonicalJson(in.files));
  e.client_ip = in.client_ip;
  e.request_id = in.request_id;
  e.detail = TRY(CanonicalJson(in.detail));

  std::lock_guard lock(mu_);
  TRY(SyncFrontier(conn));
  const std::uint64_t index = size_;
  e.seq = static_cast<std::int64_t>(index + 1);
  // The JSON columns were written canonical just above.
  std::string canonical;
  canonical.reserve(256 + e.changes.size() + e.files.size() + e.detail.size());
  AppendCanonicalEventUnchecked(store::ViewOf(e), canonical);
  const Hash leaf = LeafHash(algorithm_, core::AsBytes(canonical));
  e.leaf_hash.assign(leaf.begin(), leaf.end());
  TRY(store::AppendEvent(conn, e));

  // Complete the perfect subtrees this leaf closes: one per trailing 1 bit
  // of the index, each joining the frontier node of that level.
  std::vector<std::optional<Hash>> frontier = frontier_;
  Hash node = leaf;
  std::uint64_t idx = index;
  int level = 0;
  while ((idx & 1U) != 0) {
    node = NodeHash(algorithm_, *frontier[static_cast<std::size_t>(level)], node);
    frontier[static_cast<std::size_t>(level)].reset();
    idx >>= 1;
    ++level;
    TRY(store::PutNode(conn, level, static_cast<std::int64_t>(idx),
                       store::Blob(node.begin(), node.end())));
  }
  if (frontier.size() <= static_cast<std::size_t>(level)) {
    frontier.resize(static_cast<std::size_t>(level) + 1);
  }
  frontier[static_cast<std::size_t>(level)] = node;
  frontier_ = std::move(frontier);
  size_ = index + 1;
  last_leaf_ = leaf;
  appended_.fetch_add(1, std::memory_order_relaxed);
  return e;
}

core::Result<TreeHead> Log::Head(store::Conn& conn) {
  std::lock_guard lock(mu_);
  TRY(SyncFrontier(conn));
  return TreeHead{size_, FrontierRoot()};
}

namespace {

core::Result<std::uint64_t> CurrentSize(store::Conn& conn) {
  auto last = TRY(store::LastEvent(conn));
  return last ? static_cast<std::uint64_t>(last->first) : std::uint64_t{0};
}

}  // namespace

core::Result<Hash> Log::RootAt(store::Conn& conn, std::uint64_t size) {
  StoredTree tree(conn, algorithm_, TRY(CurrentSize(conn)));
  return record::RootAt(tree, size);
}

core::Result<std::vector<Hash>> Log::InclusionProof(store::Conn& conn, std::int64_t seq,
                                                    std::uint64_t size) {
  if (seq < 1) return core::InvalidArgument("事件序号从 1 开始", "seq");
  StoredTree tree(conn, algorithm_, TRY(CurrentSize(conn)));
  return record::InclusionProof(tree, static_cast<std::uint64_t>(seq - 1), size);
}

core::Result<std::vector<Hash>> Log::ConsistencyProof(store::Conn& conn, std::uint64_t from,
                                                      std::uint64_t to) {
  StoredTree tree(conn, algorithm_, TRY(CurrentSize(conn)));
  return record::ConsistencyProof(tree, from, to);
}

}  // namespace lvyuan::record
