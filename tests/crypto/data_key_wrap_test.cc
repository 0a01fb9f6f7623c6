// WrapDataKey / UnwrapDataKey / CommitToDataKey from crypto/key_hierarchy.h.
#include <string>

#include "crypto/key_hierarchy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;

const auto kDecryptionFailedStatus = StatusIs(absl::StatusCode::kDataLoss, "decryption failed");

class DataKeyWrapTest : public ::testing::Test {
 protected:
  absl::StatusOr<SecretBytes> Unwrap(const WrapContext& wrap, const std::string& wrapped) {
    return UnwrapDataKey(role_kek_, wrap, wrapped, section_, commitment_);
  }

  SecretBytes role_kek_ = SecretBytes::Random(32);
  SecretBytes data_key_ = SecretBytes::Random(kDataKeySize);
  const SectionContext section_{
      .record_id = "rec-0001", .record_version = 4, .section = "health", .data_key_id = "dk-9"};
  const WrapContext wrap_{.record_id = "rec-0001",
                          .section = "health",
                          .role = "health_reviewer",
                          .role_key_version = 2,
                          .data_key_id = "dk-9"};
  const std::string commitment_ = CommitToDataKey(data_key_, section_);
  const std::string wrapped_ = *WrapDataKey(role_kek_, wrap_, data_key_);
};

TEST_F(DataKeyWrapTest, WrapThenUnwrapRoundTrips) {
  absl::StatusOr<SecretBytes> unwrapped = Unwrap(wrap_, wrapped_);
  ASSERT_THAT(unwrapped, IsOk());
  EXPECT_TRUE(unwrapped->ConstantTimeEquals(data_key_));
}

TEST_F(DataKeyWrapTest, CommitmentIsDeterministicAndBoundToKeyAndContext) {
  EXPECT_EQ(commitment_.size(), kCommitmentSize);
  EXPECT_EQ(CommitToDataKey(data_key_, section_), commitment_);
  EXPECT_NE(CommitToDataKey(SecretBytes::Random(kDataKeySize), section_), commitment_);
  SectionContext next_version = section_;
  next_version.record_version = 5;
  EXPECT_NE(CommitToDataKey(data_key_, next_version), commitment_);
}

TEST_F(DataKeyWrapTest, WrapMovedToOtherRoleFailsToOpen) {
  WrapContext moved = wrap_;
  moved.role = "legal_adviser";
  EXPECT_THAT(Unwrap(moved, wrapped_), kDecryptionFailedStatus);
}

TEST_F(DataKeyWrapTest, WrapMovedToOtherRoleKeyVersionFailsToOpen) {
  WrapContext moved = wrap_;
  moved.role_key_version = 3;
  EXPECT_THAT(Unwrap(moved, wrapped_), kDecryptionFailedStatus);
}

TEST_F(DataKeyWrapTest, WrapMovedToOtherRecordFailsToOpen) {
  WrapContext moved = wrap_;
  moved.record_id = "rec-0002";
  SectionContext moved_section = section_;
  moved_section.record_id = "rec-0002";
  EXPECT_THAT(UnwrapDataKey(role_kek_, moved, wrapped_, moved_section,
                            CommitToDataKey(data_key_, moved_section)),
              kDecryptionFailedStatus);
}

TEST_F(DataKeyWrapTest, WrapMovedToOtherSectionFailsToOpen) {
  WrapContext moved = wrap_;
  moved.section = "narrative";
  SectionContext moved_section = section_;
  moved_section.section = "narrative";
  EXPECT_THAT(UnwrapDataKey(role_kek_, moved, wrapped_, moved_section,
                            CommitToDataKey(data_key_, moved_section)),
              kDecryptionFailedStatus);
}

TEST_F(DataKeyWrapTest, WrapAndSectionNamingDifferentDataKeysFailsToOpen) {
  SectionContext other_section = section_;
  other_section.data_key_id = "dk-10";
  EXPECT_THAT(UnwrapDataKey(role_kek_, wrap_, wrapped_, other_section,
                            CommitToDataKey(data_key_, other_section)),
              kDecryptionFailedStatus);
}

TEST_F(DataKeyWrapTest, WrongRoleKekFailsToOpen) {
  EXPECT_THAT(UnwrapDataKey(SecretBytes::Random(32), wrap_, wrapped_, section_, commitment_),
              kDecryptionFailedStatus);
}

TEST_F(DataKeyWrapTest, WrongCommitmentFailsToOpen) {
  std::string wrong = commitment_;
  wrong[0] ^= 0x01;
  EXPECT_THAT(UnwrapDataKey(role_kek_, wrap_, wrapped_, section_, wrong),
              kDecryptionFailedStatus);
  EXPECT_THAT(UnwrapDataKey(role_kek_, wrap_, wrapped_, section_, commitment_.substr(1)),
              kDecryptionFailedStatus);
}

TEST_F(DataKeyWrapTest, ForgedWrapOfDifferentDataKeyIsRejectedByCommitment) {
  // Someone holding the role KEK wraps a different data key with the correct AD: the AEAD
  // accepts it, so only the commitment stops this role from opening a different plaintext.
  SecretBytes substitute = SecretBytes::Random(kDataKeySize);
  const std::string forged = *WrapDataKey(role_kek_, wrap_, substitute);
  EXPECT_THAT(UnwrapDataKey(role_kek_, wrap_, forged, section_,
                            CommitToDataKey(substitute, section_)),
              IsOk());  // The forged wrap itself is a valid AEAD ciphertext...
  EXPECT_THAT(Unwrap(wrap_, forged), kDecryptionFailedStatus);  // ...the commitment rejects it.
}

TEST_F(DataKeyWrapTest, DataKeyOfWrongSizeIsInvalidArgument) {
  EXPECT_THAT(WrapDataKey(role_kek_, wrap_, SecretBytes::Random(16)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace confidant::crypto
