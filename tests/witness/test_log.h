// A tiny in-memory transparency log for witness tests: real RFC 9162 roots and consistency
// proofs (crypto::MerkleFrontier plus an in-memory NodeSource) and checkpoints signed as the
// vault signs them. Header-only.
#ifndef CONFIDANT_TESTS_WITNESS_TEST_LOG_H_
#define CONFIDANT_TESTS_WITNESS_TEST_LOG_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "crypto/asymmetric.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"

namespace confidant::testing {

class InMemoryNodes final : public crypto::NodeSource {
 public:
  void Put(const crypto::MerkleNode& node) { nodes_[{node.level, node.index}] = node.hash; }
  absl::StatusOr<crypto::Hash> PerfectNode(uint64_t level, uint64_t index) const override {
    const auto it = nodes_.find({level, index});
    if (it == nodes_.end()) return absl::NotFoundError("no such node");
    return it->second;
  }

 private:
  std::map<std::pair<uint64_t, uint64_t>, crypto::Hash> nodes_;
};

// A log named `origin` whose checkpoints `key` signs. Leaves are "<flavour>-<index>", so two
// logs with different flavours are different trees (a fork, or a restarted log). Borrows `key`.
class TestLog {
 public:
  TestLog(std::string origin, const crypto::Ed25519KeyPair& key, std::string flavour = "entry")
      : origin_(std::move(origin)), key_(key), flavour_(std::move(flavour)) {}

  // Appends leaves until the tree has `size` leaves.
  void GrowTo(uint64_t size) {
    while (frontier_.size() < size) {
      const crypto::Hash leaf =
          crypto::LeafHash(absl::StrCat(flavour_, "-", frontier_.size()));
      for (const crypto::MerkleNode& node : frontier_.Append(leaf)) nodes_.Put(node);
    }
  }

  uint64_t size() const { return frontier_.size(); }
  crypto::Hash root() const { return frontier_.Root(); }

  // The current checkpoint as a signed note (name = origin, as the vault signs it).
  std::string Note(int64_t time_unix_seconds = 1700000000) const {
    return crypto::SignNote(Body(time_unix_seconds), origin_, key_);
  }
  std::string Body(int64_t time_unix_seconds = 1700000000) const {
    crypto::CheckpointBody body;
    body.origin = origin_;
    body.tree_size = frontier_.size();
    body.root = frontier_.Root();
    body.time_unix_seconds = time_unix_seconds;
    return crypto::FormatCheckpointBody(body);
  }

  // Consistency proof from `old_size` to the current size.
  std::vector<crypto::Hash> ProofFrom(uint64_t old_size) const {
    absl::StatusOr<std::vector<crypto::Hash>> proof =
        crypto::ConsistencyProof(nodes_, old_size, frontier_.size());
    return proof.ok() ? *std::move(proof) : std::vector<crypto::Hash>{};
  }

 private:
  std::string origin_;
  const crypto::Ed25519KeyPair& key_;
  std::string flavour_;
  crypto::MerkleFrontier frontier_;
  InMemoryNodes nodes_;
};

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_WITNESS_TEST_LOG_H_
