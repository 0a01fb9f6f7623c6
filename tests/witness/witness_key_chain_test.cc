// The witness follows the log's checkpoint key chain from the key it pinned: a checkpoint signed
// by a newer key is cosigned only through a valid chain (a forged link is DATA_LOSS naming it),
// the old key is not accepted for sizes its successor signs, and a restarted witness opens a
// state it cosigned under a newer key. Once it cosigned under the newer key, a push that
// withholds the chain and signs with the retired key (what whoever holds that key could do) is
// refused, after a restart too: the witness follows chains from the key it last saw sign.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "base/files.h"

#include "crypto/key_transition.h"
#include "crypto/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/witness/witness_fixture.h"

namespace confidant::witness {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;

class WitnessKeyChainTest : public WitnessTest {
 protected:
  // The log's key v2 takes over from tree size `from`, the transition signed by `signer`.
  std::string Transition(uint64_t from, const crypto::Ed25519KeyPair& signer) {
    crypto::KeyTransition t{kOrigin, std::string(crypto::kCheckpointKeyPurpose), 2,
                            log_key_.public_key, next_key_.public_key, 1700000050, from};
    return crypto::SignNote(crypto::FormatKeyTransitionBody(t), kOrigin, signer);
  }
  // The log's current checkpoint signed by `key`, with a proof from `old_size`.
  absl::StatusOr<std::string> PushSigned(const crypto::Ed25519KeyPair& key, uint64_t old_size,
                                         const std::vector<std::string>& transitions) {
    return witness_->AddCheckpoint(old_size, crypto::SignNote(log_.Body(), kOrigin, key),
                                   log_.ProofFrom(old_size), kNow, transitions);
  }

  crypto::Ed25519KeyPair next_key_ = crypto::Ed25519KeyPair::Generate();
};

TEST_F(WitnessKeyChainTest, NewKeyIsAcceptedThroughTheChainAndAfterARestart) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  log_.GrowTo(11);
  const std::vector<std::string> chain = {Transition(11, log_key_)};
  ASSERT_THAT(PushSigned(next_key_, 10, chain), IsOk());
  EXPECT_EQ(witness_->Snapshot().tree_size, 11u);

  witness_ = OpenWitness();  // its state is now signed by the new key
  ASSERT_NE(witness_, nullptr);
  EXPECT_EQ(witness_->Snapshot().tree_size, 11u);
  log_.GrowTo(15);
  EXPECT_THAT(PushSigned(next_key_, 11, chain), IsOk());
}

TEST_F(WitnessKeyChainTest, NewKeyWithoutTheChainIsRefused) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  log_.GrowTo(12);
  EXPECT_THAT(PushSigned(next_key_, 10, {}), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(witness_->Snapshot().tree_size, 10u);
}

TEST_F(WitnessKeyChainTest, ForgedTransitionIsRefusedNamingIt) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  log_.GrowTo(12);
  EXPECT_THAT(PushSigned(next_key_, 10, {Transition(11, next_key_)}),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("checkpoint version 2 is not signed by the previous key")));
  EXPECT_EQ(witness_->Snapshot().tree_size, 10u);
}

TEST_F(WitnessKeyChainTest, OldKeyIsRefusedForSizesItsSuccessorSigns) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  log_.GrowTo(12);
  const std::vector<std::string> chain = {Transition(11, log_key_)};
  EXPECT_THAT(PushSigned(log_key_, 10, chain), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(witness_->Snapshot().tree_size, 10u);
}

TEST_F(WitnessKeyChainTest, TheRetiredKeyWithTheChainWithheldIsRefusedOnceItsSuccessorSigned) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  log_.GrowTo(11);
  ASSERT_THAT(PushSigned(next_key_, 10, {Transition(11, log_key_)}), IsOk());
  log_.GrowTo(14);
  // No chain: from the pinned key alone the retired key would sign size 14.
  EXPECT_THAT(PushSigned(log_key_, 11, {}), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(witness_->Snapshot().tree_size, 11u);

  witness_ = OpenWitness();
  ASSERT_NE(witness_, nullptr);
  EXPECT_THAT(PushSigned(log_key_, 11, {}), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(PushSigned(next_key_, 11, {Transition(11, log_key_)}), IsOk());
  EXPECT_EQ(witness_->Snapshot().tree_size, 14u);
}

// The anchor line is bound to the note: edited back to the pinned (retired) key, the state is
// refused at start rather than believed.
TEST_F(WitnessKeyChainTest, AStateWhoseAnchorWasEditedIsRefusedAtStart) {
  log_.GrowTo(10);
  ASSERT_THAT(Push(log_, 0), IsOk());
  log_.GrowTo(11);
  ASSERT_THAT(PushSigned(next_key_, 10, {Transition(11, log_key_)}), IsOk());
  absl::StatusOr<std::string> state = ReadFile(state_path());
  ASSERT_THAT(state, IsOk());
  const std::string current = "log-key " + absl::Base64Escape(next_key_.public_key);
  const size_t at = state->find(current);
  ASSERT_NE(at, std::string::npos);
  std::string edited = *state;
  edited.replace(at, current.size(), "log-key " + absl::Base64Escape(log_key_.public_key));
  ASSERT_THAT(WriteFileAtomically(state_path(), edited, 0600), IsOk());
  WitnessConfig config{kOrigin, log_key_.public_key, kWitnessName, state_path(), {}};
  absl::StatusOr<crypto::Ed25519KeyPair> key = crypto::Ed25519KeyPair::FromSecretKey(
      crypto::SecretBytes::CopyFrom(std::string_view(
          reinterpret_cast<const char*>(witness_key_.secret_key.RevealSecret()),
          witness_key_.secret_key.size())));
  ASSERT_THAT(key, IsOk());
  EXPECT_THAT(Witness::Create(std::move(config), *std::move(key)),
              StatusIs(absl::StatusCode::kDataLoss));
  // The file as written opens.
  ASSERT_THAT(WriteFileAtomically(state_path(), *state, 0600), IsOk());
  EXPECT_NE(OpenWitness(), nullptr);
}

}  // namespace
}  // namespace confidant::witness
