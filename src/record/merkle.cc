#include "record/merkle.h"

#include <bit>
#include <string>

namespace lvyuan::record {
namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

using core::OutOfRange;

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

core::Result<Hash> MerkleTree::Node(int level, std::uint64_t index) const {
  const auto l = static_cast<std::size_t>(level);
  if (level < 0 || l >= levels_.size() || index >= levels_[l].size()) {
    return OutOfRange("节点 (" + std::to_string(level) + ", " + std::to_string(index) + ") 不存在");
  }
  return levels_[l][index];
}

core::Result<Hash> SubtreeHash(const NodeSource& tree, std::uint64_t start, std::uint64_t count) {
  if (std::has_single_bit(count)) {
    const int level = std::countr_zero(count);
    return tree.Node(level, start >> level);
  }
  const std::uint64_t k = SplitPoint(count);
  const Hash left = TRY(SubtreeHash(tree, start, k));
  const Hash right = TRY(SubtreeHash(tree, start + k, count - k));
  return NodeHash(tree.algorithm(), left, right);
}

core::Result<Hash> RootAt(const NodeSource& tree, std::uint64_t size) {
  if (size > tree.size()) {
    return OutOfRange("树大小 " + std::to_string(size) + " 超过当前叶子数 " +
                      std::to_string(tree.size()));
  }
  if (size == 0) return EmptyRoot(tree.algorithm());
  return SubtreeHash(tree, 0, size);
}

namespace {

// PATH(m, D[start : start + count]) of RFC 9162 §2.1.3.1.
core::Status AppendPath(const NodeSource& tree, std::uint64_t index, std::uint64_t start,
                        std::uint64_t count, std::vector<Hash>& proof) {
  if (count == 1) return core::Ok();
  const std::uint64_t k = SplitPoint(count);
  if (index < k) {
    TRY(AppendPath(tree, index, start, k, proof));
    proof.push_back(TRY(SubtreeHash(tree, start + k, count - k)));
  } else {
    TRY(AppendPath(tree, index - k, start + k, count - k, proof));
    proof.push_back(TRY(SubtreeHash(tree, start, k)));
  }
  return core::Ok();
}

// SUBPROOF(m, D[start : start + count], b) of RFC 9162 §2.1.4.1.
core::Status AppendSubproof(const NodeSource& tree, std::uint64_t from, std::uint64_t start,
                            std::uint64_t count, bool whole_subtree, std::vector<Hash>& proof) {
  if (from == count) {
    if (!whole_subtree) proof.push_back(TRY(SubtreeHash(tree, start, count)));
    return core::Ok();
  }
  const std::uint64_t k = SplitPoint(count);
  if (from <= k) {
    TRY(AppendSubproof(tree, from, start, k, whole_subtree, proof));
    proof.push_back(TRY(SubtreeHash(tree, start + k, count - k)));
  } else {
    TRY(AppendSubproof(tree, from - k, start + k, count - k, false, proof));
    proof.push_back(TRY(SubtreeHash(tree, start, k)));
  }
  return core::Ok();
}

}  // namespace

core::Result<std::vector<Hash>> InclusionProof(const NodeSource& tree, std::uint64_t index,
                                               std::uint64_t size) {
  if (size > tree.size()) {
    return OutOfRange("树大小 " + std::to_string(size) + " 超过当前叶子数 " +
                      std::to_string(tree.size()));
  }
  if (index >= size) {
    return core::InvalidArgument(
        "叶子序号 " + std::to_string(index) + " 不小于树大小 " + std::to_string(size), "index");
  }
  std::vector<Hash> proof;
  TRY(AppendPath(tree, index, 0, size, proof));
  return proof;
}

core::Result<std::vector<Hash>> ConsistencyProof(const NodeSource& tree, std::uint64_t from,
                                                 std::uint64_t to) {
  if (to > tree.size()) {
    return OutOfRange("树大小 " + std::to_string(to) + " 超过当前叶子数 " +
                      std::to_string(tree.size()));
  }
  if (from > to) {
    return core::InvalidArgument(
        "旧树大小 " + std::to_string(from) + " 大于新树大小 " + std::to_string(to), "from");
  }
  if (from == 0) return core::InvalidArgument("从空树出发的一致性证明没有意义", "from");
  std::vector<Hash> proof;
  TRY(AppendSubproof(tree, from, 0, to, true, proof));
  return proof;
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
