// EncryptSection / DecryptSection from crypto/key_hierarchy.h.
#include <string>

#include "crypto/key_hierarchy.h"
#include "crypto/padding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;

const auto kDecryptionFailedStatus = StatusIs(absl::StatusCode::kDataLoss, "decryption failed");

class SectionEncryptionTest : public ::testing::Test {
 protected:
  SecretBytes data_key_ = SecretBytes::Random(kDataKeySize);
  const SectionContext context_{.record_id = "rec-0001",
                                .record_version = 1,
                                .section = "narrative",
                                .data_key_id = "dk-1"};
  const std::string narrative_ = "Detainee reports no access to legal counsel for 12 days.";
};

TEST_F(SectionEncryptionTest, EncryptThenDecryptRoundTrips) {
  absl::StatusOr<std::string> ciphertext = EncryptSection(data_key_, context_, narrative_);
  ASSERT_THAT(ciphertext, IsOk());
  EXPECT_EQ(ciphertext->find(narrative_), std::string::npos);
  absl::StatusOr<std::string> plaintext = DecryptSection(data_key_, context_, *ciphertext);
  ASSERT_THAT(plaintext, IsOk());
  EXPECT_EQ(*plaintext, narrative_);
}

TEST_F(SectionEncryptionTest, SectionCiphertextMovedToOtherRecordFailsToOpen) {
  const std::string ciphertext = *EncryptSection(data_key_, context_, narrative_);
  SectionContext moved = context_;
  moved.record_id = "rec-0002";
  EXPECT_THAT(DecryptSection(data_key_, moved, ciphertext), kDecryptionFailedStatus);
}

TEST_F(SectionEncryptionTest, SectionCiphertextMovedToOtherRecordVersionFailsToOpen) {
  const std::string ciphertext = *EncryptSection(data_key_, context_, narrative_);
  SectionContext moved = context_;
  moved.record_version = 2;
  EXPECT_THAT(DecryptSection(data_key_, moved, ciphertext), kDecryptionFailedStatus);
}

TEST_F(SectionEncryptionTest, SectionCiphertextMovedToOtherSectionFailsToOpen) {
  const std::string ciphertext = *EncryptSection(data_key_, context_, narrative_);
  SectionContext moved = context_;
  moved.section = "health";
  EXPECT_THAT(DecryptSection(data_key_, moved, ciphertext), kDecryptionFailedStatus);
}

TEST_F(SectionEncryptionTest, SectionCiphertextUnderOtherDataKeyIdFailsToOpen) {
  const std::string ciphertext = *EncryptSection(data_key_, context_, narrative_);
  SectionContext moved = context_;
  moved.data_key_id = "dk-2";
  EXPECT_THAT(DecryptSection(data_key_, moved, ciphertext), kDecryptionFailedStatus);
}

TEST_F(SectionEncryptionTest, WrongDataKeyOrTamperedCiphertextFailsToOpen) {
  std::string ciphertext = *EncryptSection(data_key_, context_, narrative_);
  EXPECT_THAT(DecryptSection(SecretBytes::Random(kDataKeySize), context_, ciphertext),
              kDecryptionFailedStatus);
  ciphertext[ciphertext.size() / 2] ^= 0x01;
  EXPECT_THAT(DecryptSection(data_key_, context_, ciphertext), kDecryptionFailedStatus);
}

TEST_F(SectionEncryptionTest, ShortAndLongNarrativesInSameBucketHaveEqualCiphertextSizes) {
  const std::string short_ciphertext = *EncryptSection(data_key_, context_, "Yes.");
  const std::string long_ciphertext = *EncryptSection(data_key_, context_, std::string(1000, 'n'));
  EXPECT_EQ(short_ciphertext.size(), long_ciphertext.size());
  EXPECT_EQ(short_ciphertext.size(), 24 + kMinPaddingBucket + 16);
}

TEST_F(SectionEncryptionTest, OversizedSectionIsInvalidArgument) {
  EXPECT_THAT(EncryptSection(data_key_, context_, std::string(kMaxPaddedSize, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace confidant::crypto
