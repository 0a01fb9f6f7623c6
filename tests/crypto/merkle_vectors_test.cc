// The published RFC 6962 test vectors (the tree RFC 9162 §2.1 keeps), as used by Certificate
// Transparency and Trillian. Values taken from github.com/transparency-dev/merkle:
//   testonly/constants.go (LeafInputs, NodeHashes, RootHashes, EmptyRootHash) and
//   proof/verify_test.go (inclusionProofs, consistencyProofs; leaf numbers there are 1-based).
// The corruption probes follow the kinds listed in that verify_test.go.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "crypto/merkle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;

Hash H(const char* hex) {
  absl::StatusOr<Hash> hash = HashFromString(absl::HexStringToBytes(hex));
  EXPECT_THAT(hash, IsOk());
  return hash.value_or(Hash{});
}

std::vector<std::string> LeafInputs() {
  std::vector<std::string> leaves;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    leaves.push_back(absl::HexStringToBytes(hex));
  }
  return leaves;
}

// RootHashes(): index = tree size.
const std::vector<Hash>& Roots() {
  static const auto* roots = new std::vector<Hash>{
      H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
      H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
      H("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
      H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
      H("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
      H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
      H("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
      H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")};
  return *roots;
}

// NodeHashes(): [level][index] for every perfect subtree of the 8-leaf tree.
const std::vector<std::vector<Hash>>& Nodes() {
  static const auto* nodes = new std::vector<std::vector<Hash>>{
      {H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
       H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
       H("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
       H("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
       H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
       H("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
       H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
       H("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1")},
      {H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
       H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
       H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
       H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0")},
      {H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
       H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")},
      {H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")}};
  return *nodes;
}

struct InclusionVector {
  uint64_t index;  // 0-based (the source lists leaf numbers 1-based)
  uint64_t size;
  std::vector<Hash> proof;
};

std::vector<InclusionVector> InclusionVectors() {
  return {{0, 1, {}},
          {0, 8,
           {H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
          {5, 8,
           {H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
          {2, 3, {H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")}},
          {1, 5,
           {H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}}};
}

struct ConsistencyVector {
  uint64_t old_size;
  uint64_t new_size;
  std::vector<Hash> proof;
};

std::vector<ConsistencyVector> ConsistencyVectors() {
  return {{1, 1, {}},
          {1, 8,
           {H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
          {6, 8,
           {H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
          {2, 5,
           {H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}},
          {6, 7,
           {H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}}};
}

// Perfect-subtree hashes as reported by MerkleFrontier::Append.
class MapNodeSource : public NodeSource {
 public:
  void Add(const std::vector<MerkleNode>& nodes) {
    for (const MerkleNode& node : nodes) nodes_[{node.level, node.index}] = node.hash;
  }
  absl::StatusOr<Hash> PerfectNode(uint64_t level, uint64_t index) const override {
    auto it = nodes_.find({level, index});
    if (it == nodes_.end()) return absl::NotFoundError("no such node");
    return it->second;
  }

 private:
  std::map<std::pair<uint64_t, uint64_t>, Hash> nodes_;
};

MapNodeSource EightLeafSource() {
  MapNodeSource source;
  MerkleFrontier frontier;
  for (const std::string& leaf : LeafInputs()) source.Add(frontier.Append(LeafHash(leaf)));
  return source;
}

Hash FlipBit(Hash hash, int bit) {
  hash[0] ^= static_cast<uint8_t>(1 << bit);
  return hash;
}

TEST(MerkleVectorsTest, EmptyTreeRootIsSha256OfNothing) {
  EXPECT_EQ(EmptyTreeRoot(), Roots()[0]);
  EXPECT_EQ(MerkleFrontier().Root(), Roots()[0]);
}

TEST(MerkleVectorsTest, FrontierRootsMatchPublishedRootsForSizesOneToEight) {
  MerkleFrontier frontier;
  std::vector<std::string> leaves = LeafInputs();
  for (size_t i = 0; i < leaves.size(); ++i) {
    frontier.Append(LeafHash(leaves[i]));
    EXPECT_EQ(frontier.Root(), Roots()[i + 1]) << "size " << i + 1;
  }
}

TEST(MerkleVectorsTest, ReportedNodesAreExactlyThePublishedNodeHashes) {
  MerkleFrontier frontier;
  std::vector<MerkleNode> reported;
  for (const std::string& leaf : LeafInputs()) {
    for (const MerkleNode& node : frontier.Append(LeafHash(leaf))) reported.push_back(node);
  }
  std::vector<MerkleNode> expected;
  for (uint64_t level = 0; level < Nodes().size(); ++level) {
    for (uint64_t index = 0; index < Nodes()[level].size(); ++index) {
      expected.push_back({level, index, Nodes()[level][index]});
    }
  }
  EXPECT_THAT(reported, ::testing::UnorderedElementsAreArray(expected));
}

TEST(MerkleVectorsTest, RootAtMatchesPublishedRoots) {
  MapNodeSource source = EightLeafSource();
  for (uint64_t size = 0; size <= 8; ++size) {
    absl::StatusOr<Hash> root = RootAt(source, size);
    ASSERT_THAT(root, IsOk());
    EXPECT_EQ(*root, Roots()[size]) << "size " << size;
  }
}

TEST(MerkleVectorsTest, GeneratedInclusionProofsEqualPublishedAndVerify) {
  MapNodeSource source = EightLeafSource();
  const std::vector<std::string> leaves = LeafInputs();
  for (const InclusionVector& v : InclusionVectors()) {
    SCOPED_TRACE(::testing::Message() << v.index << " in " << v.size);
    absl::StatusOr<std::vector<Hash>> proof = InclusionProof(source, v.index, v.size);
    ASSERT_THAT(proof, IsOk());
    EXPECT_EQ(*proof, v.proof);
    EXPECT_THAT(VerifyInclusion(LeafHash(leaves[v.index]), v.index, v.size, v.proof,
                                Roots()[v.size]),
                IsOk());
  }
}

TEST(MerkleVectorsTest, GeneratedConsistencyProofsEqualPublishedAndVerify) {
  MapNodeSource source = EightLeafSource();
  for (const ConsistencyVector& v : ConsistencyVectors()) {
    SCOPED_TRACE(::testing::Message() << v.old_size << " -> " << v.new_size);
    absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(source, v.old_size, v.new_size);
    ASSERT_THAT(proof, IsOk());
    EXPECT_EQ(*proof, v.proof);
    EXPECT_THAT(VerifyConsistency(v.old_size, v.new_size, Roots()[v.old_size],
                                  Roots()[v.new_size], v.proof),
                IsOk());
  }
}

// One corrupted verifier input and the code it must fail with.
struct Probe {
  std::string what;
  uint64_t a, b;  // (index, size) or (old_size, new_size)
  Hash x, y;      // (leaf, root) or (old_root, new_root)
  std::vector<Hash> proof;
};

// Wrong sizes change the tree's height. (A size off by one can leave a proof's shape unchanged,
// e.g. leaf 0 of 7 or of 8 leaves, and then it does verify against the same root: what binds a
// root to its size is the signed checkpoint carrying both, not the proof.)
std::vector<Probe> Corruptions(uint64_t a, uint64_t b, const Hash& x, const Hash& y,
                               const std::vector<Hash>& proof) {
  const Hash zero{};
  std::vector<Probe> probes = {
      {"a - 1", a - 1, b, x, y, proof},  {"a + 1", a + 1, b, x, y, proof},
      {"a ^ 2", a ^ 2, b, x, y, proof},  {"b * 2", a, b * 2, x, y, proof},
      {"b / 2", a, b / 2, x, y, proof},  {"x flipped", a, b, FlipBit(x, 3), y, proof},
      {"y flipped", a, b, x, FlipBit(y, 3), proof}, {"swapped", a, b, y, x, proof},
      {"y is empty root", a, b, x, EmptyTreeRoot(), proof}, {"empty proof", a, b, x, y, {}}};
  std::vector<Hash> extra = proof;
  extra.push_back(zero);
  probes.push_back({"extra zero element", a, b, x, y, extra});
  extra.back() = y;
  probes.push_back({"extra root element", a, b, x, y, extra});
  std::vector<Hash> front = {x};
  front.insert(front.end(), proof.begin(), proof.end());
  probes.push_back({"preceding element", a, b, x, y, front});
  probes.push_back({"missing last", a, b, x, y, {proof.begin(), proof.end() - 1}});
  probes.push_back({"missing first", a, b, x, y, {proof.begin() + 1, proof.end()}});
  for (size_t i = 0; i < proof.size(); ++i) {
    std::vector<Hash> flipped = proof;
    flipped[i] = FlipBit(flipped[i], 4);
    probes.push_back({"element " + std::to_string(i) + " flipped", a, b, x, y, flipped});
  }
  if (proof.size() > 1) {
    std::vector<Hash> swapped = proof;
    std::swap(swapped[0], swapped[1]);
    probes.push_back({"first two swapped", a, b, x, y, swapped});
  }
  return probes;
}

TEST(MerkleVectorsTest, CorruptedInclusionProofsAreRejected) {
  const std::vector<std::string> leaves = LeafInputs();
  for (const InclusionVector& v : InclusionVectors()) {
    if (v.proof.empty()) continue;  // size 1: covered by the argument tests
    for (const Probe& p :
         Corruptions(v.index, v.size, LeafHash(leaves[v.index]), Roots()[v.size], v.proof)) {
      SCOPED_TRACE(::testing::Message() << v.index << "/" << v.size << ": " << p.what);
      absl::Status status = VerifyInclusion(p.x, p.a, p.b, p.proof, p.y);
      if (p.a >= p.b) {
        EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
      } else {
        EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss,
                                     std::string(kInclusionProofFailed)));
      }
    }
  }
}

TEST(MerkleVectorsTest, CorruptedConsistencyProofsAreRejected) {
  for (const ConsistencyVector& v : ConsistencyVectors()) {
    if (v.proof.empty()) continue;  // equal sizes: covered by the argument tests
    for (const Probe& p : Corruptions(v.old_size, v.new_size, Roots()[v.old_size],
                                      Roots()[v.new_size], v.proof)) {
      SCOPED_TRACE(::testing::Message() << v.old_size << "->" << v.new_size << ": " << p.what);
      absl::Status status = VerifyConsistency(p.a, p.b, p.x, p.y, p.proof);
      if (p.a > p.b) {
        EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
      } else {
        EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss,
                                     std::string(kConsistencyProofFailed)));
      }
    }
  }
}

}  // namespace
}  // namespace confidant::crypto
