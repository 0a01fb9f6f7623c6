// RFC 9162 §2.1.3 and §2.1.4: inclusion and consistency proofs, generated from stored
// perfect-subtree hashes and verified strictly.
#include <algorithm>
#include <bit>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/status_macros.h"
#include "crypto/merkle.h"

namespace confidant::crypto {
namespace {

// Largest power of two strictly below n (n >= 2): the split point k of RFC 9162 §2.1.1.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

absl::StatusOr<Hash> PerfectSubtree(const NodeSource& nodes, uint64_t begin, uint64_t width) {
  const int level = std::countr_zero(width);
  return nodes.PerfectNode(static_cast<uint64_t>(level), begin >> level);
}

// MTH(D[begin:end]) for a range the RFC's recursion reaches: begin is a multiple of a power of
// two at least end - begin. The range is then the perfect subtrees given by the set bits of its
// width, largest first, and its hash folds them from the right: at most 64 lookups.
absl::StatusOr<Hash> RangeHash(const NodeSource& nodes, uint64_t begin, uint64_t end) {
  std::vector<Hash> parts;
  for (uint64_t width = end - begin; width != 0;) {
    const uint64_t piece = std::bit_floor(width);
    ASSIGN_OR_RETURN(Hash hash, PerfectSubtree(nodes, begin, piece));
    parts.push_back(hash);
    begin += piece;
    width -= piece;
  }
  Hash hash = parts.back();
  for (size_t i = parts.size() - 1; i-- > 0;) hash = NodeHash(parts[i], hash);
  return hash;
}

// The sibling hash at one step of the descent: the left half [begin, begin + k) is always
// perfect; the right half [begin + k, end) may not be, but once the descent enters a left half
// everything below it is perfect, so at most one such range is ever hashed: O(log n) lookups.
absl::StatusOr<Hash> Sibling(const NodeSource& nodes, uint64_t begin, uint64_t k, uint64_t end,
                             bool target_is_left) {
  if (target_is_left) return RangeHash(nodes, begin + k, end);
  return PerfectSubtree(nodes, begin, k);
}

absl::Status InclusionFailed() { return absl::DataLossError(std::string(kInclusionProofFailed)); }
absl::Status ConsistencyFailed() {
  return absl::DataLossError(std::string(kConsistencyProofFailed));
}

}  // namespace

absl::StatusOr<Hash> RootAt(const NodeSource& nodes, uint64_t tree_size) {
  if (tree_size == 0) return EmptyTreeRoot();
  return RangeHash(nodes, 0, tree_size);
}

// RFC 9162 §2.1.3.1 PATH(m, D[n]), unrolled: walk down from the root collecting the sibling at
// each split, then reverse, since the path lists the deepest sibling first.
absl::StatusOr<std::vector<Hash>> InclusionProof(const NodeSource& nodes, uint64_t leaf_index,
                                                 uint64_t tree_size) {
  if (leaf_index >= tree_size) {
    return absl::InvalidArgumentError("leaf index must be below the tree size");
  }
  std::vector<Hash> proof;
  uint64_t begin = 0, end = tree_size;
  while (end - begin > 1) {
    const uint64_t k = SplitPoint(end - begin);
    const bool left = leaf_index < begin + k;
    ASSIGN_OR_RETURN(Hash sibling, Sibling(nodes, begin, k, end, left));
    proof.push_back(sibling);
    if (left) {
      end = begin + k;
    } else {
      begin += k;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b), unrolled the same way. `whole` is b: it stays true
// while the old tree is the left part of every range visited, in which case its root is known
// to the verifier and is not sent.
absl::StatusOr<std::vector<Hash>> ConsistencyProof(const NodeSource& nodes, uint64_t old_size,
                                                   uint64_t new_size) {
  if (old_size > new_size) {
    return absl::InvalidArgumentError("old tree size must not exceed the new tree size");
  }
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  uint64_t begin = 0, end = new_size;
  bool whole = true;
  while (old_size != end) {
    const uint64_t k = SplitPoint(end - begin);
    const bool left = old_size <= begin + k;
    ASSIGN_OR_RETURN(Hash sibling, Sibling(nodes, begin, k, end, left));
    proof.push_back(sibling);
    if (left) {
      end = begin + k;
    } else {
      begin += k;
      whole = false;
    }
  }
  if (!whole) {
    ASSIGN_OR_RETURN(Hash old_subtree, RangeHash(nodes, begin, end));
    proof.push_back(old_subtree);
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

// RFC 9162 §2.1.3.2, step by step.
absl::Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                             const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size) return absl::InvalidArgumentError("leaf index must be below the tree size");
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return InclusionFailed();  // more elements than the path has levels
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0 || r != root) return InclusionFailed();
  return absl::OkStatus();
}

namespace {

// RFC 9162 §2.1.4.2 steps 2 to 7 for 0 < old_size < new_size and a non-empty proof.
bool ConsistencyPathVerifies(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                             const Hash& new_root, const std::vector<Hash>& proof) {
  // Step 2: a power-of-two old tree is itself a node of the new tree; its root is the seed.
  const bool seed_is_old_root = std::has_single_bit(old_size);
  size_t next = seed_is_old_root ? 0 : 1;
  const Hash& seed = seed_is_old_root ? old_root : proof[0];
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) != 0) {  // step 4
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = seed, sr = seed;             // step 5
  for (; next < proof.size(); ++next) {  // step 6
    const Hash& c = proof[next];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;  // step 7
}

}  // namespace

absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                               const Hash& new_root, const std::vector<Hash>& proof) {
  if (old_size > new_size) {
    return absl::InvalidArgumentError("old tree size must not exceed the new tree size");
  }
  bool ok;
  if (old_size == 0) {
    // The empty tree is a prefix of every tree; nothing to prove, but its root is fixed.
    ok = proof.empty() && old_root == EmptyTreeRoot() && (new_size != 0 || new_root == old_root);
  } else if (old_size == new_size) {
    ok = proof.empty() && old_root == new_root;
  } else {
    // Step 1: a non-trivial consistency proof is never empty.
    ok = !proof.empty() && ConsistencyPathVerifies(old_size, new_size, old_root, new_root, proof);
  }
  return ok ? absl::OkStatus() : ConsistencyFailed();
}

}  // namespace confidant::crypto
