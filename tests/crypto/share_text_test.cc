#include "crypto/share_text.h"

#include <sodium.h>

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "crypto/shamir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr char kBase32Alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

std::string Text(const SecretBytes& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.RevealSecret()), bytes.size());
}

std::string Counting32() {
  std::string payload;
  for (int i = 0; i < 32; ++i) payload.push_back(static_cast<char>(i));
  return payload;
}

Share MakeShare(uint32_t set_id, int threshold, int index, const std::string& payload) {
  auto share = Share::Create(set_id, threshold, index, SecretBytes::CopyFrom(payload));
  EXPECT_THAT(share, IsOk());
  return std::move(share).value();
}

// The checksum as the header specifies it, computed here independently of share_text.cc.
std::string SpecChecksum(const std::string& covered) {
  std::string input = std::string("confidant/v1/share-checksum") + '\0' + covered;
  unsigned char digest[16];
  crypto_generichash(digest, sizeof(digest), reinterpret_cast<const unsigned char*>(input.data()),
                     input.size(), nullptr, 0);
  char hex[9];
  sodium_bin2hex(hex, sizeof(hex), digest, 4);
  return hex;
}

// "covered:checksum" with a valid checksum, to build well-checksummed but malformed shares.
std::string WithChecksum(const std::string& covered) {
  return covered + ":" + SpecChecksum(covered);
}

const std::string kKnownText =
    "confidant-share-v1:5f0c9a1e:3:2:aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dypq:"
    "cb8db789";

TEST(ShareTextTest, EncodingMatchesItsSpecification) {
  // Payload and checksum computed independently (Python base64.b32encode, hashlib.blake2b).
  EXPECT_EQ(Text(EncodeShare(MakeShare(0x5f0c9a1e, 3, 2, Counting32()))), kKnownText);
  const std::string all_ones(32, '\xff');
  EXPECT_THAT(Text(EncodeShare(MakeShare(7, 2, 255, all_ones))),
              HasSubstr(":00000007:2:255:" + std::string(51, '7') + "q:"));
  EXPECT_THAT(Text(EncodeShare(MakeShare(0xffffffff, 255, 1, std::string(32, '\0')))),
              HasSubstr(":ffffffff:255:1:" + std::string(52, 'a') + ":"));
}

TEST(ShareTextTest, KnownTextParsesToItsFields) {
  auto share = ParseShare(kKnownText);
  ASSERT_THAT(share, IsOk());
  EXPECT_EQ(share->set_id(), 0x5f0c9a1eu);
  EXPECT_EQ(share->threshold(), 3);
  EXPECT_EQ(share->index(), 2);
  EXPECT_EQ(Text(share->payload()), Counting32());
}

TEST(ShareTextTest, EverySplitShareRoundTripsThroughTextAndRecombines) {
  const SecretBytes secret = SecretBytes::Random(kShamirSecretSize);
  auto split = Split(secret, 3, 5);
  ASSERT_THAT(split, IsOk());
  std::vector<Share> parsed;
  for (const Share& share : split->shares) {
    const std::string text = Text(EncodeShare(share));
    EXPECT_THAT(text, MatchesRegex("confidant-share-v1:[0-9a-f]{8}:3:[1-5]:[a-z2-7]{52}:"
                                   "[0-9a-f]{8}"));
    auto back = ParseShare(text);
    ASSERT_THAT(back, IsOk());
    EXPECT_EQ(back->set_id(), share.set_id());
    EXPECT_EQ(back->index(), share.index());
    EXPECT_TRUE(back->payload().ConstantTimeEquals(share.payload()));
    EXPECT_THAT(VerifyShareAgainst(split->hashes, *back), IsOk());
    parsed.push_back(std::move(back).value());
  }
  auto combined = Combine(parsed);
  ASSERT_THAT(combined, IsOk());
  EXPECT_TRUE(combined->ConstantTimeEquals(secret));
}

TEST(ShareTextTest, UpperCaseAndSurroundingWhitespaceAreAccepted) {
  std::string shouted = kKnownText;
  for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto share = ParseShare("  " + shouted + "\r\n");
  ASSERT_THAT(share, IsOk());
  EXPECT_EQ(Text(share->payload()), Counting32());
}

TEST(ShareTextTest, EverySingleCharacterTypoIsCaughtByTheChecksum) {
  const size_t fields_start = std::string("confidant-share-v1:").size();
  int typos = 0;
  for (size_t i = fields_start; i < kKnownText.size(); ++i) {
    if (kKnownText[i] == ':') continue;
    for (const char replacement : std::string(kBase32Alphabet) + "0189") {
      if (replacement == kKnownText[i]) continue;
      std::string typo = kKnownText;
      typo[i] = replacement;
      ASSERT_THAT(ParseShare(typo),
                  StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("share has a typo")))
          << "position " << i << " replaced by " << replacement;
      ++typos;
    }
  }
  EXPECT_GT(typos, 2000);
}

TEST(ShareTextTest, SwappedNeighboursAreCaughtByTheChecksum) {
  const std::string payload_start = "confidant-share-v1:5f0c9a1e:3:2:";
  for (size_t i = payload_start.size(); i + 1 < kKnownText.size(); ++i) {
    if (kKnownText[i] == kKnownText[i + 1] || kKnownText[i] == ':' || kKnownText[i + 1] == ':') {
      continue;
    }
    std::string swapped = kKnownText;
    std::swap(swapped[i], swapped[i + 1]);
    EXPECT_THAT(ParseShare(swapped),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("share has a typo")))
        << "positions " << i << " and " << i + 1;
  }
}

TEST(ShareTextTest, ErrorsNeverEchoTheShare) {
  std::string typo = kKnownText;
  typo[40] = typo[40] == 'a' ? 'b' : 'a';
  auto parsed = ParseShare(typo);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), Not(HasSubstr("aaaqeayeaud")));
  EXPECT_THAT(std::string(parsed.status().message()), Not(HasSubstr(typo.substr(32, 52))));
}

TEST(ShareTextTest, MalformedTextIsNamed) {
  const auto invalid = [](const std::string& text, const std::string& message) {
    EXPECT_THAT(ParseShare(text), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << text;
  };
  invalid("", "share text is empty");
  invalid(" \n", "share text is empty");
  invalid("confidant-share-v2" + kKnownText.substr(18), "not a Confidant share");
  invalid("cfd-share-v1:1:2", "not a Confidant share");
  invalid(kKnownText.substr(0, kKnownText.rfind(':')), "expected 6 fields separated by ':'");
  invalid(kKnownText + ":00", "expected 6 fields separated by ':', found 7");
  invalid(kKnownText.substr(0, kKnownText.size() - 1), "checksum (last field) must be 8 hex");
  invalid(kKnownText.substr(0, kKnownText.size() - 1) + "g", "checksum (last field) must be 8");
}

TEST(ShareTextTest, WellChecksummedButMalformedFieldsAreNamed) {
  const std::string payload = "aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dypq";
  const auto invalid = [](const std::string& covered, const std::string& message) {
    EXPECT_THAT(ParseShare(WithChecksum(covered)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << covered;
  };
  ASSERT_EQ(WithChecksum("confidant-share-v1:5f0c9a1e:3:2:" + payload), kKnownText);
  invalid("confidant-share-v1:5f0c9a1:3:2:" + payload, "set id must be 8 hex digits");
  invalid("confidant-share-v1:5f0c9a1x:3:2:" + payload, "set id must be 8 hex digits");
  invalid("confidant-share-v1:5f0c9a1e:1:2:" + payload, "threshold must be a number from 2 to 255");
  invalid("confidant-share-v1:5f0c9a1e:256:2:" + payload, "threshold must be a number");
  invalid("confidant-share-v1:5f0c9a1e:03:2:" + payload, "threshold must be a number");
  invalid("confidant-share-v1:5f0c9a1e:3:0:" + payload, "index must be a number from 1 to 255");
  invalid("confidant-share-v1:5f0c9a1e:3:-2:" + payload, "index must be a number");
  invalid("confidant-share-v1:5f0c9a1e:3:2:" + payload.substr(1), "payload must be 52 base32");
  invalid("confidant-share-v1:5f0c9a1e:3:2:" + payload + "a", "payload must be 52 base32");
  invalid("confidant-share-v1:5f0c9a1e:3:2:1" + payload.substr(1), "payload must be 52 base32");
  // The last character carries one payload bit and four zero bits: "r" sets one of those.
  invalid("confidant-share-v1:5f0c9a1e:3:2:" + payload.substr(0, 51) + "r",
          "payload must be 52 base32");
}

TEST(ShareTextTest, ShareOfAnotherInitOrThresholdIsNamedAfterParsing) {
  auto split = Split(SecretBytes::Random(kShamirSecretSize), 3, 5);
  ASSERT_THAT(split, IsOk());
  auto foreign = ParseShare(kKnownText);
  ASSERT_THAT(foreign, IsOk());
  EXPECT_THAT(VerifyShareAgainst(split->hashes, *foreign),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("shares from different inits cannot be mixed")));

  const Share& genuine = split->shares[1];
  const std::string payload = Text(genuine.payload());
  auto claims_two =
      ParseShare(Text(EncodeShare(MakeShare(genuine.set_id(), 2, genuine.index(), payload))));
  ASSERT_THAT(claims_two, IsOk());
  EXPECT_THAT(VerifyShareAgainst(split->hashes, *claims_two),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("threshold mismatch")));
}

}  // namespace
}  // namespace confidant::crypto
