#include "crypto/shamir.h"

// libgfshare.h has no extern "C" guard of its own.
extern "C" {
#include <libgfshare.h>
}
#include <sodium.h>

#include <bit>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;

std::string Hex(const std::string& bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  hex.pop_back();
  return hex;
}

std::string Bytes(const SecretBytes& secret) {
  return std::string(reinterpret_cast<const char*>(secret.RevealSecret()), secret.size());
}

// A share with `share`'s fields, optionally overriding the threshold, index or payload.
Share Copy(const Share& share, int threshold = 0, int index = 0,
           const std::string* payload = nullptr) {
  auto copy =
      Share::Create(share.set_id(), threshold != 0 ? threshold : share.threshold(),
                    index != 0 ? index : share.index(),
                    SecretBytes::CopyFrom(payload != nullptr ? *payload : Bytes(share.payload())));
  EXPECT_THAT(copy, IsOk());
  return std::move(copy).value();
}

// `share` with one bit of its payload flipped.
Share Corrupted(const Share& share) {
  std::string payload = Bytes(share.payload());
  payload[0] = static_cast<char>(payload[0] ^ 0x01);
  return Copy(share, 0, 0, &payload);
}

std::vector<Share> Pick(const std::vector<Share>& shares, std::vector<int> indices) {
  std::vector<Share> picked;
  for (int index : indices) picked.push_back(Copy(shares[static_cast<size_t>(index - 1)]));
  return picked;
}

SplitShares MustSplit(const SecretBytes& secret, int threshold, int count) {
  auto split = Split(secret, threshold, count);
  EXPECT_THAT(split, IsOk());
  return std::move(split).value();
}

class ShamirRoundTripTest : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(ShamirRoundTripTest, EverySubsetOfThresholdOrMoreSharesRecombinesToTheSecret) {
  const auto [threshold, count] = GetParam();
  const SecretBytes secret = SecretBytes::Random(kShamirSecretSize);
  const SplitShares split = MustSplit(secret, threshold, count);
  ASSERT_EQ(split.shares.size(), static_cast<size_t>(count));
  int subsets = 0;
  for (unsigned mask = 1; mask < (1u << count); ++mask) {
    if (std::popcount(mask) < threshold) continue;
    std::vector<int> indices;
    for (int i = 0; i < count; ++i) {
      if (mask & (1u << i)) indices.push_back(i + 1);
    }
    std::vector<int> reversed(indices.rbegin(), indices.rend());
    for (const auto& order : {indices, reversed}) {
      auto combined = Combine(Pick(split.shares, order));
      ASSERT_THAT(combined, IsOk()) << "subset mask " << mask;
      EXPECT_TRUE(combined->ConstantTimeEquals(secret)) << "subset mask " << mask;
    }
    ++subsets;
  }
  EXPECT_GT(subsets, 0);
}

INSTANTIATE_TEST_SUITE_P(KOfN, ShamirRoundTripTest,
                         ::testing::Values(std::pair{2, 2}, std::pair{2, 3}, std::pair{3, 5},
                                           std::pair{4, 7}, std::pair{5, 5}, std::pair{6, 9}));

TEST(ShamirTest, EveryShareHasItsIndexAndTheSplitsSetIdAndNoneIsTheSecret) {
  const SecretBytes secret = SecretBytes::Random(kShamirSecretSize);
  const SplitShares split = MustSplit(secret, 3, 5);
  for (size_t i = 0; i < split.shares.size(); ++i) {
    EXPECT_EQ(split.shares[i].index(), static_cast<int>(i + 1));
    EXPECT_EQ(split.shares[i].threshold(), 3);
    EXPECT_EQ(split.shares[i].set_id(), split.hashes.set_id());
    EXPECT_FALSE(split.shares[i].payload().ConstantTimeEquals(secret));
  }
  EXPECT_EQ(split.hashes.threshold(), 3);
  EXPECT_EQ(split.hashes.share_count(), 5);
}

TEST(ShamirTest, FewerSharesThanTheThresholdAreRefused) {
  const SplitShares split = MustSplit(SecretBytes::Random(kShamirSecretSize), 3, 5);
  EXPECT_THAT(Combine(Pick(split.shares, {1, 2})),
              StatusIs(absl::StatusCode::kInvalidArgument, "need 3 distinct shares, got 2"));
  EXPECT_THAT(Combine(Pick(split.shares, {4})),
              StatusIs(absl::StatusCode::kInvalidArgument, "need 3 distinct shares, got 1"));
  EXPECT_THAT(Combine({}), StatusIs(absl::StatusCode::kInvalidArgument, "no shares given"));
}

TEST(ShamirTest, ThresholdOfOneIsRefused) {
  EXPECT_THAT(Split(SecretBytes::Random(kShamirSecretSize), 1, 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("one person must never be able to open the vault alone")));
  EXPECT_THAT(Split(SecretBytes::Random(kShamirSecretSize), 0, 3),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ShamirTest, ThresholdAboveShareCountIsRefused) {
  EXPECT_THAT(Split(SecretBytes::Random(kShamirSecretSize), 4, 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("share count must be from the threshold (4)")));
}

TEST(ShamirTest, AtMost255SharesAndTheLastOnesWork) {
  EXPECT_THAT(Split(SecretBytes::Random(kShamirSecretSize), 2, 256),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to 255")));
  const SecretBytes secret = SecretBytes::Random(kShamirSecretSize);
  const SplitShares split = MustSplit(secret, 2, 255);
  auto combined = Combine(Pick(split.shares, {255, 254}));
  ASSERT_THAT(combined, IsOk());
  EXPECT_TRUE(combined->ConstantTimeEquals(secret));
}

TEST(ShamirTest, SecretOfTheWrongSizeIsRefused) {
  EXPECT_THAT(Split(SecretBytes::Random(31), 2, 3),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be 32 bytes")));
  EXPECT_THAT(Split(SecretBytes(), 2, 3), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ShamirTest, TwoSplitsOfTheSameSecretShareNothing) {
  const SecretBytes secret = SecretBytes::Random(kShamirSecretSize);
  const SplitShares first = MustSplit(secret, 3, 5);
  const SplitShares second = MustSplit(secret, 3, 5);
  EXPECT_NE(first.hashes.set_id(), second.hashes.set_id());
  for (size_t i = 0; i < first.shares.size(); ++i) {
    EXPECT_FALSE(first.shares[i].payload().ConstantTimeEquals(second.shares[i].payload()))
        << "share " << i + 1;
    EXPECT_NE(first.hashes.hash(static_cast<int>(i + 1)),
              second.hashes.hash(static_cast<int>(i + 1)));
  }
}

TEST(ShamirTest, SharesFromTwoInitsAreNotMixed) {
  const SecretBytes secret = SecretBytes::Random(kShamirSecretSize);
  const SplitShares first = MustSplit(secret, 2, 3);
  const SplitShares second = MustSplit(secret, 2, 3);
  std::vector<Share> mixed;
  mixed.push_back(Copy(first.shares[0]));
  mixed.push_back(Copy(second.shares[1]));
  EXPECT_THAT(
      Combine(mixed),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("share 2 is from share set " + ShareSetIdHex(second.hashes.set_id()) +
                         " but share 1 is from share set " + ShareSetIdHex(first.hashes.set_id()) +
                         ": shares from different inits cannot be mixed")));
  EXPECT_THAT(VerifyShareAgainst(first.hashes, second.shares[1]),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("but this vault's shares are from share set " +
                                 ShareSetIdHex(first.hashes.set_id()))));
}

TEST(ShamirTest, DuplicateShareIsNamed) {
  const SplitShares split = MustSplit(SecretBytes::Random(kShamirSecretSize), 3, 5);
  EXPECT_THAT(Combine(Pick(split.shares, {1, 4, 4})),
              StatusIs(absl::StatusCode::kInvalidArgument, "share 4 was given twice"));
  EXPECT_THAT(CombineVerified(split.hashes, Pick(split.shares, {2, 3, 2})),
              StatusIs(absl::StatusCode::kInvalidArgument, "share 2 was given twice"));
  // Also when the second copy differs: the index is what counts.
  std::vector<Share> shares = Pick(split.shares, {2, 5});
  shares.push_back(Corrupted(split.shares[1]));
  EXPECT_THAT(Combine(shares),
              StatusIs(absl::StatusCode::kInvalidArgument, "share 2 was given twice"));
}

TEST(ShamirTest, GenuineSharesVerifyToTheirIndex) {
  const SplitShares split = MustSplit(SecretBytes::Random(kShamirSecretSize), 3, 5);
  for (const Share& share : split.shares) {
    auto index = VerifyShareAgainst(split.hashes, share);
    ASSERT_THAT(index, IsOk());
    EXPECT_EQ(*index, share.index());
  }
}

TEST(ShamirTest, CorruptedShareIsNamedByTheShareHashes) {
  const SecretBytes secret = SecretBytes::Random(kShamirSecretSize);
  const SplitShares split = MustSplit(secret, 3, 5);
  const Share bad = Corrupted(split.shares[2]);
  EXPECT_THAT(VerifyShareAgainst(split.hashes, bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "share 3 does not match the share hashes recorded at init"));
  std::vector<Share> shares = Pick(split.shares, {1, 2});
  shares.push_back(Copy(bad));
  EXPECT_THAT(CombineVerified(split.hashes, shares),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "share 3 does not match the share hashes recorded at init"));
  // Unverified, exactly `threshold` shares with a wrong one silently give a wrong key: this is
  // why the vault checks every share against the hashes first.
  auto garbage = Combine(shares);
  ASSERT_THAT(garbage, IsOk());
  EXPECT_FALSE(garbage->ConstantTimeEquals(secret));
}

TEST(ShamirTest, WrongShareAmongMoreThanThresholdIsDetectedWithoutHashes) {
  const SplitShares split = MustSplit(SecretBytes::Random(kShamirSecretSize), 3, 5);
  for (int bad_position = 0; bad_position < 4; ++bad_position) {
    std::vector<Share> shares = Pick(split.shares, {1, 2, 4, 5});
    shares[static_cast<size_t>(bad_position)] =
        Corrupted(shares[static_cast<size_t>(bad_position)]);
    EXPECT_THAT(Combine(shares),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the shares do not agree")))
        << "corrupted position " << bad_position;
  }
}

TEST(ShamirTest, ThresholdMismatchIsNamed) {
  const SplitShares split = MustSplit(SecretBytes::Random(kShamirSecretSize), 3, 5);
  const Share claims_two = Copy(split.shares[1], /*threshold=*/2);
  EXPECT_THAT(VerifyShareAgainst(split.hashes, claims_two),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "threshold mismatch: share 2 says 2 shares are needed but this vault was "
                       "split with threshold 3"));
  std::vector<Share> shares = Pick(split.shares, {1, 3});
  shares.push_back(Copy(claims_two));
  EXPECT_THAT(Combine(shares), StatusIs(absl::StatusCode::kInvalidArgument,
                                        "threshold mismatch: share 2 says 2 shares are needed "
                                        "but share 1 says 3"));
}

TEST(ShamirTest, IndexTheSplitNeverProducedIsNamed) {
  const SplitShares split = MustSplit(SecretBytes::Random(kShamirSecretSize), 3, 5);
  EXPECT_THAT(VerifyShareAgainst(split.hashes, Copy(split.shares[0], 0, /*index=*/6)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "share 6 does not exist: this vault was split into 5 shares"));
}

TEST(ShamirTest, ShareHashMatchesItsSpecification) {
  // Expected value computed independently (Python hashlib.blake2b, digest_size=32) over
  // "confidant/v1/share-hash" 0x00 || 5f0c9a1e || 03 || 02 || bytes 0..31.
  std::string payload;
  for (int i = 0; i < 32; ++i) payload.push_back(static_cast<char>(i));
  auto share = Share::Create(0x5f0c9a1e, 3, 2, SecretBytes::CopyFrom(payload));
  ASSERT_THAT(share, IsOk());
  EXPECT_EQ(Hex(ShareHash(*share)),
            "b6d40b13a418bd1032e98139eee1d9f6aa2a685bbc8f5f40d6ae422119f6ba5d");
  // The index, threshold and set id are bound, not only the payload.
  EXPECT_NE(ShareHash(*share), ShareHash(Copy(*share, 0, 3)));
  EXPECT_NE(ShareHash(*share), ShareHash(Copy(*share, 4)));
}

TEST(ShamirTest, SplitUsesLibsodiumRandom) {
  ASSERT_THAT(Split(SecretBytes::Random(kShamirSecretSize), 2, 2), IsOk());
  EXPECT_TRUE(ShamirUsesLibsodiumRandom());
  EXPECT_NE(gfshare_fill_rand, gfshare_bad_idea_but_fill_rand_using_random);
}

TEST(ShamirTest, SplitRefusesWhenTheRandomSourceWasReplaced) {
  ASSERT_THAT(Split(SecretBytes::Random(kShamirSecretSize), 2, 2), IsOk());  // Installs ours.
  const gfshare_rand_func_t ours = gfshare_fill_rand;
  gfshare_fill_rand = gfshare_bad_idea_but_fill_rand_using_random;
  EXPECT_FALSE(ShamirUsesLibsodiumRandom());
  EXPECT_THAT(Split(SecretBytes::Random(kShamirSecretSize), 2, 3),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("random source")));
  gfshare_fill_rand = ours;
  EXPECT_TRUE(ShamirUsesLibsodiumRandom());
}

TEST(ShamirTest, ShareCreateValidatesEveryField) {
  EXPECT_THAT(Share::Create(1, 2, 0, SecretBytes(kShamirSecretSize)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("index")));
  EXPECT_THAT(Share::Create(1, 2, 256, SecretBytes(kShamirSecretSize)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("index")));
  EXPECT_THAT(Share::Create(1, 1, 1, SecretBytes(kShamirSecretSize)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("threshold")));
  EXPECT_THAT(Share::Create(1, 2, 1, SecretBytes(31)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("payload")));
}

TEST(ShamirTest, ShareHashesCreateValidatesEveryField) {
  const std::string hash(kShareHashSize, 'h');
  EXPECT_THAT(ShareHashes::Create(1, 3, {hash, hash}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ShareHashes::Create(1, 2, {hash, "short"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ShareHashes::Create(1, 1, {hash, hash}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ShareHashes::Create(1, 2, {hash, hash}), IsOk());
}

}  // namespace
}  // namespace confidant::crypto
