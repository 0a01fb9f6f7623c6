// A sealed envelope's length tells only the size bucket of the record inside it.
#include <string>

#include "base/files.h"
#include "client/vault_client.h"
#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::client {
namespace {

using ::confidant::testing::IsOk;

class SealPaddingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    absl::StatusOr<std::string> json = ReadFile(CONFIDANT_SOURCE_DIR "/deploy/examples/record.json");
    ASSERT_THAT(json, IsOk());
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &record_).ok());
    key_.set_version(1);
    key_.set_public_key(intake_.public_key);
  }

  size_t SealedSize(const std::string& narrative) {
    v1::InterviewRecord record = record_;
    record.mutable_interview()->set_narrative(narrative);
    absl::StatusOr<v1::SubmitRecordRequest> sealed =
        SealSubmission(key_, "spiffe://confidant.example/dev/visit_team", record,
                       "padding-test-01", 1'800'000'000);
    EXPECT_THAT(sealed, IsOk());
    return sealed.ok() ? sealed->sealed_envelope().size() : 0;
  }

  crypto::X25519KeyPair intake_ = crypto::X25519KeyPair::Generate();
  v1::IntakeKey key_;
  v1::InterviewRecord record_;
};

TEST_F(SealPaddingTest, RecordsOfDifferentLengthsInOneBucketSealToTheSameSize) {
  const size_t short_narrative = SealedSize("a few words");
  EXPECT_EQ(short_narrative, SealedSize(std::string(150, 'x')));
  EXPECT_EQ(SealedSize(std::string(5000, 'x')), SealedSize(std::string(6000, 'x')));
}

TEST_F(SealPaddingTest, ALongerRecordMovesToTheNextBucketOnly) {
  const size_t small = SealedSize("short");
  const size_t large = SealedSize(std::string(20000, 'x'));
  EXPECT_GT(large, small);
  // Bucket sizes plus the sealed box's fixed overhead (48 bytes), within one byte of a length
  // prefix growing at the boundary.
  EXPECT_NEAR(static_cast<double>(large - 48), 32768.0, 2.0);
}

}  // namespace
}  // namespace confidant::client
