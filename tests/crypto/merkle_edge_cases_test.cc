// Argument checking, degenerate sizes, NodeSource errors and lookup counts of the proof code.
#include <bit>
#include <cstdint>
#include <string>
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
using ::testing::IsEmpty;

constexpr auto kInvalidArgument = absl::StatusCode::kInvalidArgument;
constexpr auto kDataLoss = absl::StatusCode::kDataLoss;

class MissingNodes : public NodeSource {
 public:
  absl::StatusOr<Hash> PerfectNode(uint64_t, uint64_t) const override {
    return absl::NotFoundError("node not stored");
  }
};

// Answers any lookup with a made-up hash and counts lookups (hashes are not a consistent tree).
class CountingNodes : public NodeSource {
 public:
  absl::StatusOr<Hash> PerfectNode(uint64_t level, uint64_t index) const override {
    ++lookups;
    return LeafHash(std::to_string(level) + "/" + std::to_string(index));
  }
  mutable int lookups = 0;
};

Hash Some(int i) { return LeafHash(std::to_string(i)); }

TEST(MerkleEdgeCasesTest, GeneratorsRejectOutOfRangeArguments) {
  MissingNodes nodes;
  EXPECT_THAT(InclusionProof(nodes, 0, 0), StatusIs(kInvalidArgument));
  EXPECT_THAT(InclusionProof(nodes, 1, 1), StatusIs(kInvalidArgument));
  EXPECT_THAT(InclusionProof(nodes, 8, 7), StatusIs(kInvalidArgument));
  EXPECT_THAT(ConsistencyProof(nodes, 5, 4), StatusIs(kInvalidArgument));
  EXPECT_THAT(ConsistencyProof(nodes, 1, 0), StatusIs(kInvalidArgument));
}

TEST(MerkleEdgeCasesTest, TrivialProofsNeedNoLookups) {
  MissingNodes nodes;
  EXPECT_THAT(InclusionProof(nodes, 0, 1), IsOk());
  EXPECT_THAT(ConsistencyProof(nodes, 0, 9).value_or(std::vector<Hash>{Hash{}}), IsEmpty());
  EXPECT_THAT(ConsistencyProof(nodes, 9, 9).value_or(std::vector<Hash>{Hash{}}), IsEmpty());
  EXPECT_THAT(RootAt(nodes, 0), IsOk());
  EXPECT_EQ(RootAt(nodes, 0).value_or(Hash{}), EmptyTreeRoot());
}

TEST(MerkleEdgeCasesTest, NodeSourceErrorsPassThrough) {
  MissingNodes nodes;
  EXPECT_THAT(RootAt(nodes, 3), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(InclusionProof(nodes, 2, 3), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ConsistencyProof(nodes, 2, 3), StatusIs(absl::StatusCode::kNotFound));
}

TEST(MerkleEdgeCasesTest, ProofsOfHugeTreesUseLogarithmicallyManyLookups) {
  for (uint64_t size : {(uint64_t{1} << 40) - 1, (uint64_t{1} << 40) + 1, ~uint64_t{0}}) {
    const int bound = 2 * std::bit_width(size);
    for (uint64_t index : {uint64_t{0}, size / 3, size - 2, size - 1}) {
      CountingNodes nodes;
      absl::StatusOr<std::vector<Hash>> proof = InclusionProof(nodes, index, size);
      ASSERT_THAT(proof, IsOk());
      EXPECT_LE(nodes.lookups, bound) << index << " in " << size;
      EXPECT_LE(proof->size(), 64u);
      CountingNodes more;
      ASSERT_THAT(ConsistencyProof(more, index + 1, size), IsOk());
      EXPECT_LE(more.lookups, bound) << index + 1 << " -> " << size;
    }
    CountingNodes root;
    ASSERT_THAT(RootAt(root, size), IsOk());
    EXPECT_EQ(root.lookups, std::popcount(size));
  }
}

TEST(MerkleEdgeCasesTest, VerifyInclusionRejectsIndexNotBelowSize) {
  EXPECT_THAT(VerifyInclusion(Some(1), 0, 0, {}, Some(1)), StatusIs(kInvalidArgument));
  EXPECT_THAT(VerifyInclusion(Some(1), 1, 1, {}, Some(1)), StatusIs(kInvalidArgument));
  EXPECT_THAT(VerifyInclusion(Some(1), 2, 1, {}, Some(1)), StatusIs(kInvalidArgument));
}

TEST(MerkleEdgeCasesTest, SingleLeafTreeIsItsOwnRootWithEmptyProof) {
  EXPECT_THAT(VerifyInclusion(Some(1), 0, 1, {}, Some(1)), IsOk());
  EXPECT_THAT(VerifyInclusion(Some(1), 0, 1, {}, Some(2)),
              StatusIs(kDataLoss, std::string(kInclusionProofFailed)));
  EXPECT_THAT(VerifyInclusion(Some(1), 0, 1, {Some(2)}, Some(1)),
              StatusIs(kDataLoss, std::string(kInclusionProofFailed)));
}

TEST(MerkleEdgeCasesTest, InclusionProofLongerThanAnyPathIsRejected) {
  // A leaf of a 2-leaf tree: one sibling; a 65-element proof must not wrap around.
  const Hash root = NodeHash(Some(1), Some(2));
  EXPECT_THAT(VerifyInclusion(Some(1), 0, 2, {Some(2)}, root), IsOk());
  EXPECT_THAT(VerifyInclusion(Some(1), 0, 2, std::vector<Hash>(65, Some(2)), root),
              StatusIs(kDataLoss));
}

TEST(MerkleEdgeCasesTest, VerifyConsistencyRejectsShrinkingTrees) {
  EXPECT_THAT(VerifyConsistency(2, 1, Some(1), Some(2), {}), StatusIs(kInvalidArgument));
  EXPECT_THAT(VerifyConsistency(1, 0, Some(1), EmptyTreeRoot(), {}), StatusIs(kInvalidArgument));
}

TEST(MerkleEdgeCasesTest, EqualSizesNeedEqualRootsAndEmptyProof) {
  EXPECT_THAT(VerifyConsistency(5, 5, Some(1), Some(1), {}), IsOk());
  EXPECT_THAT(VerifyConsistency(5, 5, Some(1), Some(2), {}),
              StatusIs(kDataLoss, std::string(kConsistencyProofFailed)));
  EXPECT_THAT(VerifyConsistency(5, 5, Some(1), Some(1), {Some(1)}), StatusIs(kDataLoss));
}

TEST(MerkleEdgeCasesTest, EmptyTreeIsConsistentWithAnyTreeByEmptyProof) {
  const Hash empty = EmptyTreeRoot();
  EXPECT_THAT(VerifyConsistency(0, 0, empty, empty, {}), IsOk());
  EXPECT_THAT(VerifyConsistency(0, 7, empty, Some(7), {}), IsOk());
  EXPECT_THAT(VerifyConsistency(0, 7, empty, Some(7), {empty}), StatusIs(kDataLoss));
  // A size-0 tree has exactly one possible root.
  EXPECT_THAT(VerifyConsistency(0, 7, Some(1), Some(7), {}), StatusIs(kDataLoss));
  EXPECT_THAT(VerifyConsistency(0, 0, Some(1), Some(1), {}), StatusIs(kDataLoss));
  EXPECT_THAT(VerifyConsistency(0, 0, empty, Some(1), {}), StatusIs(kDataLoss));
}

TEST(MerkleEdgeCasesTest, GrowingTreeNeedsNonEmptyProof) {
  // Even when the roots would fit: a one-leaf tree is a prefix of a two-leaf tree only by proof.
  EXPECT_THAT(VerifyConsistency(1, 2, Some(1), NodeHash(Some(1), Some(2)), {}),
              StatusIs(kDataLoss, std::string(kConsistencyProofFailed)));
  EXPECT_THAT(VerifyConsistency(1, 2, Some(1), NodeHash(Some(1), Some(2)), {Some(2)}), IsOk());
}

}  // namespace
}  // namespace confidant::crypto
