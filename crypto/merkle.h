// Merkle tree hashing, compact frontier, proof generation and proof verification for the
// tamper-evident audit log, exactly as in RFC 9162 §2.1 (Certificate Transparency v2; the same
// tree as RFC 6962). Pure computation: no I/O, no storage. Callers persist the nodes the frontier
// reports and hand them back through a NodeSource to generate proofs.
#ifndef CONFIDANT_CRYPTO_MERKLE_H_
#define CONFIDANT_CRYPTO_MERKLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace confidant::crypto {

inline constexpr size_t kMerkleHashSize = 32;  // SHA-256
using Hash = std::array<uint8_t, kMerkleHashSize>;

// Fixed failure messages of the verifiers (DATA_LOSS): no detail on which step failed.
inline constexpr std::string_view kInclusionProofFailed = "inclusion proof does not verify";
inline constexpr std::string_view kConsistencyProofFailed = "consistency proof does not verify";

// The raw 32 bytes of `hash`.
std::string HashToString(const Hash& hash);
// Parses raw bytes. INVALID_ARGUMENT unless `bytes` is exactly kMerkleHashSize long.
absl::StatusOr<Hash> HashFromString(std::string_view bytes);

// RFC 9162 §2.1.1: the hash of the empty tree, SHA-256 of the empty string.
Hash EmptyTreeRoot();
// RFC 9162 §2.1.1: SHA-256(0x00 || leaf).
Hash LeafHash(std::string_view leaf);
// RFC 9162 §2.1.1: SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);
// All three abort only if OpenSSL cannot compute SHA-256 at all (no default provider or out of
// memory): a broken installation no caller could recover from.

// One perfect subtree: the hash of leaves [index * 2^level, (index + 1) * 2^level).
// Level 0 nodes are leaf hashes.
struct MerkleNode {
  uint64_t level = 0;
  uint64_t index = 0;
  Hash hash{};
  bool operator==(const MerkleNode&) const = default;
};

// The right edge of a Merkle tree of size n (a "compact range" over [0, n)): one perfect-subtree
// hash per set bit of n, largest (leftmost) first. Enough to append and to compute the root,
// both in O(log n). A value type: copyable; not thread-safe for concurrent mutation.
class MerkleFrontier {
 public:
  // The empty tree.
  MerkleFrontier() = default;

  // Number of leaves.
  uint64_t size() const { return size_; }

  // Appends one leaf hash (LeafHash of the entry). Returns every perfect-subtree node this append
  // completed, bottom-up: the leaf itself (level 0, index = old size) and then each parent it
  // finished. Persisting all returned nodes gives a NodeSource able to serve any proof.
  // Precondition: size() < 2^64 - 1 (unreachable in practice).
  std::vector<MerkleNode> Append(const Hash& leaf_hash);

  // RFC 9162 §2.1.1 MTH of the current tree; EmptyTreeRoot() for size 0.
  Hash Root() const;

  // Versioned encoding: 0x01, size as 8 bytes big-endian, then popcount(size) hashes.
  std::string Serialize() const;
  // Parses Serialize's output. DATA_LOSS on any other input (unknown version, wrong length,
  // hash count not matching the size).
  static absl::StatusOr<MerkleFrontier> Deserialize(std::string_view bytes);

 private:
  uint64_t size_ = 0;
  std::vector<Hash> hashes_;  // popcount(size_) entries, highest level first
};

// Read access to stored perfect-subtree hashes. Implementations return the hash of the perfect
// subtree covering leaves [index * 2^level, (index + 1) * 2^level) (level 0 = leaf hashes), or an
// error (typically NOT_FOUND or a storage error), which proof generation passes through unchanged.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual absl::StatusOr<Hash> PerfectNode(uint64_t level, uint64_t index) const = 0;
};

// RFC 9162 §2.1.1 MTH of the first `tree_size` leaves, from at most 64 PerfectNode lookups.
// EmptyTreeRoot() for size 0.
absl::StatusOr<Hash> RootAt(const NodeSource& nodes, uint64_t tree_size);

// RFC 9162 §2.1.3.1 inclusion proof (audit path) of leaf `leaf_index` in the tree of size
// `tree_size`, using O(log n) PerfectNode lookups. INVALID_ARGUMENT if leaf_index >= tree_size.
absl::StatusOr<std::vector<Hash>> InclusionProof(const NodeSource& nodes, uint64_t leaf_index,
                                                 uint64_t tree_size);

// RFC 9162 §2.1.4.1 consistency proof between the trees of sizes `old_size` and `new_size`, using
// O(log n) PerfectNode lookups. Empty when old_size is 0 or equals new_size. INVALID_ARGUMENT if
// old_size > new_size.
absl::StatusOr<std::vector<Hash>> ConsistencyProof(const NodeSource& nodes, uint64_t old_size,
                                                   uint64_t new_size);

// RFC 9162 §2.1.3.2. OK iff `proof` (every element used, none missing) proves `leaf_hash` is leaf
// `index` of the tree of size `size` with root `root`. INVALID_ARGUMENT if index >= size;
// otherwise any failure is DATA_LOSS kInclusionProofFailed.
absl::Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                             const std::vector<Hash>& proof, const Hash& root);

// RFC 9162 §2.1.4.2. OK iff `proof` (every element used, none missing) shows the tree of size
// `old_size` with root `old_root` is a prefix of the tree of size `new_size` with root
// `new_root`. INVALID_ARGUMENT if old_size > new_size. Equal sizes need an empty proof and equal
// roots; old_size 0 needs an empty proof and old_root == EmptyTreeRoot() (the only root a size-0
// tree can have). Any failure is DATA_LOSS kConsistencyProofFailed.
absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                               const Hash& new_root, const std::vector<Hash>& proof);

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_MERKLE_H_
