// MerkleFrontier: what Append reports, and the Serialize/Deserialize encoding.
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
using ::testing::ElementsAre;

Hash Leaf(uint64_t i) { return LeafHash("entry " + std::to_string(i)); }

MerkleFrontier FrontierOfSize(uint64_t size) {
  MerkleFrontier frontier;
  for (uint64_t i = 0; i < size; ++i) frontier.Append(Leaf(i));
  return frontier;
}

TEST(MerkleFrontierTest, NewFrontierIsTheEmptyTree) {
  MerkleFrontier frontier;
  EXPECT_EQ(frontier.size(), 0u);
  EXPECT_EQ(frontier.Root(), EmptyTreeRoot());
}

TEST(MerkleFrontierTest, AppendReportsTheLeafThenEveryParentItCompletes) {
  MerkleFrontier frontier;
  const Hash n01 = NodeHash(Leaf(0), Leaf(1));
  const Hash n23 = NodeHash(Leaf(2), Leaf(3));
  EXPECT_THAT(frontier.Append(Leaf(0)), ElementsAre(MerkleNode{0, 0, Leaf(0)}));
  EXPECT_THAT(frontier.Append(Leaf(1)),
              ElementsAre(MerkleNode{0, 1, Leaf(1)}, MerkleNode{1, 0, n01}));
  EXPECT_THAT(frontier.Append(Leaf(2)), ElementsAre(MerkleNode{0, 2, Leaf(2)}));
  EXPECT_THAT(frontier.Append(Leaf(3)),
              ElementsAre(MerkleNode{0, 3, Leaf(3)}, MerkleNode{1, 1, n23},
                          MerkleNode{2, 0, NodeHash(n01, n23)}));
  EXPECT_EQ(frontier.size(), 4u);
  EXPECT_EQ(frontier.Root(), NodeHash(n01, n23));
}

TEST(MerkleFrontierTest, RootOfThreeLeavesSplitsAtTwo) {
  // RFC 9162 §2.1.1: MTH(D[3]) = HASH(0x01 || MTH(D[0:2]) || MTH(D[2:3])).
  EXPECT_EQ(FrontierOfSize(3).Root(), NodeHash(NodeHash(Leaf(0), Leaf(1)), Leaf(2)));
}

TEST(MerkleFrontierTest, SerializeRoundTripsAndAppendingContinuesIdentically) {
  for (uint64_t size = 0; size <= 70; ++size) {
    SCOPED_TRACE(size);
    MerkleFrontier original = FrontierOfSize(size);
    const std::string bytes = original.Serialize();
    EXPECT_EQ(bytes.size(), 9 + 32 * static_cast<size_t>(std::popcount(size)));
    absl::StatusOr<MerkleFrontier> restored = MerkleFrontier::Deserialize(bytes);
    ASSERT_THAT(restored, IsOk());
    EXPECT_EQ(restored->size(), size);
    EXPECT_EQ(restored->Root(), original.Root());
    EXPECT_EQ(restored->Serialize(), bytes);
    EXPECT_EQ(restored->Append(Leaf(size)), original.Append(Leaf(size)));
    EXPECT_EQ(restored->Root(), original.Root());
  }
}

TEST(MerkleFrontierTest, TruncatedOrExtendedBytesAreDataLoss) {
  const std::string bytes = FrontierOfSize(7).Serialize();  // three hashes
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_THAT(MerkleFrontier::Deserialize(bytes.substr(0, length)),
                StatusIs(absl::StatusCode::kDataLoss))
        << length;
  }
  EXPECT_THAT(MerkleFrontier::Deserialize(bytes + '\0'), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(MerkleFrontierTest, UnknownVersionIsDataLoss) {
  std::string bytes = FrontierOfSize(5).Serialize();
  for (char version : {'\x00', '\x02', '\xff'}) {
    bytes[0] = version;
    EXPECT_THAT(MerkleFrontier::Deserialize(bytes), StatusIs(absl::StatusCode::kDataLoss));
  }
}

TEST(MerkleFrontierTest, SizeNotMatchingHashCountIsDataLoss) {
  std::string bytes = FrontierOfSize(5).Serialize();  // size 5: two hashes
  bytes[8] = 7;                                       // size 7 needs three
  EXPECT_THAT(MerkleFrontier::Deserialize(bytes), StatusIs(absl::StatusCode::kDataLoss));
  bytes[8] = 4;  // size 4 needs one
  EXPECT_THAT(MerkleFrontier::Deserialize(bytes), StatusIs(absl::StatusCode::kDataLoss));
  bytes[1] = '\x80';  // size 2^63 + 4 needs two again, so this one parses
  absl::StatusOr<MerkleFrontier> huge = MerkleFrontier::Deserialize(bytes);
  ASSERT_THAT(huge, IsOk());
  EXPECT_EQ(huge->size(), (uint64_t{1} << 63) + 4);
}

TEST(MerkleFrontierTest, HashStringHelpersRoundTripAndCheckLength) {
  const Hash hash = Leaf(42);
  const std::string bytes = HashToString(hash);
  EXPECT_EQ(bytes.size(), kMerkleHashSize);
  absl::StatusOr<Hash> parsed = HashFromString(bytes);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(*parsed, hash);
  EXPECT_THAT(HashFromString(bytes.substr(1)), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(HashFromString(bytes + 'x'), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MerkleFrontierTest, LeafAndNodeHashesAreDomainSeparated) {
  // A 64-byte leaf equal to two concatenated hashes must not hash like the node over them.
  const Hash left = Leaf(1), right = Leaf(2);
  EXPECT_NE(LeafHash(HashToString(left) + HashToString(right)), NodeHash(left, right));
}

}  // namespace
}  // namespace confidant::crypto
