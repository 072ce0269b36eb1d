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

// An append-only Merkle tree held in memory. It keeps every leaf hash and
// the hash of every complete (perfect, aligned) subtree, about 2n hashes for
// n leaves, so the root of any earlier size and every proof are computed
// without rehashing leaves.
//
// Complexity for a tree of n leaves: Append amortised O(1) hashes (O(log n)
// at worst); Root O(log n) hashes, folding the right-edge frontier of
// perfect subtrees; RootAt O(log n); InclusionProof O(log n) hashes;
// ConsistencyProof O(log n) hashes.
class MerkleTree {
 public:
  explicit MerkleTree(HashAlgorithm algorithm = HashAlgorithm::kSm3);

  // Adds a leaf given by its leaf hash (see LeafHash).
  void Append(const Hash& leaf_hash);

  HashAlgorithm algorithm() const { return algorithm_; }
  // Number of leaves.
  std::uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }

  // The root hash of the whole tree (EmptyRoot when there are no leaves).
  Hash Root() const;
  // The root hash of the tree formed by the first `size` leaves.
  // OutOfRange if size > this->size().
  core::Result<Hash> RootAt(std::uint64_t size) const;

  // The RFC 9162 §2.1.3.1 inclusion proof (audit path, ordered from the leaf
  // upwards) of leaf `index` in the tree of the first `size` leaves.
  // OutOfRange if size > this->size(); InvalidArgument if index >= size.
  core::Result<std::vector<Hash>> InclusionProof(std::uint64_t index, std::uint64_t size) const;

  // The RFC 9162 §2.1.4.1 consistency proof between the trees of the first
  // `from` and the first `to` leaves; empty when from == to.
  // OutOfRange if to > this->size(); InvalidArgument if from > to or from == 0
  // (nothing can be proven about the empty tree).
  core::Result<std::vector<Hash>> ConsistencyProof(std::uint64_t from, std::uint64_t to) const;

 private:
  // MTH of the leaves [start, start + count); count > 0 and the range is a
  // node of some tree (start is a multiple of the largest power of two
  // below count), which holds for every range the RFC recursions visit.
  Hash SubtreeHash(std::uint64_t start, std::uint64_t count) const;
  void AppendPath(std::uint64_t index, std::uint64_t start, std::uint64_t count,
                  std::vector<Hash>& proof) const;
  void AppendSubproof(std::uint64_t from, std::uint64_t start, std::uint64_t count,
                      bool whole_subtree, std::vector<Hash>& proof) const;

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
