#include "record/merkle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/encoding.h"

namespace lvyuan::record {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kDataDir = fs::path(LVYUAN_SOURCE_ROOT) / "tests/data/merkle";
const fs::path kProbeDir = kDataDir / "transparency-dev/testdata";

json::value LoadJson(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code error;
  json::value value = json::parse(text.str(), error);
  EXPECT_FALSE(error) << path << ": " << error.message();
  return value;
}

std::vector<std::uint8_t> Unhex(std::string_view text) {
  auto bytes = core::HexDecode(text);
  EXPECT_TRUE(bytes.ok()) << text;
  return bytes.ok() ? *bytes : std::vector<std::uint8_t>{};
}

Hash HashFromHex(std::string_view text) {
  std::vector<std::uint8_t> bytes = Unhex(text);
  Hash hash{};
  EXPECT_EQ(bytes.size(), hash.size()) << text;
  std::copy_n(bytes.begin(), std::min(bytes.size(), hash.size()), hash.begin());
  return hash;
}

std::vector<std::uint8_t> Base64Bytes(const json::value& value) {
  std::string_view text = value.is_string() ? std::string_view(value.as_string()) : "";
  auto bytes = core::Base64Decode(text);
  EXPECT_TRUE(bytes.ok()) << text;
  return bytes.ok() ? *bytes : std::vector<std::uint8_t>{};
}

// A base64 value that must be a hash, or nullopt if it is not 32 bytes.
std::optional<Hash> ExactHash(const json::value& value) {
  std::vector<std::uint8_t> raw = Base64Bytes(value);
  Hash hash{};
  if (raw.size() != hash.size()) return std::nullopt;
  std::copy(raw.begin(), raw.end(), hash.begin());
  return hash;
}

// Some corrupted probes carry roots or proof entries that are not 32 bytes
// ("WrongRoot", "don't care 1"), which the reference verifier merely
// compares or hashes. They stand in as SHA-256 of their bytes: equal values
// stay equal, different values stay different, and none equals a real tree
// hash.
Hash HashFromBase64(const json::value& value) {
  std::optional<Hash> hash = ExactHash(value);
  return hash ? *hash : crypto::Sha256(Base64Bytes(value));
}

std::vector<Hash> ProofFrom(const json::value& value) {
  std::vector<Hash> proof;
  if (value.is_array()) {
    for (const json::value& item : value.as_array()) proof.push_back(HashFromBase64(item));
  }
  return proof;
}

std::vector<fs::path> ProbeFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::uint64_t Uint(const json::value& value) { return json::value_to<std::uint64_t>(value); }

TEST(MerkleVectorsTest, InclusionProbesVerifyOrAreRejectedAsPublished) {
  std::vector<fs::path> files = ProbeFiles(kProbeDir / "inclusion");
  ASSERT_GE(files.size(), 90U);
  int valid = 0;
  int rejected = 0;
  for (const fs::path& file : files) {
    const json::object probe = LoadJson(file).as_object();
    const bool want_error = probe.at("wantErr").as_bool();
    // A leaf hash of the wrong length cannot even be passed to the verifier.
    std::optional<Hash> leaf_hash = ExactHash(probe.at("leafHash"));
    if (!leaf_hash) {
      EXPECT_TRUE(want_error) << file.lexically_relative(kProbeDir);
      ++rejected;
      continue;
    }
    std::vector<Hash> proof = ProofFrom(probe.at("proof"));
    core::Status status = VerifyInclusion(HashAlgorithm::kSha256, Uint(probe.at("leafIdx")),
                                          Uint(probe.at("treeSize")), *leaf_hash, proof,
                                          HashFromBase64(probe.at("root")));
    EXPECT_EQ(status.ok(), !want_error) << file.lexically_relative(kProbeDir);
    (want_error ? rejected : valid)++;
  }
  EXPECT_GT(valid, 0);
  EXPECT_GT(rejected, 0);
}

TEST(MerkleVectorsTest, ConsistencyProbesVerifyOrAreRejectedAsPublished) {
  std::vector<fs::path> files = ProbeFiles(kProbeDir / "consistency");
  ASSERT_GE(files.size(), 90U);
  int valid = 0;
  int rejected = 0;
  for (const fs::path& file : files) {
    const json::object probe = LoadJson(file).as_object();
    std::vector<Hash> proof = ProofFrom(probe.at("proof"));
    core::Status status = VerifyConsistency(
        HashAlgorithm::kSha256, Uint(probe.at("size1")), Uint(probe.at("size2")), proof,
        HashFromBase64(probe.at("root1")), HashFromBase64(probe.at("root2")));
    const bool want_error = probe.at("wantErr").as_bool();
    EXPECT_EQ(status.ok(), !want_error) << file.lexically_relative(kProbeDir);
    (want_error ? rejected : valid)++;
  }
  EXPECT_GT(valid, 0);
  EXPECT_GT(rejected, 0);
}

class ReferenceTreeTest : public ::testing::Test {
 protected:
  void SetUp() override { reference_ = LoadJson(kDataDir / "reference_tree_rfc6962.json"); }
  json::value reference_;
};

TEST_F(ReferenceTreeTest, RootsForSizesZeroToEightMatchPublishedSha256Roots) {
  MerkleTree tree(HashAlgorithm::kSha256);
  const json::array& inputs = reference_.at("leaf_inputs_hex").as_array();
  const json::object& roots = reference_.at("root_hashes_by_tree_size").as_object();
  ASSERT_EQ(inputs.size(), 8U);
  ASSERT_EQ(roots.size(), 9U);
  EXPECT_EQ(tree.Root(), HashFromHex(roots.at("0").as_string()));
  for (const json::value& input : inputs) {
    tree.Append(LeafHash(HashAlgorithm::kSha256, Unhex(input.as_string())));
    const std::string key = std::to_string(tree.size());
    EXPECT_EQ(tree.Root(), HashFromHex(roots.at(key).as_string())) << "size " << key;
  }
  for (std::uint64_t size = 0; size <= 8; ++size) {
    auto root = tree.RootAt(size);
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(*root, HashFromHex(roots.at(std::to_string(size)).as_string())) << size;
  }
}

TEST_F(ReferenceTreeTest, LeafHashesMatchPublishedLevelZeroNodes) {
  const json::array& inputs = reference_.at("leaf_inputs_hex").as_array();
  const json::array& level0 = reference_.at("node_hashes_by_level").as_array()[0].as_array();
  ASSERT_EQ(inputs.size(), level0.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ(LeafHash(HashAlgorithm::kSha256, Unhex(inputs[i].as_string())),
              HashFromHex(level0[i].as_string()))
        << i;
  }
}

TEST_F(ReferenceTreeTest, HasherMatchesFourPublishedKnownAnswers) {
  const json::array& kats = reference_.at("hasher_kats").as_array();
  ASSERT_EQ(kats.size(), 4U);
  const auto kSha = HashAlgorithm::kSha256;
  EXPECT_EQ(EmptyRoot(kSha), HashFromHex(kats[0].at("want").as_string()));
  EXPECT_EQ(LeafHash(kSha, Unhex(kats[1].at("leaf_data_hex").as_string())),
            HashFromHex(kats[1].at("want").as_string()));
  EXPECT_EQ(LeafHash(kSha, core::AsBytes(kats[2].at("leaf_data_ascii").as_string())),
            HashFromHex(kats[2].at("want").as_string()));
  // The node KAT hashes the raw ASCII strings as if they were child hashes.
  std::string node_input = "\x01";
  node_input += kats[3].at("left_ascii").as_string();
  node_input += kats[3].at("right_ascii").as_string();
  EXPECT_EQ(crypto::Sha256(node_input), HashFromHex(kats[3].at("want").as_string()));
}

TEST(MerkleHashTest, NodeHashIsDomainSeparatedHashOfBothChildren) {
  const Hash left = crypto::Sha256("left");
  const Hash right = crypto::Sha256("right");
  std::vector<std::uint8_t> input = {0x01};
  input.insert(input.end(), left.begin(), left.end());
  input.insert(input.end(), right.begin(), right.end());
  EXPECT_EQ(NodeHash(HashAlgorithm::kSha256, left, right), crypto::Sha256(input));
  EXPECT_NE(NodeHash(HashAlgorithm::kSha256, left, right),
            NodeHash(HashAlgorithm::kSha256, right, left));
}

TEST(MerkleHashTest, Sm3LeafHashIsSm3OfZeroPrefixedData) {
  const std::string data = "环境监测记录 2026-12-01";
  std::string prefixed(1, '\0');
  prefixed += data;
  MerkleTree tree;  // SM3 by default
  EXPECT_EQ(tree.algorithm(), HashAlgorithm::kSm3);
  tree.Append(LeafHash(HashAlgorithm::kSm3, core::AsBytes(data)));
  EXPECT_EQ(tree.Root(), crypto::Sm3(prefixed));
  EXPECT_NE(tree.Root(), LeafHash(HashAlgorithm::kSha256, core::AsBytes(data)));
  EXPECT_EQ(EmptyRoot(HashAlgorithm::kSm3), crypto::Sm3(""));
}

constexpr std::uint64_t kMaxSize = 40;

MerkleTree TreeOf(std::uint64_t n, HashAlgorithm algorithm) {
  MerkleTree tree(algorithm);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::string data = "entry-" + std::to_string(i);
    tree.Append(LeafHash(algorithm, core::AsBytes(data)));
  }
  return tree;
}

// MTH of RFC 9162 §2.1.1 computed directly from the leaf hashes.
Hash NaiveRoot(HashAlgorithm algorithm, std::span<const Hash> leaves) {
  if (leaves.empty()) return EmptyRoot(algorithm);
  if (leaves.size() == 1) return leaves[0];
  std::size_t k = std::bit_floor(leaves.size() - 1);
  return NodeHash(algorithm, NaiveRoot(algorithm, leaves.first(k)),
                  NaiveRoot(algorithm, leaves.subspan(k)));
}

Hash Corrupt(Hash hash) {
  hash[7] ^= 0x01;
  return hash;
}

TEST(MerkleTreeTest, RootAtEverySizeEqualsDirectlyComputedTreeHash) {
  for (HashAlgorithm algorithm : {HashAlgorithm::kSha256, HashAlgorithm::kSm3}) {
    MerkleTree tree(algorithm);
    std::vector<Hash> leaves;
    for (std::uint64_t i = 0; i < kMaxSize; ++i) {
      leaves.push_back(LeafHash(algorithm, core::AsBytes("entry-" + std::to_string(i))));
      tree.Append(leaves.back());
      EXPECT_EQ(tree.Root(), NaiveRoot(algorithm, leaves)) << leaves.size();
    }
    for (std::uint64_t size = 0; size <= kMaxSize; ++size) {
      EXPECT_EQ(*tree.RootAt(size), NaiveRoot(algorithm, std::span(leaves).first(size))) << size;
    }
  }
}

TEST(MerkleTreeTest, EveryInclusionProofUpToSize40VerifiesAndAnyTamperingIsRejected) {
  const auto kAlg = HashAlgorithm::kSha256;
  MerkleTree tree = TreeOf(kMaxSize, kAlg);
  for (std::uint64_t size = 1; size <= kMaxSize; ++size) {
    const Hash root = *tree.RootAt(size);
    for (std::uint64_t index = 0; index < size; ++index) {
      auto proof = tree.InclusionProof(index, size);
      ASSERT_TRUE(proof.ok());
      const Hash leaf_hash = LeafHash(kAlg, core::AsBytes("entry-" + std::to_string(index)));
      EXPECT_TRUE(VerifyInclusion(kAlg, index, size, leaf_hash, *proof, root).ok())
          << index << "/" << size;
      for (std::size_t i = 0; i < proof->size(); ++i) {
        std::vector<Hash> bad = *proof;
        bad[i] = Corrupt(bad[i]);
        EXPECT_FALSE(VerifyInclusion(kAlg, index, size, leaf_hash, bad, root).ok());
      }
      if (size > 1) {
        EXPECT_FALSE(VerifyInclusion(kAlg, (index + 1) % size, size, leaf_hash, *proof, root).ok());
      }
      EXPECT_FALSE(VerifyInclusion(kAlg, index, size, leaf_hash, *proof, Corrupt(root)).ok());
      EXPECT_FALSE(VerifyInclusion(kAlg, index, size, Corrupt(leaf_hash), *proof, root).ok());
      std::vector<Hash> longer = *proof;
      longer.push_back(root);
      EXPECT_FALSE(VerifyInclusion(kAlg, index, size, leaf_hash, longer, root).ok());
    }
  }
}

TEST(MerkleTreeTest, EveryConsistencyProofUpToSize40VerifiesAndAnyTamperingIsRejected) {
  const auto kAlg = HashAlgorithm::kSha256;
  MerkleTree tree = TreeOf(kMaxSize, kAlg);
  for (std::uint64_t to = 1; to <= kMaxSize; ++to) {
    const Hash root2 = *tree.RootAt(to);
    for (std::uint64_t from = 1; from <= to; ++from) {
      const Hash root1 = *tree.RootAt(from);
      auto proof = tree.ConsistencyProof(from, to);
      ASSERT_TRUE(proof.ok());
      EXPECT_EQ(proof->empty(), from == to);
      EXPECT_TRUE(VerifyConsistency(kAlg, from, to, *proof, root1, root2).ok())
          << from << "->" << to;
      for (std::size_t i = 0; i < proof->size(); ++i) {
        std::vector<Hash> bad = *proof;
        bad[i] = Corrupt(bad[i]);
        EXPECT_FALSE(VerifyConsistency(kAlg, from, to, bad, root1, root2).ok());
      }
      EXPECT_FALSE(VerifyConsistency(kAlg, from, to, *proof, Corrupt(root1), root2).ok());
      EXPECT_FALSE(VerifyConsistency(kAlg, from, to, *proof, root1, Corrupt(root2)).ok());
      if (from < to) {
        std::vector<Hash> shorter(proof->begin(), proof->end() - 1);
        EXPECT_FALSE(VerifyConsistency(kAlg, from, to, shorter, root1, root2).ok());
        EXPECT_FALSE(VerifyConsistency(kAlg, to, from, *proof, root2, root1).ok());
      }
      std::vector<Hash> longer = *proof;
      longer.push_back(root2);
      EXPECT_FALSE(VerifyConsistency(kAlg, from, to, longer, root1, root2).ok());
    }
  }
}

TEST(MerkleTreeTest, OutOfRangeRequestsAreErrors) {
  MerkleTree tree = TreeOf(5, HashAlgorithm::kSha256);
  EXPECT_EQ(tree.RootAt(6).error().code, core::ErrorCode::kOutOfRange);
  EXPECT_EQ(tree.InclusionProof(0, 6).error().code, core::ErrorCode::kOutOfRange);
  EXPECT_EQ(tree.InclusionProof(5, 5).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(tree.ConsistencyProof(1, 6).error().code, core::ErrorCode::kOutOfRange);
  EXPECT_EQ(tree.ConsistencyProof(4, 3).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(tree.ConsistencyProof(0, 3).error().code, core::ErrorCode::kInvalidArgument);
  const Hash root = tree.Root();
  core::Status status = VerifyInclusion(HashAlgorithm::kSha256, 5, 5, root, {}, root);
  EXPECT_EQ(status.error().code, core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace lvyuan::record
