#include "crypto/key_transition.h"

#include <string>
#include <utility>
#include <vector>

#include "crypto/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;

constexpr std::string_view kOrigin = "confidant.example/log/0011223344556677";

// Keys v1..v(n) of one purpose and the signed transitions v2..v(n), oldest first.
struct Chain {
  std::vector<Ed25519KeyPair> keys;
  std::vector<std::string> notes;
};

Chain MakeChain(std::string_view purpose, int length, std::string_view origin = kOrigin) {
  Chain chain;
  chain.keys.push_back(Ed25519KeyPair::Generate());
  for (int v = 2; v <= length; ++v) {
    chain.keys.push_back(Ed25519KeyPair::Generate());
    KeyTransition t{std::string(origin), std::string(purpose), static_cast<uint32_t>(v),
                    chain.keys[v - 2].public_key, chain.keys[v - 1].public_key, 1700000000 + v,
                    purpose == kCheckpointKeyPurpose ? static_cast<uint64_t>(10 * v) : 0};
    absl::StatusOr<std::string> note = SignKeyTransition(t, chain.keys[v - 2]);
    EXPECT_THAT(note, IsOk());
    chain.notes.push_back(*note);
  }
  return chain;
}

TEST(KeyTransitionTest, BodyRoundTrips) {
  Chain chain = MakeChain(kCheckpointKeyPurpose, 2);
  KeyTransition t{std::string(kOrigin), "checkpoint", 2, chain.keys[0].public_key,
                  chain.keys[1].public_key, 1700000002, 20};
  absl::StatusOr<KeyTransition> parsed = ParseKeyTransitionBody(FormatKeyTransitionBody(t));
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->new_public_key, t.new_public_key);
  EXPECT_EQ(parsed->from_tree_size, 20u);
  EXPECT_EQ(parsed->version, 2u);
}

TEST(KeyTransitionTest, MalformedBodiesAreRefused) {
  Chain chain = MakeChain(kIdentityKeyPurpose, 2);
  const std::string good = FormatKeyTransitionBody(KeyTransition{
      std::string(kOrigin), "identity", 2, chain.keys[0].public_key, chain.keys[1].public_key, 5, 0});
  ASSERT_THAT(ParseKeyTransitionBody(good), IsOk());
  EXPECT_THAT(ParseKeyTransitionBody(good.substr(0, good.size() - 1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::string version_one = good;
  version_one.replace(version_one.find("version 2"), 9, "version 1");
  EXPECT_THAT(ParseKeyTransitionBody(version_one), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string unknown = good;
  unknown.replace(unknown.find("purpose identity"), 16, "purpose backdoor");
  EXPECT_THAT(ParseKeyTransitionBody(unknown), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyTransitionTest, SigningWithAnotherKeyThanTheOldOneIsRefused) {
  Chain chain = MakeChain(kReleaseKeyPurpose, 2);
  KeyTransition t{std::string(kOrigin), "release", 3, chain.keys[1].public_key,
                  Ed25519KeyPair::Generate().public_key, 9, 0};
  EXPECT_THAT(SignKeyTransition(t, chain.keys[0]), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyTransitionTest, GoodChainIsFollowedFromAnyPinnedKey) {
  Chain chain = MakeChain(kCheckpointKeyPurpose, 4);
  absl::StatusOr<std::vector<ChainKey>> from_first =
      FollowKeyChain(kCheckpointKeyPurpose, kOrigin, chain.keys[0].public_key, chain.notes);
  ASSERT_THAT(from_first, IsOk());
  ASSERT_EQ(from_first->size(), 4u);
  EXPECT_EQ(from_first->back().public_key, chain.keys[3].public_key);
  EXPECT_EQ(from_first->back().version, 4u);
  EXPECT_EQ(SignerForTreeSize(*from_first, 35)->version, 3u);
  EXPECT_EQ(SignerForTreeSize(*from_first, 40)->version, 4u);
  EXPECT_EQ(SignerForTreeSize(*from_first, 5)->version, 1u);

  absl::StatusOr<std::vector<ChainKey>> from_third =
      FollowKeyChain(kCheckpointKeyPurpose, kOrigin, chain.keys[2].public_key, chain.notes);
  ASSERT_THAT(from_third, IsOk());
  ASSERT_EQ(from_third->size(), 2u);
  // A checkpoint older than the pinned key has no signer the verifier trusts.
  EXPECT_EQ(SignerForTreeSize(*from_third, 25), nullptr);
}

TEST(KeyTransitionTest, NoRotationYetIsJustThePinnedKey) {
  const Ed25519KeyPair key = Ed25519KeyPair::Generate();
  absl::StatusOr<std::vector<ChainKey>> chain =
      FollowKeyChain(kIdentityKeyPurpose, kOrigin, key.public_key, {});
  ASSERT_THAT(chain, IsOk());
  ASSERT_EQ(chain->size(), 1u);
  EXPECT_EQ(chain->front().public_key, key.public_key);
}

TEST(KeyTransitionTest, TransitionSignedByAnotherKeyIsRefused) {
  Chain chain = MakeChain(kIdentityKeyPurpose, 3);
  const Ed25519KeyPair intruder = Ed25519KeyPair::Generate();
  // The same statement (old key v2, new key the intruder's) but signed by the intruder.
  KeyTransition forged{std::string(kOrigin), "identity", 3, chain.keys[1].public_key,
                       intruder.public_key, 9, 0};
  chain.notes[1] = SignNote(FormatKeyTransitionBody(forged), kOrigin, intruder);
  EXPECT_THAT(FollowKeyChain(kIdentityKeyPurpose, kOrigin, chain.keys[0].public_key, chain.notes),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("identity version 3 is not signed by the previous key")));
}

TEST(KeyTransitionTest, ReorderedChainIsRefused) {
  Chain chain = MakeChain(kCheckpointKeyPurpose, 4);
  std::swap(chain.notes[1], chain.notes[2]);
  EXPECT_THAT(
      FollowKeyChain(kCheckpointKeyPurpose, kOrigin, chain.keys[0].public_key, chain.notes),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("version 4 does not follow version 2")));
}

TEST(KeyTransitionTest, ChainWithALinkLeftOutIsRefused) {
  Chain chain = MakeChain(kCheckpointKeyPurpose, 4);
  chain.notes.erase(chain.notes.begin() + 1);
  EXPECT_THAT(
      FollowKeyChain(kCheckpointKeyPurpose, kOrigin, chain.keys[0].public_key, chain.notes),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not follow")));
}

TEST(KeyTransitionTest, ChainCutBeforeThePinnedKeyIsRefused) {
  Chain chain = MakeChain(kIdentityKeyPurpose, 4);
  const std::vector<std::string> tail(chain.notes.begin() + 1, chain.notes.end());
  EXPECT_THAT(FollowKeyChain(kIdentityKeyPurpose, kOrigin, chain.keys[0].public_key, tail),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not in the vault's key chain")));
}

TEST(KeyTransitionTest, TruncatedNoteIsRefused) {
  Chain chain = MakeChain(kIdentityKeyPurpose, 3);
  chain.notes[1].resize(chain.notes[1].size() / 2);
  EXPECT_THAT(FollowKeyChain(kIdentityKeyPurpose, kOrigin, chain.keys[0].public_key, chain.notes),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("transition 2")));
}

TEST(KeyTransitionTest, TransitionOfAnotherPurposeIsRefused) {
  // The release key's chain offered as the checkpoint key's: each link is validly signed.
  Chain release = MakeChain(kReleaseKeyPurpose, 2);
  EXPECT_THAT(FollowKeyChain(kCheckpointKeyPurpose, kOrigin, release.keys[0].public_key,
                             release.notes),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("is for the release key")));
}

TEST(KeyTransitionTest, TransitionOfAnotherVaultIsRefused) {
  Chain other = MakeChain(kIdentityKeyPurpose, 2, "confidant.example/log/ffffffffffffffff");
  EXPECT_THAT(FollowKeyChain(kIdentityKeyPurpose, kOrigin, other.keys[0].public_key, other.notes),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("another vault")));
}

TEST(KeyTransitionTest, CheckpointChainGoingBackInTheLogIsRefused) {
  Chain chain = MakeChain(kCheckpointKeyPurpose, 2);
  const Ed25519KeyPair v3 = Ed25519KeyPair::Generate();
  KeyTransition back{std::string(kOrigin), "checkpoint", 3, chain.keys[1].public_key,
                     v3.public_key, 9, 1};
  chain.notes.push_back(*SignKeyTransition(back, chain.keys[1]));
  EXPECT_THAT(
      FollowKeyChain(kCheckpointKeyPurpose, kOrigin, chain.keys[0].public_key, chain.notes),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("goes back in the log")));
}

TEST(KeyTransitionTest, ChainEndingAtTheVouchedKeyIsWhole) {
  Chain chain = MakeChain(kCheckpointKeyPurpose, 3);
  absl::StatusOr<std::vector<ChainKey>> whole =
      KeyChainEndingAt(kCheckpointKeyPurpose, kOrigin, chain.keys[2].public_key, chain.notes);
  ASSERT_THAT(whole, IsOk());
  ASSERT_EQ(whole->size(), 3u);
  EXPECT_EQ(whole->front().public_key, chain.keys[0].public_key);
}

TEST(KeyTransitionTest, ChainCutShortOfTheVouchedKeyIsRefused) {
  Chain chain = MakeChain(kCheckpointKeyPurpose, 3);
  chain.notes.pop_back();
  EXPECT_THAT(
      KeyChainEndingAt(kCheckpointKeyPurpose, kOrigin, chain.keys[2].public_key, chain.notes),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not end at the vault's current key")));
}

}  // namespace
}  // namespace confidant::crypto
