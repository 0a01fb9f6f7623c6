#include "client/report/report_verify.h"

#include <string>

#include "absl/strings/escaping.h"
#include "base/files.h"
#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/report/sample_release.h"
#include "tests/testing/status_matchers.h"

namespace confidant::report {
namespace {

using ::confidant::testing::StatusIs;

class VerifyReleaseTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::InitCrypto().ok()); }

  std::string Sign(const std::string& release_bytes) {
    v1::SignedRelease envelope;
    envelope.set_release(release_bytes);
    envelope.set_signature(crypto::Sign(key_, ReleaseSigningBytes(release_bytes)));
    envelope.set_release_key_version(1);
    envelope.set_release_public_key(key_.public_key);
    return envelope.SerializeAsString();
  }

  crypto::Ed25519KeyPair key_ = crypto::Ed25519KeyPair::Generate();
  std::string release_bytes_ = testing::SampleRelease().SerializeAsString();
};

TEST_F(VerifyReleaseTest, SigningBytesAreContextNulThenRelease) {
  EXPECT_EQ(ReleaseSigningBytes("xy"), std::string("confidant/v1/release\0xy", 23));
}

TEST_F(VerifyReleaseTest, GoodSignatureIsAccepted) {
  absl::StatusOr<VerifiedRelease> verified =
      VerifySignedRelease(Sign(release_bytes_), "", "persons_by_facility_quarter", "2026Q3");
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->release.cells_size(), 3);
  EXPECT_EQ(verified->public_key, key_.public_key);
  EXPECT_EQ(verified->key_version, 1u);
}

TEST_F(VerifyReleaseTest, GoodSignatureUnderTheRequiredKeyIsAccepted) {
  EXPECT_TRUE(VerifySignedRelease(Sign(release_bytes_), key_.public_key, "", "").ok());
}

TEST_F(VerifyReleaseTest, TamperedReleaseIsRefused) {
  v1::SignedRelease envelope;
  ASSERT_TRUE(envelope.ParseFromString(Sign(release_bytes_)));
  v1::Release changed = testing::SampleRelease();
  changed.mutable_cells(1)->set_value("5");  // unsuppress a small cell
  envelope.set_release(changed.SerializeAsString());
  EXPECT_THAT(VerifySignedRelease(envelope.SerializeAsString(), "", "", ""),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(VerifyReleaseTest, FlippedSignatureBitIsRefused) {
  v1::SignedRelease envelope;
  ASSERT_TRUE(envelope.ParseFromString(Sign(release_bytes_)));
  std::string signature = envelope.signature();
  signature[5] ^= 1;
  envelope.set_signature(signature);
  EXPECT_THAT(VerifySignedRelease(envelope.SerializeAsString(), "", "", ""),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(VerifyReleaseTest, AnotherSignerIsRefusedWhenAKeyIsRequired) {
  const crypto::Ed25519KeyPair other = crypto::Ed25519KeyPair::Generate();
  EXPECT_THAT(VerifySignedRelease(Sign(release_bytes_), other.public_key, "", ""),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(VerifyReleaseTest, AnotherTableOrPeriodThanAskedIsRefused) {
  EXPECT_THAT(VerifySignedRelease(Sign(release_bytes_), "", "other_table", "2026Q3"),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(VerifySignedRelease(Sign(release_bytes_), "", "persons_by_facility_quarter", "2026Q2"),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(VerifyReleaseTest, MalformedBytesAreRefused) {
  EXPECT_FALSE(VerifySignedRelease("\xff\xff\xff", "", "", "").ok());
}

TEST_F(VerifyReleaseTest, ReleaseKeyFlagTakesBase64OrAFile) {
  const std::string base64 = absl::Base64Escape(key_.public_key);
  absl::StatusOr<std::string> parsed = ParseReleaseKey(base64);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, key_.public_key);
  const std::string path = ::testing::TempDir() + "/release_key.pub";
  ASSERT_TRUE(WriteFileAtomically(path, base64 + "\n", 0600).ok());
  parsed = ParseReleaseKey(path);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, key_.public_key);
  EXPECT_THAT(ParseReleaseKey("not-a-key"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace confidant::report
