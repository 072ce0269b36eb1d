// Merkle hash trees for tamper-evident logs, as in RFC 9162 (Certificate
// Transparency 2.0) section 2.1 / RFC 6962 section 2.1: leaf and node hashes,
// an in-memory append-only tree that produces inclusion and consistency
// proofs, and the verifiers of those proofs.
//
// Hashing (domain-separated so a leaf can never pass for a node):
//   leaf  = H(0x00 || data)
//   node  = H(0x01 || left || right)
//   empty = H("")            (the root of a tree with no leaves)
// H is SM3 by default (the platform's audit logs); SHA-256 gives the exact
// RFC 6962 trees, which the public test vectors use.
//
// All free functions are pure and thread-safe. A MerkleTree may be read from
// several threads at once; Append needs exclusive access.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "crypto/hash.h"

namespace lvyuan::record {

using Hash = crypto::Digest;
using crypto::HashAlgorithm;

// H(0x00 || data): the hash of one log entry.
Hash LeafHash(HashAlgorithm algorithm, std::span<const std::uint8_t> data);
// H(0x01 || left || right): the hash of an interior node.
Hash NodeHash(HashAlgorithm algorithm, const Hash& left, const Hash& right);
// H(""): the root hash of the empty tree.
Hash EmptyRoot(HashAlgorithm algorithm);

// Where the proof algorithms read hashes from: the hash of the perfect
// subtree of 2^level leaves starting at leaf index << level (level 0: the
// leaf hashes). Held in memory (MerkleTree) or in the store (record::Log).
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual HashAlgorithm algorithm() const = 0;
  // Number of leaves.
  virtual std::uint64_t size() const = 0;
  // Called only for nodes wholly inside the first size() leaves. An error
  // (a store that cannot be read, a missing node) is passed on as is.
  virtual core::Result<Hash> Node(int level, std::uint64_t index) const = 0;
};

// MTH of the leaves [start, start + count); count > 0 and the range is a
// node of some tree (start is a multiple of the largest power of two below
// count), which holds for every range the RFC recursions visit. Reads
// O(log count) nodes.
core::Result<Hash> SubtreeHash(const NodeSource& tree, std::uint64_t start, std::uint64_t count);

// The root hash of the tree formed by the first `size` leaves (EmptyRoot for
// 0). OutOfRange if size > tree.size().
core::Result<Hash> RootAt(const NodeSource& tree, std::uint64_t size);

// The RFC 9162 §2.1.3.1 inclusion proof (audit path, ordered from the leaf
// upwards) of leaf `index` in the tree of the first `size` leaves.
// OutOfRange if size > tree.size(); InvalidArgument if index >= size.
// Reads O(log size) nodes: every sibling on the path is a perfect subtree
// except at most one, which is decomposed into O(log size) perfect ones.
core::Result<std::vector<Hash>> InclusionProof(const NodeSource& tree, std::uint64_t index,
                                               std::uint64_t size);

// The RFC 9162 §2.1.4.1 consistency proof between the trees of the first
// `from` and the first `to` leaves; empty when from == to.
// OutOfRange if to > tree.size(); InvalidArgument if from > to or from == 0
// (nothing can be proven about the empty tree).
core::Result<std::vector<Hash>> ConsistencyProof(const NodeSource& tree, std::uint64_t from,
                                                 std::uint64_t to);

// An append-only Merkle tree held in memory. It keeps every leaf hash and
// the hash of every complete (perfect, aligned) subtree, about 2n hashes for
// n leaves, so the root of any earlier size and every proof are computed
// without rehashing leaves.
//
// Complexity for a tree of n leaves: Append amortised O(1) hashes (O(log n)
// at worst); Root, RootAt, InclusionProof and ConsistencyProof O(log n).
class MerkleTree : public NodeSource {
 public:
  explicit MerkleTree(HashAlgorithm algorithm = HashAlgorithm::kSm3);

  // Adds a leaf given by its leaf hash (see LeafHash).
  void Append(const Hash& leaf_hash);

  HashAlgorithm algorithm() const override { return algorithm_; }
  std::uint64_t size() const override { return levels_.empty() ? 0 : levels_[0].size(); }
  core::Result<Hash> Node(int level, std::uint64_t index) const override;

  // The root hash of the whole tree (EmptyRoot when there are no leaves).
  Hash Root() const;
  // As the free functions of the same names, on this tree.
  core::Result<Hash> RootAt(std::uint64_t size) const { return record::RootAt(*this, size); }
  core::Result<std::vector<Hash>> InclusionProof(std::uint64_t index, std::uint64_t size) const {
    return record::InclusionProof(*this, index, size);
  }
  core::Result<std::vector<Hash>> ConsistencyProof(std::uint64_t from, std::uint64_t to) const {
    return record::ConsistencyProof(*this, from, to);
  }

 private:
  HashAlgorithm algorithm_;
  // levels_[l][i]: hash of the perfect subtree of 2^l leaves starting at
  // leaf i * 2^l; levels_[0] are the leaf hashes.
  std::vector<std::vector<Hash>> levels_;
};

// Verifies an inclusion proof exactly as RFC 9162 §2.1.3.2 specifies: Ok iff
// `proof` shows that `leaf_hash` is leaf `index` of the tree of `size` leaves
// whose root is `root`. InvalidArgument otherwise (index >= size, proof too
// short or too long, or the computed root differs).
core::Status VerifyInclusion(HashAlgorithm algorithm, std::uint64_t index, std::uint64_t size,
                             const Hash& leaf_hash, std::span<const Hash> proof, const Hash& root);

// Verifies a consistency proof exactly as RFC 9162 §2.1.4.2 specifies: Ok iff
// `proof` shows that the tree of `size1` leaves with root `root1` is a prefix
// of the tree of `size2` leaves with root `root2`. For size1 == size2 the
// proof must be empty and the roots equal. InvalidArgument otherwise,
// including size1 > size2 and size1 == 0 (a proof from the empty tree is
// meaningless, RFC 9162 §2.1.4).
core::Status VerifyConsistency(HashAlgorithm algorithm, std::uint64_t size1, std::uint64_t size2,
                               std::span<const Hash> proof, const Hash& root1, const Hash& root2);

}  // namespace lvyuan::record
