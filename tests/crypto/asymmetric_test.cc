#include "crypto/asymmetric.h"

#include <sodium.h>

#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;

SecretBytes CopySecret(const SecretBytes& secret) {
  return SecretBytes::CopyFrom(
      std::string_view(reinterpret_cast<const char*>(secret.RevealSecret()), secret.size()));
}

TEST(SealedBoxTest, SealThenOpenRoundTrips) {
  X25519KeyPair intake = X25519KeyPair::Generate();
  absl::StatusOr<std::string> sealed = SealToPublicKey(intake.public_key, "submission");
  ASSERT_THAT(sealed, IsOk());
  absl::StatusOr<std::string> opened = OpenSealedBox(intake, *sealed);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(*opened, "submission");
}

TEST(SealedBoxTest, WrongKeyPairFailsToOpen) {
  X25519KeyPair intake = X25519KeyPair::Generate();
  X25519KeyPair other = X25519KeyPair::Generate();
  std::string sealed = *SealToPublicKey(intake.public_key, "submission");
  EXPECT_THAT(OpenSealedBox(other, sealed),
              StatusIs(absl::StatusCode::kDataLoss, "decryption failed"));
}

TEST(SealedBoxTest, TamperedOrTruncatedBoxFailsToOpen) {
  X25519KeyPair intake = X25519KeyPair::Generate();
  const std::string sealed = *SealToPublicKey(intake.public_key, "submission");
  for (size_t i : {size_t{0}, size_t{31}, size_t{32}, sealed.size() - 1}) {
    std::string tampered = sealed;
    tampered[i] ^= 0x01;
    EXPECT_THAT(OpenSealedBox(intake, tampered),
                StatusIs(absl::StatusCode::kDataLoss, "decryption failed"));
  }
  EXPECT_THAT(OpenSealedBox(intake, sealed.substr(0, 10)),
              StatusIs(absl::StatusCode::kDataLoss, "decryption failed"));
}

TEST(SealedBoxTest, PublicKeyOfWrongSizeIsInvalidArgument) {
  EXPECT_THAT(SealToPublicKey("short", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(X25519KeyPairTest, FromSecretKeyRebuildsTheSamePublicKey) {
  X25519KeyPair original = X25519KeyPair::Generate();
  absl::StatusOr<X25519KeyPair> rebuilt =
      X25519KeyPair::FromSecretKey(CopySecret(original.secret_key));
  ASSERT_THAT(rebuilt, IsOk());
  EXPECT_EQ(rebuilt->public_key, original.public_key);
  EXPECT_THAT(OpenSealedBox(*rebuilt, *SealToPublicKey(original.public_key, "m")), IsOk());
}

TEST(X25519KeyPairTest, SecretKeyOfWrongSizeIsInvalidArgument) {
  EXPECT_THAT(X25519KeyPair::FromSecretKey(SecretBytes::Random(31)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Ed25519Test, SignThenVerifySucceeds) {
  Ed25519KeyPair identity = Ed25519KeyPair::Generate();
  const std::string signature = Sign(identity, "intake key v3");
  EXPECT_EQ(signature.size(), kEd25519SignatureSize);
  EXPECT_THAT(VerifySignature(identity.public_key, "intake key v3", signature), IsOk());
}

// Known answer: RFC 8032 section 7.1, TEST 1 (empty message).
TEST(Ed25519Test, MatchesRfc8032Test1) {
  const std::string seed = absl::HexStringToBytes(
      "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const std::string expected_public_key = absl::HexStringToBytes(
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const std::string expected_signature = absl::HexStringToBytes(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701c"
      "f9b46bd25bf5f0595bbe24655141438e7a100b");
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  SecretBytes secret_key(kEd25519SecretKeySize);
  ASSERT_EQ(crypto_sign_seed_keypair(public_key, secret_key.RevealSecretMutable(),
                                     reinterpret_cast<const unsigned char*>(seed.data())),
            0);

  absl::StatusOr<Ed25519KeyPair> pair = Ed25519KeyPair::FromSecretKey(std::move(secret_key));
  ASSERT_THAT(pair, IsOk());
  EXPECT_EQ(absl::BytesToHexString(pair->public_key), absl::BytesToHexString(expected_public_key));
  const std::string signature = Sign(*pair, "");
  EXPECT_EQ(absl::BytesToHexString(signature), absl::BytesToHexString(expected_signature));
  EXPECT_THAT(VerifySignature(expected_public_key, "", expected_signature), IsOk());
}

TEST(Ed25519Test, FromSecretKeyRejectsMismatchedEmbeddedPublicKey) {
  Ed25519KeyPair pair = Ed25519KeyPair::Generate();
  SecretBytes tampered = CopySecret(pair.secret_key);
  tampered.RevealSecretMutable()[kEd25519SecretKeySize - 1] ^= 0x01;
  EXPECT_THAT(Ed25519KeyPair::FromSecretKey(std::move(tampered)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Ed25519KeyPair::FromSecretKey(SecretBytes::Random(32)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Ed25519Test, WrongMessageSignatureOrKeyIsUnauthenticated) {
  Ed25519KeyPair pair = Ed25519KeyPair::Generate();
  Ed25519KeyPair other = Ed25519KeyPair::Generate();
  const std::string signature = Sign(pair, "checkpoint 42");
  std::string flipped = signature;
  flipped[5] ^= 0x01;
  const auto unauthenticated =
      StatusIs(absl::StatusCode::kUnauthenticated, "signature verification failed");
  EXPECT_THAT(VerifySignature(pair.public_key, "checkpoint 43", signature), unauthenticated);
  EXPECT_THAT(VerifySignature(pair.public_key, "checkpoint 42", flipped), unauthenticated);
  EXPECT_THAT(VerifySignature(other.public_key, "checkpoint 42", signature), unauthenticated);
  EXPECT_THAT(VerifySignature("short", "checkpoint 42", signature), unauthenticated);
  EXPECT_THAT(VerifySignature(pair.public_key, "checkpoint 42", signature.substr(1)),
              unauthenticated);
}

}  // namespace
}  // namespace confidant::crypto
