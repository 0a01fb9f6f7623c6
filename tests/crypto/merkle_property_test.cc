// Properties for every tree size 1..512 against a naive RFC 9162 §2.1.1 MTH, with proofs generated
// from the nodes MerkleFrontier::Append reported (which checks those reports too).
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "crypto/merkle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;

constexpr uint64_t kMaxSize = 512;

// RFC 9162 §2.1.1 MTH by direct recursion: split at the largest power of two below n.
Hash ReferenceRoot(std::span<const Hash> leaves) {
  if (leaves.empty()) return EmptyTreeRoot();
  if (leaves.size() == 1) return leaves[0];
  size_t k = 1;
  while (k * 2 < leaves.size()) k *= 2;
  return NodeHash(ReferenceRoot(leaves.first(k)), ReferenceRoot(leaves.subspan(k)));
}

class MapNodeSource : public NodeSource {
 public:
  void Add(const std::vector<MerkleNode>& nodes) {
    for (const MerkleNode& node : nodes) {
      EXPECT_TRUE(nodes_.emplace(std::make_pair(node.level, node.index), node.hash).second)
          << "node reported twice: " << node.level << "/" << node.index;
    }
  }
  absl::StatusOr<Hash> PerfectNode(uint64_t level, uint64_t index) const override {
    auto it = nodes_.find({level, index});
    if (it == nodes_.end()) return absl::NotFoundError("no such node");
    return it->second;
  }

 private:
  std::map<std::pair<uint64_t, uint64_t>, Hash> nodes_;
};

// One tree of kMaxSize leaves, its stored nodes, and the reference root of every prefix.
class MerklePropertyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto* tree = new Tree;
    MerkleFrontier frontier;
    tree->roots.push_back(EmptyTreeRoot());
    for (uint64_t i = 0; i < kMaxSize; ++i) {
      tree->leaves.push_back(LeafHash("audit entry " + std::to_string(i)));
      tree->nodes.Add(frontier.Append(tree->leaves.back()));
      tree->roots.push_back(ReferenceRoot(tree->leaves));
      tree->frontier_roots.push_back(frontier.Root());
    }
    tree_ = tree;
  }
  static void TearDownTestSuite() {
    delete tree_;
    tree_ = nullptr;
  }

  struct Tree {
    std::vector<Hash> leaves;
    MapNodeSource nodes;
    std::vector<Hash> roots;           // reference MTH, index = size
    std::vector<Hash> frontier_roots;  // frontier Root() after size - 1 appends, index = size - 1
  };
  static const Tree* tree_;
};
const MerklePropertyTest::Tree* MerklePropertyTest::tree_ = nullptr;

// A few indices (or old sizes) in [lo, hi], always including both ends.
std::vector<uint64_t> Samples(uint64_t lo, uint64_t hi, uint64_t seed) {
  std::vector<uint64_t> out = {lo, hi, lo + (hi - lo) / 2};
  uint64_t x = seed * 0x9e3779b97f4a7c15u + 1;
  for (int i = 0; i < 4; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out.push_back(lo + x % (hi - lo + 1));
  }
  return out;
}

TEST_F(MerklePropertyTest, FrontierAndRootAtMatchReferenceForEverySize) {
  for (uint64_t size = 1; size <= kMaxSize; ++size) {
    EXPECT_EQ(tree_->frontier_roots[size - 1], tree_->roots[size]) << size;
    absl::StatusOr<Hash> root = RootAt(tree_->nodes, size);
    ASSERT_THAT(root, IsOk()) << size;
    EXPECT_EQ(*root, tree_->roots[size]) << size;
  }
}

TEST_F(MerklePropertyTest, InclusionProofsVerifyAndMutatedOnesDoNot) {
  for (uint64_t size = 1; size <= kMaxSize; ++size) {
    std::vector<uint64_t> indices = Samples(0, size - 1, size);
    if (size <= 64) {  // every leaf of the small trees
      indices.clear();
      for (uint64_t i = 0; i < size; ++i) indices.push_back(i);
    }
    for (uint64_t index : indices) {
      SCOPED_TRACE(::testing::Message() << index << " in " << size);
      absl::StatusOr<std::vector<Hash>> proof = InclusionProof(tree_->nodes, index, size);
      ASSERT_THAT(proof, IsOk());
      const Hash& leaf = tree_->leaves[index];
      const Hash& root = tree_->roots[size];
      ASSERT_THAT(VerifyInclusion(leaf, index, size, *proof, root), IsOk());
      if (proof->empty()) continue;
      std::vector<Hash> mutated = *proof;
      mutated[index % mutated.size()][31] ^= 1;
      EXPECT_THAT(VerifyInclusion(leaf, index, size, mutated, root),
                  StatusIs(absl::StatusCode::kDataLoss));
      mutated = *proof;
      mutated.pop_back();
      EXPECT_THAT(VerifyInclusion(leaf, index, size, mutated, root),
                  StatusIs(absl::StatusCode::kDataLoss));
      const uint64_t other = (index + 1) % size;
      EXPECT_THAT(VerifyInclusion(tree_->leaves[other], index, size, *proof, root),
                  StatusIs(absl::StatusCode::kDataLoss));
      EXPECT_THAT(VerifyInclusion(leaf, other, size, *proof, root),
                  StatusIs(absl::StatusCode::kDataLoss));
    }
  }
}

void CheckConsistency(const NodeSource& nodes, const std::vector<Hash>& roots, uint64_t m,
                      uint64_t n) {
  SCOPED_TRACE(::testing::Message() << m << " -> " << n);
  absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(nodes, m, n);
  ASSERT_THAT(proof, IsOk());
  ASSERT_THAT(VerifyConsistency(m, n, roots[m], roots[n], *proof), IsOk());
  if (proof->empty()) return;
  std::vector<Hash> mutated = *proof;
  mutated[m % mutated.size()][0] ^= 0x80;
  EXPECT_THAT(VerifyConsistency(m, n, roots[m], roots[n], mutated),
              StatusIs(absl::StatusCode::kDataLoss));
  mutated = *proof;
  mutated.push_back(roots[n]);
  EXPECT_THAT(VerifyConsistency(m, n, roots[m], roots[n], mutated),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(VerifyConsistency(m, n, roots[m - 1], roots[n], *proof),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(MerklePropertyTest, ConsistencyProofsVerifyForAllOldSizesUpTo64) {
  for (uint64_t n = 1; n <= 64; ++n) {
    for (uint64_t m = 0; m <= n; ++m) CheckConsistency(tree_->nodes, tree_->roots, m, n);
  }
}

TEST_F(MerklePropertyTest, ConsistencyProofsVerifyForSampledOldSizesUpTo512) {
  for (uint64_t n = 65; n <= kMaxSize; ++n) {
    for (uint64_t m : Samples(1, n - 1, n)) CheckConsistency(tree_->nodes, tree_->roots, m, n);
    CheckConsistency(tree_->nodes, tree_->roots, n, n);
  }
}

}  // namespace
}  // namespace confidant::crypto
