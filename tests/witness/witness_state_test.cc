// The witness core: it cosigns only checkpoints of the pinned log that extend what it last
// cosigned, and persists that before answering.
#include "witness/witness_state.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "crypto/init.h"
#include "crypto/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/witness/test_log.h"
#include "tests/witness/witness_fixture.h"

namespace confidant::witness {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::confidant::testing::TestLog;
using ::testing::HasSubstr;

TEST_F(WitnessTest, FirstCheckpointIsAcceptedFromSizeZero) {
  log_.GrowTo(10);
  absl::StatusOr<std::string> cosigned = Push(log_, 0);
  ASSERT_THAT(cosigned, IsOk());
  EXPECT_THAT(crypto::VerifyCosignature(*cosigned, kWitnessName, witness_key_.public_key), IsOk());
  EXPECT_THAT(crypto::VerifyNoteSignature(*cosigned, kOrigin, log_key_.public_key), IsOk());
  EXPECT_EQ(witness_->Snapshot().tree_size, 10u);
  EXPECT_EQ(witness_->Snapshot().root, log_.root());
}

TEST_F(WitnessTest, GrowthWithValidProofIsCosigned) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  log_.GrowTo(27);
  absl::StatusOr<std::string> cosigned = Push(log_, 10);
  ASSERT_THAT(cosigned, IsOk());
  absl::StatusOr<uint64_t> time =
      crypto::VerifyCosignature(*cosigned, kWitnessName, witness_key_.public_key);
  ASSERT_THAT(time, IsOk());
  EXPECT_EQ(*time, kNow);
  EXPECT_EQ(cosigned->substr(0, log_.Note().size()), log_.Note());
  EXPECT_EQ(witness_->Snapshot().tree_size, 27u);
}

TEST_F(WitnessTest, StatePersistsAcrossRestart) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  log_.GrowTo(12);
  ASSERT_THAT(Push(log_, 10), IsOk());

  witness_ = OpenWitness();  // a restarted witness process
  ASSERT_NE(witness_, nullptr);
  EXPECT_EQ(witness_->Snapshot().tree_size, 12u);
  EXPECT_EQ(witness_->Snapshot().root, log_.root());
  EXPECT_THAT(Push(log_, 0), IsOk());  // same size and root: no proof needed
  log_.GrowTo(20);
  EXPECT_THAT(Push(log_, 0), StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("witness is at size 12")));
  EXPECT_THAT(Push(log_, 12), IsOk());
}

TEST_F(WitnessTest, StateFileIsPrivateAndHoldsNoSecret) {
  log_.GrowTo(5);
  ASSERT_THAT(Push(log_, 0), IsOk());
  struct stat info {};
  ASSERT_EQ(::stat(state_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  absl::StatusOr<std::string> content = ReadFile(state_path());
  ASSERT_THAT(content, IsOk());
  const std::string seed(reinterpret_cast<const char*>(witness_key_.secret_key.RevealSecret()), 32);
  EXPECT_EQ(content->find(seed), std::string::npos);
  EXPECT_EQ(content->rfind(kStateFileHeader, 0), 0u);
}

TEST_F(WitnessTest, RollbackIsRefused) {
  TestLog small(kOrigin, log_key_);
  small.GrowTo(4);
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  EXPECT_THAT(Push(small, 4), StatusIs(absl::StatusCode::kFailedPrecondition, kRollbackRefused));
  EXPECT_EQ(witness_->Snapshot().tree_size, 10u);
}

TEST_F(WitnessTest, ForkAtSameSizeIsRefused) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  TestLog fork(kOrigin, log_key_, "forked");
  fork.GrowTo(10);
  EXPECT_THAT(Push(fork, 10), StatusIs(absl::StatusCode::kDataLoss, kForkRefused));
  EXPECT_EQ(witness_->Snapshot().root, log_.root());
}

TEST_F(WitnessTest, SameCheckpointIsRecosignedIdempotently) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  absl::StatusOr<std::string> again = Push(log_, 10);
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(crypto::VerifyCosignature(*again, kWitnessName, witness_key_.public_key), IsOk());
  EXPECT_EQ(witness_->Snapshot().tree_size, 10u);
}

TEST_F(WitnessTest, RestartedLogIsRefused) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  // The operator wipes the vault and starts again under the same origin and key.
  TestLog restarted(kOrigin, log_key_, "restarted");
  restarted.GrowTo(3);
  EXPECT_THAT(Push(restarted, 0), StatusIs(absl::StatusCode::kFailedPrecondition, kRollbackRefused));
  restarted.GrowTo(12);
  EXPECT_THAT(Push(restarted, 10), StatusIs(absl::StatusCode::kDataLoss, kProofRefused));
  // Not even the honest log's proof makes the restarted tree acceptable.
  EXPECT_THAT(witness_->AddCheckpoint(10, restarted.Note(), log_.ProofFrom(10), kNow),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(witness_->Snapshot().tree_size, 10u);
}

TEST_F(WitnessTest, ConcurrentForksGetAtMostOneCosignature) {
  std::vector<std::unique_ptr<TestLog>> forks;
  for (int i = 0; i < 8; ++i) {
    forks.push_back(std::make_unique<TestLog>(kOrigin, log_key_, absl::StrCat("fork", i)));
    forks.back()->GrowTo(10);
  }
  std::atomic<int> cosigned{0};
  std::vector<std::thread> threads;
  for (const auto& fork : forks) {
    threads.emplace_back([&, log = fork.get()] {
      if (Push(*log, 0).ok()) ++cosigned;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(cosigned.load(), 1);
  EXPECT_EQ(witness_->Snapshot().tree_size, 10u);
}

TEST_F(WitnessTest, TamperedProofIsRefused) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  log_.GrowTo(13);
  std::vector<crypto::Hash> proof = log_.ProofFrom(10);
  ASSERT_FALSE(proof.empty());
  proof[0][0] ^= 1;
  EXPECT_THAT(witness_->AddCheckpoint(10, log_.Note(), proof, kNow),
              StatusIs(absl::StatusCode::kDataLoss, kProofRefused));
  proof.pop_back();
  EXPECT_THAT(witness_->AddCheckpoint(10, log_.Note(), proof, kNow),
              StatusIs(absl::StatusCode::kDataLoss, kProofRefused));
}

TEST_F(WitnessTest, WrongLogKeyIsRefused) {
  const crypto::Ed25519KeyPair other_key = crypto::Ed25519KeyPair::Generate();
  TestLog impostor(kOrigin, other_key);
  impostor.GrowTo(5);
  EXPECT_THAT(Push(impostor, 0), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(witness_->Snapshot().tree_size, 0u);
}

TEST_F(WitnessTest, WrongOriginIsRefused) {
  TestLog other("confidant.example/log/other", log_key_);
  other.GrowTo(5);
  EXPECT_THAT(Push(other, 0), StatusIs(absl::StatusCode::kUnauthenticated, kWrongOrigin));
}

TEST_F(WitnessTest, MismatchedOldSizeNamesTheWitnessSize) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  log_.GrowTo(15);
  EXPECT_THAT(Push(log_, 7), StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("witness is at size 10")));
  EXPECT_THAT(Push(log_, 10), IsOk());
}

TEST_F(WitnessTest, StateIsWrittenBeforeTheAnswer) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  log_.GrowTo(11);
  // Make the state unwritable: a read-only folder (refused for non-root) and a folder where the
  // temporary file must go (refused even for root).
  const std::string blocker = state_path() + ".tmp";
  ASSERT_EQ(::mkdir(blocker.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir_.c_str(), 0500), 0);
  EXPECT_THAT(Push(log_, 10), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(witness_->Snapshot().tree_size, 10u);
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  ASSERT_EQ(::rmdir(blocker.c_str()), 0);
  EXPECT_EQ(OpenWitness()->Snapshot().tree_size, 10u);
  EXPECT_THAT(Push(log_, 10), IsOk());
  EXPECT_EQ(OpenWitness()->Snapshot().tree_size, 11u);
}

TEST_F(WitnessTest, GarbageNoteIsRefused) {
  log_.GrowTo(3);
  for (const std::string& note :
       {std::string(), std::string("hello\n"), log_.Body(), log_.Body() + "\n",
        log_.Body() + "\n\xE2\x80\x94 " + kOrigin + " AAAA\n", std::string(kMaxNoteBytes + 1, 'x'),
        "x\n" + log_.Note()}) {
    absl::StatusOr<std::string> result = witness_->AddCheckpoint(0, note, {}, kNow);
    EXPECT_TRUE(absl::IsInvalidArgument(result.status()) ||
                absl::IsUnauthenticated(result.status()))
        << result.status();
  }
  EXPECT_EQ(witness_->Snapshot().tree_size, 0u);
}

TEST_F(WitnessTest, StateFileOfAnotherLogIsRefusedAtStart) {
  log_.GrowTo(4);
  ASSERT_THAT(Push(log_, 0), IsOk());
  WitnessConfig config{"confidant.example/log/other", log_key_.public_key, kWitnessName,
                       state_path(), {}};
  EXPECT_THAT(Witness::Create(std::move(config), crypto::Ed25519KeyPair::Generate()),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(WitnessTest, TamperedStateFileIsRefusedAtStart) {
  ASSERT_THAT(WriteFileAtomically(state_path(), std::string(kStateFileHeaderV1) + log_.Note(), 0600),
              IsOk());  // signed by the log but never cosigned by this witness
  WitnessConfig config{kOrigin, log_key_.public_key, kWitnessName, state_path(), {}};
  EXPECT_THAT(Witness::Create(std::move(config), crypto::Ed25519KeyPair::Generate()),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(WitnessTest, InvalidConfigurationIsRefused) {
  const auto create = [&](std::string origin, std::string log_key, std::string name) {
    return Witness::Create(WitnessConfig{origin, log_key, name, state_path(), {}},
                           crypto::Ed25519KeyPair::Generate());
  };
  EXPECT_THAT(create("", log_key_.public_key, kWitnessName),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(create(kOrigin, "short", kWitnessName), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(create(kOrigin, log_key_.public_key, "has space"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(create(kOrigin, log_key_.public_key, "a+b"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace confidant::witness
