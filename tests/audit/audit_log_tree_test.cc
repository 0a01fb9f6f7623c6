// AuditLog over a real RocksDB store: indices, signed checkpoints, inclusion and consistency
// proofs, encrypted bodies, group commit and reopening.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "crypto/random.h"
#include "crypto/signed_note.h"
#include "server/audit/event_bounds.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/audit/audit_fixture.h"

namespace confidant::audit {
namespace {

using ::testing::IsEmpty;

crypto::Hash RootOf(const v1::Checkpoint& checkpoint) {
  absl::StatusOr<crypto::Hash> root = crypto::HashFromString(checkpoint.root_hash());
  EXPECT_THAT(root, IsOk());
  return root.ok() ? *root : crypto::Hash{};
}

// Every entry of the log, read back and decrypted.
std::vector<v1::AuditEntry> AllEntries(const AuditLog& log) {
  std::vector<v1::AuditEntry> entries;
  EXPECT_THAT(log.ReadEntries(0, UINT64_MAX, [&](const v1::AuditEntry& e) {
    entries.push_back(e);
    return true;
  }),
              IsOk());
  return entries;
}

// Checks every entry's inclusion proof against `checkpoint`'s root.
void ExpectEveryEntryIncluded(const AuditLog& log, const v1::Checkpoint& checkpoint) {
  const crypto::Hash root = RootOf(checkpoint);
  for (const v1::AuditEntry& entry : AllEntries(log)) {
    if (entry.index() >= checkpoint.tree_size()) break;
    absl::StatusOr<std::vector<crypto::Hash>> proof =
        log.InclusionProof(entry.index(), checkpoint.tree_size());
    ASSERT_THAT(proof, IsOk()) << "index " << entry.index();
    EXPECT_THAT(crypto::VerifyInclusion(crypto::LeafHash(entry.leaf()), entry.index(),
                                        checkpoint.tree_size(), *proof, root),
                IsOk())
        << "index " << entry.index();
  }
}

TEST_F(AuditLogTest, AppendReturnsConsecutiveIndicesAndCheckpointCoversEach) {
  for (uint64_t i = 0; i < 12; ++i) {
    now_micros_ += 10;
    absl::StatusOr<AuditLog::Committed> committed = log_->Append(TestEvent(static_cast<int>(i)));
    ASSERT_THAT(committed, IsOk());
    EXPECT_EQ(committed->index, i);
    EXPECT_EQ(committed->checkpoint.tree_size(), i + 1);
    EXPECT_EQ(log_->LatestCheckpoint().tree_size(), i + 1);
  }
}

TEST_F(AuditLogTest, CheckpointNoteVerifiesAndItsBodyMatchesRecomputedRoot) {
  AppendMany(13);
  const v1::Checkpoint cp = log_->LatestCheckpoint();
  EXPECT_THAT(crypto::VerifyNoteSignature(cp.note(), log_->origin(), checkpoint_key_->public_key),
              IsOk());
  // Another key or another origin does not verify.
  EXPECT_FALSE(crypto::VerifyNoteSignature(cp.note(), log_->origin(),
                                           crypto::Ed25519KeyPair::Generate().public_key)
                   .ok());
  EXPECT_FALSE(
      crypto::VerifyNoteSignature(cp.note(), "other.example/log", checkpoint_key_->public_key).ok());

  absl::StatusOr<crypto::SplitNote> split = crypto::SplitSignedNote(cp.note());
  ASSERT_THAT(split, IsOk());
  absl::StatusOr<crypto::CheckpointBody> body = crypto::ParseCheckpointBody(split->body);
  ASSERT_THAT(body, IsOk());
  EXPECT_EQ(body->origin, log_->origin());
  EXPECT_EQ(body->tree_size, 13u);
  EXPECT_EQ(body->tree_size, cp.tree_size());
  EXPECT_EQ(body->root, RootOf(cp));
  EXPECT_EQ(body->time_unix_seconds, cp.time_unix_seconds());
  EXPECT_EQ(body->time_unix_seconds, now_micros_.load() / 1000000);

  // The root is the RFC 9162 root of the stored leaves, recomputed independently.
  crypto::MerkleFrontier frontier;
  for (const v1::AuditEntry& entry : AllEntries(*log_)) frontier.Append(crypto::LeafHash(entry.leaf()));
  EXPECT_EQ(frontier.size(), 13u);
  EXPECT_EQ(frontier.Root(), body->root);
}

TEST_F(AuditLogTest, InclusionProofOfEveryEntryVerifiesAgainstEveryCheckpoint) {
  std::vector<v1::Checkpoint> checkpoints;
  for (int i = 0; i < 21; ++i) {
    now_micros_ += 5;
    absl::StatusOr<AuditLog::Committed> committed = log_->Append(TestEvent(i));
    ASSERT_THAT(committed, IsOk());
    checkpoints.push_back(committed->checkpoint);
  }
  for (const v1::Checkpoint& cp : checkpoints) {
    SCOPED_TRACE(cp.tree_size());
    ExpectEveryEntryIncluded(*log_, cp);
  }
  // A proof for the wrong index does not verify; sizes past the log are refused.
  const v1::Checkpoint& last = checkpoints.back();
  std::vector<v1::AuditEntry> entries = AllEntries(*log_);
  absl::StatusOr<std::vector<crypto::Hash>> proof = log_->InclusionProof(3, last.tree_size());
  ASSERT_THAT(proof, IsOk());
  EXPECT_THAT(crypto::VerifyInclusion(crypto::LeafHash(entries[4].leaf()), 3, last.tree_size(),
                                      *proof, RootOf(last)),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(log_->InclusionProof(0, last.tree_size() + 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AuditLogTest, ConsistencyProofsBetweenCheckpointsVerify) {
  std::vector<v1::Checkpoint> checkpoints;
  for (int i = 0; i < 19; ++i) {
    now_micros_ += 5;
    absl::StatusOr<AuditLog::Committed> committed = log_->Append(TestEvent(i));
    ASSERT_THAT(committed, IsOk());
    checkpoints.push_back(committed->checkpoint);
  }
  for (size_t a = 0; a < checkpoints.size(); ++a) {
    for (size_t b = a; b < checkpoints.size(); ++b) {
      const v1::Checkpoint& old_cp = checkpoints[a];
      const v1::Checkpoint& new_cp = checkpoints[b];
      absl::StatusOr<std::vector<crypto::Hash>> proof =
          log_->ConsistencyProof(old_cp.tree_size(), new_cp.tree_size());
      ASSERT_THAT(proof, IsOk());
      EXPECT_THAT(crypto::VerifyConsistency(old_cp.tree_size(), new_cp.tree_size(), RootOf(old_cp),
                                            RootOf(new_cp), *proof),
                  IsOk())
          << old_cp.tree_size() << " -> " << new_cp.tree_size();
    }
  }
  EXPECT_THAT(log_->ConsistencyProof(1, 20), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AuditLogTest, EntriesReadBackDecryptToTheAppendedEvents) {
  std::vector<int64_t> times;
  for (int i = 0; i < 9; ++i) {
    now_micros_ += 777;
    times.push_back(now_micros_.load());
    ASSERT_THAT(log_->Append(TestEvent(i)), IsOk());
  }
  std::vector<v1::AuditEntry> entries = AllEntries(*log_);
  ASSERT_EQ(entries.size(), 9u);
  for (int i = 0; i < 9; ++i) {
    v1::AuditEvent expected = TestEvent(i);
    expected.set_time_unix_micros(times[i]);  // set by the log
    EXPECT_EQ(entries[i].index(), static_cast<uint64_t>(i));
    EXPECT_EQ(entries[i].time_unix_micros(), times[i]);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(entries[i].event(), expected))
        << entries[i].event().DebugString();
  }
  // A window in the middle.
  std::vector<uint64_t> seen;
  ASSERT_THAT(log_->ReadEntries(3, 6, [&](const v1::AuditEntry& e) {
    seen.push_back(e.index());
    return true;
  }),
              IsOk());
  EXPECT_EQ(seen, (std::vector<uint64_t>{3, 4, 5}));
}

TEST_F(AuditLogTest, CanaryInReasonPrincipalAndDetailNeverStoredInClear) {
  const std::string canary = "CANARY-audit-5e1d0b7a";
  for (int i = 0; i < 8; ++i) {
    v1::AuditEvent event = TestEvent(i, canary);
    event.set_principal("spiffe://confidant.example/" + canary);
    now_micros_ += 1;
    ASSERT_THAT(log_->Append(event), IsOk());
  }
  const std::vector<std::string> needles = {canary, absl::BytesToHexString(canary),
                                            absl::Base64Escape(canary).substr(0, 16)};
  for (store::Space space : store::kAllSpaces) {
    ASSERT_THAT(store_->Scan(space, "", [&](std::string_view key, std::string_view value) {
      for (const std::string& n : needles) {
        EXPECT_EQ(key.find(n), std::string_view::npos) << store::SpaceName(space);
        EXPECT_EQ(value.find(n), std::string_view::npos) << store::SpaceName(space);
      }
      return true;
    }),
                IsOk());
  }
  ASSERT_THAT(store_->Flush(), IsOk());
  std::vector<std::string> found;
  for (const auto& file : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (!file.is_regular_file()) continue;
    std::ifstream in(file.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const std::string& n : needles) {
      if (bytes.find(n) != std::string::npos) found.push_back(file.path().string() + ": " + n);
    }
  }
  EXPECT_THAT(found, IsEmpty());
  // ...while the auditor still reads it back.
  std::vector<v1::AuditEntry> entries = AllEntries(*log_);
  ASSERT_EQ(entries.size(), 8u);
  EXPECT_EQ(entries[0].event().reason(), canary + " reason 0");
}

TEST_F(AuditLogTest, ConcurrentAppendsAreDenseUniqueAndGroupCommitted) {
  constexpr int kThreads = 32;
  constexpr int kPerThread = 50;
  std::vector<std::vector<uint64_t>> indices(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<AuditLog::Committed> committed = log_->Append(TestEvent(t * 1000 + i));
        EXPECT_THAT(committed, IsOk());
        if (!committed.ok()) return;
        EXPECT_GT(committed->checkpoint.tree_size(), committed->index);
        indices[t].push_back(committed->index);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<uint64_t> all;
  for (const auto& per_thread : indices) {
    // One caller's appends are ordered.
    for (size_t i = 1; i < per_thread.size(); ++i) EXPECT_LT(per_thread[i - 1], per_thread[i]);
    all.insert(per_thread.begin(), per_thread.end());
  }
  constexpr uint64_t kTotal = kThreads * kPerThread;
  ASSERT_EQ(all.size(), kTotal);
  EXPECT_EQ(*all.begin(), 0u);
  EXPECT_EQ(*all.rbegin(), kTotal - 1);
  const v1::Checkpoint cp = log_->LatestCheckpoint();
  ASSERT_EQ(cp.tree_size(), kTotal);
  ExpectEveryEntryIncluded(*log_, cp);

  int checkpoints = 0;
  ASSERT_THAT(store_->Scan(store::Space::kAudit, "C", [&](std::string_view, std::string_view) {
    ++checkpoints;
    return true;
  }),
              IsOk());
  EXPECT_GE(checkpoints, 1);
  EXPECT_LT(checkpoints, static_cast<int>(kTotal)) << "no batching: one commit per entry";
  RecordProperty("checkpoints", checkpoints);
}

TEST_F(AuditLogTest, ReopenedLogHasSameCheckpointAndContinuesAppending) {
  AppendMany(11);
  const v1::Checkpoint before = log_->LatestCheckpoint();
  const std::string origin = log_->origin();
  ReopenStore();
  OpenLog();
  EXPECT_EQ(log_->origin(), origin);
  const v1::Checkpoint after = log_->LatestCheckpoint();
  EXPECT_EQ(after.tree_size(), 11u);
  EXPECT_EQ(after.root_hash(), before.root_hash());
  EXPECT_EQ(after.note(), before.note());

  now_micros_ += 1000;
  absl::StatusOr<AuditLog::Committed> next = log_->Append(TestEvent(99));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->index, 11u);
  absl::StatusOr<std::vector<crypto::Hash>> proof = log_->ConsistencyProof(11, 12);
  ASSERT_THAT(proof, IsOk());
  EXPECT_THAT(crypto::VerifyConsistency(11, 12, RootOf(before), RootOf(next->checkpoint), *proof),
              IsOk());
  ExpectEveryEntryIncluded(*log_, next->checkpoint);
}

// No entry grows with the records it concerns (event_bounds.h): 5,000 record ids become 100
// and a digest of all of them; a 1 MB detail is cut; the entry reads back and verifies.
TEST_F(AuditLogTest, AnEntryNamingThousandsOfRecordsIsBoundedAndStillVerifies) {
  v1::AuditEvent event = TestEvent(1);
  event.clear_record_ids();
  std::string all;
  for (int i = 0; i < 5000; ++i) {
    const std::string id = absl::StrCat(std::string(24, 'a'), 10000000 + i);
    event.add_record_ids(id);
    absl::StrAppend(&all, id, "\n");
  }
  now_micros_ += 10;
  absl::StatusOr<AuditLog::Committed> committed = log_->Append(event);
  ASSERT_THAT(committed, IsOk());
  v1::AuditEvent long_detail = TestEvent(2);
  long_detail.set_detail(std::string(1 << 20, 'd'));
  now_micros_ += 10;
  ASSERT_THAT(log_->Append(long_detail), IsOk());

  const std::vector<v1::AuditEntry> entries = AllEntries(*log_);
  ASSERT_EQ(entries.size(), 2u);
  const v1::AuditEvent& stored = entries[0].event();
  EXPECT_EQ(stored.record_ids_size(), static_cast<int>(kMaxRecordIdsPerEntry));
  EXPECT_EQ(stored.record_ids(0), event.record_ids(0));
  EXPECT_THAT(stored.detail(), ::testing::HasSubstr("5000 record ids, the first 100 listed"));
  EXPECT_THAT(stored.detail(),
              ::testing::HasSubstr(absl::BytesToHexString(crypto::Blake2b256(all))));
  EXPECT_LE(entries[0].ByteSizeLong(), 16u * 1024);
  EXPECT_LE(entries[1].event().detail().size(), kMaxDetailBytes);
  EXPECT_THAT(entries[1].event().detail(), ::testing::EndsWith("[cut]"));
  ExpectEveryEntryIncluded(*log_, log_->LatestCheckpoint());
}

}  // namespace
}  // namespace confidant::audit
