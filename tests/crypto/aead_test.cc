#include "crypto/aead.h"

#include <sodium.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;

constexpr std::string_view kAd = "record/1";

std::string Flipped(std::string bytes, size_t index) {
  bytes[index] ^= 0x01;
  return bytes;
}

void ExpectDecryptionFailed(const absl::StatusOr<std::string>& opened) {
  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kDataLoss, "decryption failed"));
}

TEST(AeadTest, SealThenOpenRoundTrips) {
  SecretBytes key = SecretBytes::Random(kAeadKeySize);
  absl::StatusOr<std::string> sealed = AeadSeal(key, "interview notes", kAd);
  ASSERT_THAT(sealed, IsOk());
  EXPECT_EQ(sealed->size(), kAeadNonceSize + 15 + kAeadTagSize);
  absl::StatusOr<std::string> opened = AeadOpen(key, *sealed, kAd);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(*opened, "interview notes");
}

TEST(AeadTest, EmptyPlaintextRoundTrips) {
  SecretBytes key = SecretBytes::Random(kAeadKeySize);
  absl::StatusOr<std::string> sealed = AeadSeal(key, "", kAd);
  ASSERT_THAT(sealed, IsOk());
  EXPECT_THAT(AeadOpen(key, *sealed, kAd), IsOk());
}

TEST(AeadTest, SealingTwiceUsesFreshNonces) {
  SecretBytes key = SecretBytes::Random(kAeadKeySize);
  EXPECT_NE(*AeadSeal(key, "same", kAd), *AeadSeal(key, "same", kAd));
}

TEST(AeadTest, SecretRoundTripsThroughGuardedMemory) {
  SecretBytes key = SecretBytes::Random(kAeadKeySize);
  SecretBytes secret = SecretBytes::Random(32);
  absl::StatusOr<std::string> sealed = AeadSealSecret(key, secret, kAd);
  ASSERT_THAT(sealed, IsOk());
  absl::StatusOr<SecretBytes> opened = AeadOpenSecret(key, *sealed, kAd);
  ASSERT_THAT(opened, IsOk());
  EXPECT_TRUE(opened->ConstantTimeEquals(secret));
}

TEST(AeadTest, KeyOfWrongSizeIsInvalidArgumentOnSeal) {
  EXPECT_THAT(AeadSeal(SecretBytes::Random(16), "x", kAd),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AeadSealSecret(SecretBytes(), SecretBytes::Random(32), kAd),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Known answer: draft-irtf-cfrg-xchacha-03, appendix A.3.1 (AEAD_XChaCha20_Poly1305 example).
TEST(AeadTest, XChaCha20Poly1305MatchesDraftIrtfCfrgXChaCha03A31) {
  const std::string key = absl::HexStringToBytes(
      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  const std::string nonce = absl::HexStringToBytes("404142434445464748494a4b4c4d4e4f5051525354555657");
  const std::string ad = absl::HexStringToBytes("50515253c0c1c2c3c4c5c6c7");
  const std::string plaintext =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
      "future, sunscreen would be it.";
  const std::string expected = absl::HexStringToBytes(
      "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a8"
      "2f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369"
      "488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
      "c0875924c1c7987947deafd8780acf49");  // ciphertext || tag
  ASSERT_EQ(plaintext.size(), 114u);

  std::string ciphertext(plaintext.size() + kAeadTagSize, '\0');
  unsigned long long ciphertext_size = 0;
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_encrypt(
                reinterpret_cast<unsigned char*>(ciphertext.data()), &ciphertext_size,
                reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
                reinterpret_cast<const unsigned char*>(nonce.data()),
                reinterpret_cast<const unsigned char*>(key.data())),
            0);
  EXPECT_EQ(ciphertext_size, expected.size());
  EXPECT_EQ(absl::BytesToHexString(ciphertext), absl::BytesToHexString(expected));

  // Our framing is nonce || ciphertext || tag, so AeadOpen accepts the published vector.
  absl::StatusOr<std::string> opened = AeadOpen(SecretBytes::CopyFrom(key), nonce + expected, ad);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(*opened, plaintext);
}

class AeadTamperTest : public ::testing::Test {
 protected:
  void SetUp() override { sealed_ = *AeadSeal(key_, "a confidential interview", kAd); }
  // Flips every byte in [begin, end) in turn and expects each result to fail to open.
  void ExpectEveryFlipFails(size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      SCOPED_TRACE(i);
      ExpectDecryptionFailed(AeadOpen(key_, Flipped(sealed_, i), kAd));
    }
  }
  SecretBytes key_ = SecretBytes::Random(kAeadKeySize);
  std::string sealed_;
};

TEST_F(AeadTamperTest, FlippedNonceFailsToOpen) { ExpectEveryFlipFails(0, kAeadNonceSize); }

TEST_F(AeadTamperTest, FlippedCiphertextFailsToOpen) {
  ExpectEveryFlipFails(kAeadNonceSize, sealed_.size() - kAeadTagSize);
}

TEST_F(AeadTamperTest, FlippedTagFailsToOpen) {
  ExpectEveryFlipFails(sealed_.size() - kAeadTagSize, sealed_.size());
}

TEST_F(AeadTamperTest, WrongKeyFailsToOpen) {
  ExpectDecryptionFailed(AeadOpen(SecretBytes::Random(kAeadKeySize), sealed_, kAd));
  EXPECT_THAT(AeadOpenSecret(SecretBytes::Random(kAeadKeySize), sealed_, kAd),
              StatusIs(absl::StatusCode::kDataLoss, "decryption failed"));
}

TEST_F(AeadTamperTest, WrongAssociatedDataFailsToOpen) {
  ExpectDecryptionFailed(AeadOpen(key_, sealed_, "record/2"));
  ExpectDecryptionFailed(AeadOpen(key_, sealed_, ""));
}

TEST_F(AeadTamperTest, TruncatedInputFailsToOpen) {
  for (size_t size : {size_t{0}, size_t{1}, kAeadNonceSize, kAeadNonceSize + kAeadTagSize - 1,
                      sealed_.size() - 1}) {
    SCOPED_TRACE(size);
    ExpectDecryptionFailed(AeadOpen(key_, sealed_.substr(0, size), kAd));
  }
  ExpectDecryptionFailed(AeadOpen(key_, sealed_ + "x", kAd));
}

TEST_F(AeadTamperTest, EveryFailureCarriesTheIdenticalStatus) {
  std::vector<absl::Status> failures = {
      AeadOpen(key_, Flipped(sealed_, 0), kAd).status(),
      AeadOpen(key_, Flipped(sealed_, kAeadNonceSize), kAd).status(),
      AeadOpen(key_, Flipped(sealed_, sealed_.size() - 1), kAd).status(),
      AeadOpen(SecretBytes::Random(kAeadKeySize), sealed_, kAd).status(),
      AeadOpen(SecretBytes::Random(7), sealed_, kAd).status(),
      AeadOpen(key_, sealed_, "other").status(),
      AeadOpen(key_, sealed_.substr(0, 3), kAd).status(),
      AeadOpenSecret(key_, sealed_, "other").status(),
      AeadOpenSecret(key_, "", kAd).status(),
  };
  for (const absl::Status& failure : failures) {
    EXPECT_EQ(failure, absl::DataLossError("decryption failed"));
  }
}

}  // namespace
}  // namespace confidant::crypto
