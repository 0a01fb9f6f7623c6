#include "crypto/padding.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;

TEST(PaddingTest, BucketIsSmallestPowerOfTwoAboveLengthFromOneKibibyte) {
  EXPECT_EQ(PaddingBucket(0), 1024u);
  EXPECT_EQ(PaddingBucket(1), 1024u);
  EXPECT_EQ(PaddingBucket(1023), 1024u);
  EXPECT_EQ(PaddingBucket(1024), 2048u);
  EXPECT_EQ(PaddingBucket(2047), 2048u);
  EXPECT_EQ(PaddingBucket(2048), 4096u);
  EXPECT_EQ(PaddingBucket(4095), 4096u);
  EXPECT_EQ(PaddingBucket(kMaxPaddedSize - 1), kMaxPaddedSize);
}

TEST(PaddingTest, PaddedLengthIsTheBucket) {
  for (size_t length : {0, 1, 1023, 1024, 2047, 2048, 5000}) {
    SCOPED_TRACE(length);
    absl::StatusOr<std::string> padded = PadToBucket(std::string(length, 'a'));
    ASSERT_THAT(padded, IsOk());
    EXPECT_EQ(padded->size(), PaddingBucket(length));
  }
}

TEST(PaddingTest, PadThenUnpadRoundTrips) {
  for (const std::string& plaintext :
       {std::string(), std::string("x"), std::string(1023, '\x80'), std::string(1024, '\0'),
        std::string("ends in marker\x80", 15)}) {
    absl::StatusOr<std::string> padded = PadToBucket(plaintext);
    ASSERT_THAT(padded, IsOk());
    absl::StatusOr<std::string> unpadded = Unpad(*padded);
    ASSERT_THAT(unpadded, IsOk());
    EXPECT_EQ(*unpadded, plaintext);
  }
}

TEST(PaddingTest, ShortAndLongPlaintextsInSameBucketHaveEqualPaddedLength) {
  EXPECT_EQ(PadToBucket("no")->size(), PadToBucket(std::string(1000, 'y'))->size());
}

TEST(PaddingTest, LargestAcceptedPlaintextFillsTheLargestBucket) {
  absl::StatusOr<std::string> padded = PadToBucket(std::string(kMaxPaddedSize - 1, 'z'));
  ASSERT_THAT(padded, IsOk());
  EXPECT_EQ(padded->size(), kMaxPaddedSize);
}

TEST(PaddingTest, PlaintextBeyondMaxPaddedSizeIsInvalidArgument) {
  EXPECT_THAT(PadToBucket(std::string(kMaxPaddedSize, 'z')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PaddingTest, MalformedPaddingIsDataLoss) {
  std::string no_marker(1024, '\0');
  std::string junk_after_marker = *PadToBucket("abc");
  junk_after_marker.back() = '\x01';
  std::string not_a_bucket = PadToBucket("abc")->substr(0, 1000);
  not_a_bucket[999] = '\x80';
  std::string non_power_of_two_bucket(1536, '\0');
  non_power_of_two_bucket[10] = '\x80';
  std::string too_large(2 * kMaxPaddedSize, '\0');
  too_large[0] = '\x80';
  for (const std::string& padded :
       {std::string(), no_marker, junk_after_marker, not_a_bucket, non_power_of_two_bucket,
        too_large}) {
    EXPECT_THAT(Unpad(padded), StatusIs(absl::StatusCode::kDataLoss, "decryption failed"));
  }
}

}  // namespace
}  // namespace confidant::crypto
