#include "record/merkle.h"

#include <bit>
#include <string>

namespace lvyuan::record {
namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

core::Error OutOfRange(std::string message) {
  return core::Error{core::ErrorCode::kOutOfRange, std::move(message), {}};
}

// The largest power of two strictly below n; n >= 2.
std::uint64_t SplitPoint(std::uint64_t n) { return std::bit_floor(n - 1); }

bool Lsb(std::uint64_t value) { return (value & 1U) != 0; }

}  // namespace

Hash LeafHash(HashAlgorithm algorithm, std::span<const std::uint8_t> data) {
  crypto::Hasher hasher(algorithm);
  const std::uint8_t prefix = kLeafPrefix;
  hasher.Update(std::span<const std::uint8_t>(&prefix, 1));
  hasher.Update(data);
  return hasher.Finish();
}

Hash NodeHash(HashAlgorithm algorithm, const Hash& left, const Hash& right) {
  crypto::Hasher hasher(algorithm);
  const std::uint8_t prefix = kNodePrefix;
  hasher.Update(std::span<const std::uint8_t>(&prefix, 1));
  hasher.Update(left);
  hasher.Update(right);
  return hasher.Finish();
}

Hash EmptyRoot(HashAlgorithm algorithm) {
  return crypto::Hash(algorithm, std::span<const std::uint8_t>());
}

MerkleTree::MerkleTree(HashAlgorithm algorithm) : algorithm_(algorithm) {}

void MerkleTree::Append(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Each time a level gains an even count, its last two nodes complete a
  // perfect subtree one level up.
  for (std::size_t level = 0; levels_[level].size() % 2 == 0; ++level) {
    const std::vector<Hash>& nodes = levels_[level];
    Hash parent = NodeHash(algorithm_, nodes[nodes.size() - 2], nodes.back());
    if (level + 1 == levels_.size()) levels_.emplace_back();
    levels_[level + 1].push_back(parent);
  }
}

Hash MerkleTree::Root() const {
  const std::uint64_t n = size();
  if (n == 0) return EmptyRoot(algorithm_);
  // The frontier: one perfect subtree for every set bit of n, the smallest
  // rightmost. Fold them from the right.
  bool have_root = false;
  Hash root{};
  for (std::size_t level = 0; level < levels_.size(); ++level) {
    if (((n >> level) & 1U) == 0) continue;
    const Hash& subtree = levels_[level][(n >> level) - 1];
    root = have_root ? NodeHash(algorithm_, subtree, root) : subtree;
    have_root = true;
  }
  return root;
}

core::Result<Hash> MerkleTree::RootAt(std::uint64_t size) const {
  if (size > this->size()) {
    return OutOfRange("树大小 " + std::to_string(size) + " 超过当前叶子数 " +
                      std::to_string(this->size()));
  }
  if (size == 0) return EmptyRoot(algorithm_);
  return SubtreeHash(0, size);
}

Hash MerkleTree::SubtreeHash(std::uint64_t start, std::uint64_t count) const {
  if (std::has_single_bit(count)) {
    const int level = std::countr_zero(count);
    return levels_[static_cast<std::size_t>(level)][start >> level];
  }
  const std::uint64_t k = SplitPoint(count);
  return NodeHash(algorithm_, SubtreeHash(start, k), SubtreeHash(start + k, count - k));
}

core::Result<std::vector<Hash>> MerkleTree::InclusionProof(std::uint64_t index,
                                                           std::uint64_t size) const {
  if (size > this->size()) {
    return OutOfRange("树大小 " + std::to_string(size) + " 超过当前叶子数 " +
                      std::to_string(this->size()));
  }
  if (index >= size) {
    return core::InvalidArgument(
        "叶子序号 " + std::to_string(index) + " 不小于树大小 " + std::to_string(size), "index");
  }
  std::vector<Hash> proof;
  AppendPath(index, 0, size, proof);
  return proof;
}

// PATH(m, D[start : start + count]) of RFC 9162 §2.1.3.1.
void MerkleTree::AppendPath(std::uint64_t index, std::uint64_t start, std::uint64_t count,
                            std::vector<Hash>& proof) const {
  if (count == 1) return;
  const std::uint64_t k = SplitPoint(count);
  if (index < k) {
    AppendPath(index, start, k, proof);
    proof.push_back(SubtreeHash(start + k, count - k));
  } else {
    AppendPath(index - k, start + k, count - k, proof);
    proof.push_back(SubtreeHash(start, k));
  }
}

core::Result<std::vector<Hash>> MerkleTree::ConsistencyProof(std::uint64_t from,
                                                             std::uint64_t to) const {
  if (to > size()) {
    return OutOfRange("树大小 " + std::to_string(to) + " 超过当前叶子数 " + std::to_string(size()));
  }
  if (from > to) {
    return core::InvalidArgument(
        "旧树大小 " + std::to_string(from) + " 大于新树大小 " + std::to_string(to), "from");
  }
  if (from == 0) return core::InvalidArgument("从空树出发的一致性证明没有意义", "from");
  std::vector<Hash> proof;
  AppendSubproof(from, 0, to, true, proof);
  return proof;
}

// SUBPROOF(m, D[start : start + count], b) of RFC 9162 §2.1.4.1.
void MerkleTree::AppendSubproof(std::uint64_t from, std::uint64_t start, std::uint64_t count,
                                bool whole_subtree, std::vector<Hash>& proof) const {
  if (from == count) {
    if (!whole_subtree) proof.push_back(SubtreeHash(start, count));
    return;
  }
  const std::uint64_t k = SplitPoint(count);
  if (from <= k) {
    AppendSubproof(from, start, k, whole_subtree, proof);
    proof.push_back(SubtreeHash(start + k, count - k));
  } else {
    AppendSubproof(from - k, start + k, count - k, false, proof);
    proof.push_back(SubtreeHash(start, k));
  }
}

core::Status VerifyInclusion(HashAlgorithm algorithm, std::uint64_t index, std::uint64_t size,
                             const Hash& leaf_hash, std::span<const Hash> proof, const Hash& root) {
  // Step 1.
  if (index >= size) {
    return core::InvalidArgument(
        "叶子序号 " + std::to_string(index) + " 不小于树大小 " + std::to_string(size), "index");
  }
  // Steps 2-3.
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Hash r = leaf_hash;
  // Step 4.
  for (const Hash& p : proof) {
    if (sn == 0) return core::InvalidArgument("包含证明过长", "proof");
    if (Lsb(fn) || fn == sn) {
      r = NodeHash(algorithm, p, r);
      while (!Lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(algorithm, r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5.
  if (sn != 0) return core::InvalidArgument("包含证明过短", "proof");
  if (r != root) return core::InvalidArgument("包含证明与根哈希不符", "root");
  return core::Ok();
}

core::Status VerifyConsistency(HashAlgorithm algorithm, std::uint64_t size1, std::uint64_t size2,
                               std::span<const Hash> proof, const Hash& root1, const Hash& root2) {
  if (size1 > size2) {
    return core::InvalidArgument(
        "旧树大小 " + std::to_string(size1) + " 大于新树大小 " + std::to_string(size2), "size1");
  }
  if (size1 == 0) return core::InvalidArgument("从空树出发的一致性证明没有意义", "size1");
  if (size1 == size2) {
    // SUBPROOF(m, D[m], true) is empty: equal trees need no proof.
    if (!proof.empty()) return core::InvalidArgument("树大小相同时一致性证明应为空", "proof");
    if (root1 != root2) return core::InvalidArgument("树大小相同但根哈希不同", "root2");
    return core::Ok();
  }
  // Step 1.
  if (proof.empty()) return core::InvalidArgument("一致性证明为空", "proof");
  // Step 2: a power-of-two first tree is itself a node of the second, and
  // its hash is left out of the proof.
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(size1)) path.push_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  // Step 3.
  std::uint64_t fn = size1 - 1;
  std::uint64_t sn = size2 - 1;
  // Step 4.
  while (Lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5.
  Hash fr = path[0];
  Hash sr = path[0];
  // Step 6.
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return core::InvalidArgument("一致性证明过长", "proof");
    if (Lsb(fn) || fn == sn) {
      fr = NodeHash(algorithm, c, fr);
      sr = NodeHash(algorithm, c, sr);
      while (!Lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(algorithm, sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 7.
  if (sn != 0) return core::InvalidArgument("一致性证明过短", "proof");
  if (fr != root1) return core::InvalidArgument("一致性证明与旧树根哈希不符", "root1");
  if (sr != root2) return core::InvalidArgument("一致性证明与新树根哈希不符", "root2");
  return core::Ok();
}

}  // namespace lvyuan::record
