// A stored log edited behind the vault's back (RocksDB written directly while the log is closed)
// fails to open with DATA_LOSS naming the first bad entry.
#include <string>
#include <vector>

#include "crypto/signed_note.h"
#include "server/audit/audit_leaf.h"
#include "tests/audit/audit_fixture.h"

namespace confidant::audit {
namespace {

using ::testing::HasSubstr;

constexpr int kEntries = 20;

class AuditLogTamperTest : public AuditLogTest {
 protected:
  void SetUp() override {
    AuditLogTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    AppendMany(kEntries);
    ASSERT_EQ(log_->LatestCheckpoint().tree_size(), static_cast<uint64_t>(kEntries));
    ReopenStore();  // closes the log
  }

  // Reopens store and log after the edit; returns Open's status.
  absl::Status ReopenAfterEdit() {
    ReopenStore();
    absl::StatusOr<std::unique_ptr<AuditLog>> log = TryOpenLog();
    if (log.ok()) log_ = *std::move(log);
    return log.status();
  }

  std::string StoredLeaf(uint64_t index) {
    absl::StatusOr<std::optional<std::string>> leaf =
        store_->Get(store::Space::kAudit, LeafKey(index));
    EXPECT_THAT(leaf, IsOk());
    EXPECT_TRUE(leaf.ok() && leaf->has_value());
    return leaf.ok() && leaf->has_value() ? **leaf : std::string();
  }

  // What an attacker with write access to the disk (but no keys) can do: store every node of
  // the tree over `leaves` and point the head's frontier, size and root at it.
  crypto::MerkleFrontier RewriteTreeAndHead(const std::vector<std::string>& leaves) {
    crypto::MerkleFrontier frontier;
    store::Mutation m;
    for (const std::string& leaf : leaves) {
      for (const crypto::MerkleNode& node : frontier.Append(crypto::LeafHash(leaf))) {
        m.Put(store::Space::kAudit, NodeKey(node.level, node.index), crypto::HashToString(node.hash));
      }
    }
    storage::v1::AuditHead head = StoredHead();
    head.set_frontier(frontier.Serialize());
    head.mutable_checkpoint()->set_tree_size(frontier.size());
    head.mutable_checkpoint()->set_root_hash(crypto::HashToString(frontier.Root()));
    m.Put(store::Space::kMeta, "audit/head", head.SerializeAsString());
    EXPECT_THAT(store_->Commit(m), IsOk());
    return frontier;
  }
};

TEST_F(AuditLogTamperTest, UntouchedLogOpens) { EXPECT_THAT(ReopenAfterEdit(), IsOk()); }

TEST_F(AuditLogTamperTest, FlippedByteInLeaf7FailsToOpenNamingEntry7) {
  const std::string original = StoredLeaf(7);
  // Format byte, index, time, length prefix, ciphertext start and end.
  for (size_t offset : {size_t{0}, size_t{8}, size_t{16}, size_t{20}, size_t{21}, original.size() - 1}) {
    SCOPED_TRACE(offset);
    std::string bad = original;
    bad[offset] = static_cast<char>(bad[offset] ^ 0x01);
    Put(store::Space::kAudit, LeafKey(7), bad);
    EXPECT_THAT(ReopenAfterEdit(),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 7 ")));
  }
  Put(store::Space::kAudit, LeafKey(7), original);
  EXPECT_THAT(ReopenAfterEdit(), IsOk());
}

TEST_F(AuditLogTamperTest, DeletedLeaf7FailsToOpenNamingEntry7) {
  Delete(store::Space::kAudit, LeafKey(7));
  EXPECT_THAT(ReopenAfterEdit(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 7 ")));
}

TEST_F(AuditLogTamperTest, SwappedLeaves5And6FailToOpenNamingEntry5) {
  const std::string five = StoredLeaf(5);
  const std::string six = StoredLeaf(6);
  store::Mutation m;
  m.Put(store::Space::kAudit, LeafKey(5), six);
  m.Put(store::Space::kAudit, LeafKey(6), five);
  ASSERT_THAT(store_->Commit(m), IsOk());
  EXPECT_THAT(ReopenAfterEdit(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 5 ")));
}

TEST_F(AuditLogTamperTest, TruncatedTailFailsToOpenNamingFirstMissingEntry) {
  for (uint64_t i = kEntries - 3; i < kEntries; ++i) Delete(store::Space::kAudit, LeafKey(i));
  EXPECT_THAT(ReopenAfterEdit(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 17 ")));
}

TEST_F(AuditLogTamperTest, ForgedLeaf20WithForgedNodesFailsToOpenNamingEntry20) {
  std::vector<std::string> leaves = StoredLeaves();
  ASSERT_EQ(leaves.size(), static_cast<size_t>(kEntries));
  absl::StatusOr<Leaf> forged = SealEvent(crypto::SecretBytes::Random(32), kEntries,
                                          now_micros_.load() + 1, TestEvent(666));
  ASSERT_THAT(forged, IsOk());
  const std::string forged_bytes = EncodeLeaf(*forged);
  crypto::MerkleFrontier frontier;
  for (const std::string& leaf : leaves) frontier.Append(crypto::LeafHash(leaf));
  store::Mutation m;
  m.Put(store::Space::kAudit, LeafKey(kEntries), forged_bytes);
  for (const crypto::MerkleNode& node : frontier.Append(crypto::LeafHash(forged_bytes))) {
    m.Put(store::Space::kAudit, NodeKey(node.level, node.index), crypto::HashToString(node.hash));
  }
  ASSERT_THAT(store_->Commit(m), IsOk());
  EXPECT_THAT(ReopenAfterEdit(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 20 ")));
}

TEST_F(AuditLogTamperTest, ModifiedStoredNodeFailsToOpenNamingEntryThatCompletesIt) {
  // (level, index) -> the entry whose append completes that node.
  const struct {
    uint64_t level, index, entry;
  } cases[] = {{0, 7, 7}, {1, 3, 7}, {2, 1, 7}, {3, 0, 7}, {4, 0, 15}, {2, 4, 19}};
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "node " << c.level << "/" << c.index);
    const std::string key = NodeKey(c.level, c.index);
    absl::StatusOr<std::optional<std::string>> node = store_->Get(store::Space::kAudit, key);
    ASSERT_THAT(node, IsOk());
    ASSERT_TRUE(node->has_value());
    std::string bad = **node;
    bad[0] = static_cast<char>(bad[0] ^ 0x80);
    Put(store::Space::kAudit, key, bad);
    EXPECT_THAT(ReopenAfterEdit(),
                StatusIs(absl::StatusCode::kDataLoss,
                         HasSubstr("entry " + std::to_string(c.entry) + " ")));
    Put(store::Space::kAudit, key, **node);
  }
  EXPECT_THAT(ReopenAfterEdit(), IsOk());
}

TEST_F(AuditLogTamperTest, HeadCheckpointSignedByAnotherKeyFailsToOpen) {
  storage::v1::AuditHead head = StoredHead();
  absl::StatusOr<crypto::SplitNote> split = crypto::SplitSignedNote(head.checkpoint().note());
  ASSERT_THAT(split, IsOk());
  // Same body (origin, size, root, time): only the signer differs.
  const std::string origin = split->body.substr(0, split->body.find('\n'));
  head.mutable_checkpoint()->set_note(
      crypto::SignNote(split->body, origin, crypto::Ed25519KeyPair::Generate()));
  Put(store::Space::kMeta, "audit/head", head.SerializeAsString());
  EXPECT_THAT(ReopenAfterEdit(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("checkpoint")));
}

TEST_F(AuditLogTamperTest, DeletedHeadFailsToOpenNamingEntry0) {
  Delete(store::Space::kMeta, "audit/head");
  EXPECT_THAT(ReopenAfterEdit(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 0 ")));
}

// The head's size and root fields are only bookkeeping next to the signed note: truncating the
// log and rewriting those fields (keeping the genuine note, signed for 20 entries) must not
// make the shorter log open.
TEST_F(AuditLogTamperTest, TruncationWithHeadSizeAndRootRewrittenFailsToOpen) {
  std::vector<std::string> leaves = StoredLeaves();
  leaves.resize(kEntries - 3);
  for (uint64_t i = kEntries - 3; i < kEntries; ++i) Delete(store::Space::kAudit, LeafKey(i));
  RewriteTreeAndHead(leaves);
  EXPECT_THAT(ReopenAfterEdit(), StatusIs(absl::StatusCode::kDataLoss));
}

// Likewise an entry corrupted beyond decryption, with the tree recomputed over it.
TEST_F(AuditLogTamperTest, CorruptedLeafWithTreeRecomputedFailsToOpen) {
  std::vector<std::string> leaves = StoredLeaves();
  leaves[7].back() = static_cast<char>(leaves[7].back() ^ 0x01);
  Put(store::Space::kAudit, LeafKey(7), leaves[7]);
  RewriteTreeAndHead(leaves);
  EXPECT_THAT(ReopenAfterEdit(), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace confidant::audit
