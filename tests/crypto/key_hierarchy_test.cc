#include "crypto/key_hierarchy.h"

#include <sodium.h>

#include <string>

#include "crypto/aead.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using namespace std::string_literals;  // NOLINT: "..."s keeps embedded NULs in expected bytes.

const auto kDecryptionFailedStatus = StatusIs(absl::StatusCode::kDataLoss, "decryption failed");

TEST(AssociatedDataTest, KeyAssociatedDataMatchesFormatByteForByte) {
  EXPECT_EQ(KeyAssociatedData({.purpose = "role-kek/case_officer", .version = 0x0A0B0C0D}),
            "confidant/v1/key\x00"s "\x00\x00\x00\x15"s "role-kek/case_officer"
            "\x0a\x0b\x0c\x0d"s);
}

TEST(AssociatedDataTest, SectionAssociatedDataMatchesFormatByteForByte) {
  const SectionContext context{.record_id = "r1",
                               .record_version = 0x0102030405060708,
                               .section = "narrative",
                               .data_key_id = "dk7"};
  EXPECT_EQ(SectionAssociatedData(context),
            "confidant/v1/section\x00"s "\x00\x00\x00\x02"s "r1"
            "\x01\x02\x03\x04\x05\x06\x07\x08"s "\x00\x00\x00\x09"s "narrative"
            "\x00\x00\x00\x03"s "dk7");
}

TEST(AssociatedDataTest, WrapAssociatedDataMatchesFormatByteForByte) {
  const WrapContext context{.record_id = "r1",
                            .section = "narrative",
                            .role = "case_officer",
                            .role_key_version = 0x0A0B0C0D,
                            .data_key_id = "dk7"};
  EXPECT_EQ(WrapAssociatedData(context),
            "confidant/v1/wrap\x00"s "\x00\x00\x00\x02"s "r1" "\x00\x00\x00\x09"s "narrative"
            "\x00\x00\x00\x0c"s "case_officer" "\x0a\x0b\x0c\x0d"s "\x00\x00\x00\x03"s "dk7");
}

TEST(AssociatedDataTest, CommitmentIsKeyedBlake2bOverFormatByteForByte) {
  SecretBytes data_key = SecretBytes::Random(kDataKeySize);
  const SectionContext context{
      .record_id = "r1", .record_version = 2, .section = "health", .data_key_id = "dk7"};
  const std::string message = "confidant/v1/commit\x00"s "\x00\x00\x00\x02"s "r1"
                              "\x00\x00\x00\x00\x00\x00\x00\x02"s "\x00\x00\x00\x06"s "health"
                              "\x00\x00\x00\x03"s "dk7";
  std::string expected(kCommitmentSize, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(expected.data()), expected.size(),
                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                     data_key.RevealSecret(), data_key.size());
  EXPECT_EQ(CommitToDataKey(data_key, context), expected);
}

TEST(KeyWrappingKeyTest, DerivationIsDeterministicAndDiffersPerMaster) {
  SecretBytes master = SecretBytes::Random(kMasterKeySize);
  SecretBytes other_master = SecretBytes::Random(kMasterKeySize);
  absl::StatusOr<SecretBytes> first = DeriveKeyWrappingKey(master);
  absl::StatusOr<SecretBytes> second = DeriveKeyWrappingKey(master);
  absl::StatusOr<SecretBytes> other = DeriveKeyWrappingKey(other_master);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(first->size(), kAeadKeySize);
  EXPECT_TRUE(first->ConstantTimeEquals(*second));
  EXPECT_FALSE(first->ConstantTimeEquals(*other));
  EXPECT_FALSE(first->ConstantTimeEquals(master));
}

TEST(KeyWrappingKeyTest, DerivationMatchesLibsodiumKdfWithSubkeyOneAndContextCfdtkeys) {
  SecretBytes master = SecretBytes::Random(kMasterKeySize);
  SecretBytes expected(32);
  crypto_kdf_derive_from_key(expected.RevealSecretMutable(), 32, 1, "cfdtkeys",
                             master.RevealSecret());
  EXPECT_TRUE(DeriveKeyWrappingKey(master)->ConstantTimeEquals(expected));
}

TEST(KeyWrappingKeyTest, MasterKeyOfWrongSizeIsInvalidArgument) {
  EXPECT_THAT(DeriveKeyWrappingKey(SecretBytes::Random(16)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

class StoredKeyTest : public ::testing::Test {
 protected:
  SecretBytes kwk_ = *DeriveKeyWrappingKey(SecretBytes::Random(kMasterKeySize));
  SecretBytes role_kek_ = SecretBytes::Random(32);
  const KeyLabel label_{.purpose = "role-kek/case_officer", .version = 3};
};

TEST_F(StoredKeyTest, WrapThenUnwrapRoundTrips) {
  absl::StatusOr<std::string> wrapped = WrapStoredKey(kwk_, label_, role_kek_);
  ASSERT_THAT(wrapped, IsOk());
  absl::StatusOr<SecretBytes> unwrapped = UnwrapStoredKey(kwk_, label_, *wrapped);
  ASSERT_THAT(unwrapped, IsOk());
  EXPECT_TRUE(unwrapped->ConstantTimeEquals(role_kek_));
}

TEST_F(StoredKeyTest, UnwrapUnderOtherPurposeOrVersionFails) {
  const std::string wrapped = *WrapStoredKey(kwk_, label_, role_kek_);
  EXPECT_THAT(UnwrapStoredKey(kwk_, {.purpose = "role-kek/legal_adviser", .version = 3}, wrapped),
              kDecryptionFailedStatus);
  EXPECT_THAT(UnwrapStoredKey(kwk_, {.purpose = "role-kek/case_officer", .version = 4}, wrapped),
              kDecryptionFailedStatus);
}

TEST_F(StoredKeyTest, UnwrapWithKeyFromOtherMasterFails) {
  const std::string wrapped = *WrapStoredKey(kwk_, label_, role_kek_);
  SecretBytes other_kwk = *DeriveKeyWrappingKey(SecretBytes::Random(kMasterKeySize));
  EXPECT_THAT(UnwrapStoredKey(other_kwk, label_, wrapped), kDecryptionFailedStatus);
}

}  // namespace
}  // namespace confidant::crypto
