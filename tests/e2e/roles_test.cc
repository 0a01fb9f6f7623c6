// Each role gets exactly its sections over real mTLS, and nothing else.
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RolesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    auto submitter = vault_->ClientAs("visit_team");
    ASSERT_NE(submitter, nullptr);
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        submitter->Submit(SyntheticRecord("roles"), "roles-test-0001");
    ASSERT_THAT(submitted, IsOk());
    record_id_ = submitted->record_id();
  }

  absl::StatusOr<v1::GetRecordResponse> GetAs(const std::string& role, v1::Purpose purpose) {
    v1::GetRecordRequest request;
    request.set_record_id(record_id_);
    request.set_purpose(purpose);
    return vault_->ClientAs(role)->Get(request);
  }

  std::unique_ptr<VaultProcess> vault_;
  std::string record_id_;
};

TEST_F(RolesTest, CaseOfficerGetsIdentityInterviewAndLegalOnly) {
  absl::StatusOr<v1::GetRecordResponse> got = GetAs("case_officer", v1::FOLLOW_UP);
  ASSERT_THAT(got, IsOk());
  EXPECT_THAT(got->sections_released(), ElementsAre(v1::IDENTITY, v1::INTERVIEW, v1::LEGAL));
  EXPECT_EQ(got->identity().full_name(), "roles name");
  EXPECT_EQ(got->interview().narrative(), "roles narrative");
  EXPECT_EQ(got->legal().proceedings(), "roles proceedings");
  EXPECT_FALSE(got->has_health());
  EXPECT_EQ(got->visit().facility_id(), "qc-lav-ihc");
}

TEST_F(RolesTest, HealthReviewerGetsHealthAndInterviewButNoIdentity) {
  absl::StatusOr<v1::GetRecordResponse> got = GetAs("health_reviewer", v1::MEDICAL_REFERRAL);
  ASSERT_THAT(got, IsOk());
  EXPECT_THAT(got->sections_released(), ElementsAre(v1::INTERVIEW, v1::HEALTH));
  EXPECT_EQ(got->health().needs(), "roles needs");
  EXPECT_FALSE(got->has_identity());
  EXPECT_FALSE(got->has_legal());
}

TEST_F(RolesTest, LegalAdviserGetsIdentityInterviewAndLegal) {
  absl::StatusOr<v1::GetRecordResponse> got = GetAs("legal_adviser", v1::LEGAL_REFERRAL);
  ASSERT_THAT(got, IsOk());
  EXPECT_THAT(got->sections_released(), ElementsAre(v1::IDENTITY, v1::INTERVIEW, v1::LEGAL));
  EXPECT_FALSE(got->has_health());
}

TEST_F(RolesTest, VisitTeamAndNonReadingRolesAreRefused) {
  for (const char* role : {"visit_team", "reporting", "auditor", "custodian", "approver"}) {
    EXPECT_THAT(GetAs(role, v1::FOLLOW_UP), StatusIs(absl::StatusCode::kPermissionDenied))
        << role;
  }
}

TEST_F(RolesTest, PurposeNotGrantedToRoleIsRefused) {
  EXPECT_THAT(GetAs("health_reviewer", v1::FOLLOW_UP),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("purpose")));
}

TEST_F(RolesTest, MissingPurposeIsInvalidArgument) {
  EXPECT_THAT(GetAs("case_officer", v1::PURPOSE_UNSPECIFIED),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RolesTest, ListShowsMetadataToReadingRolesOnly) {
  absl::StatusOr<v1::ListRecordsResponse> listed =
      vault_->ClientAs("case_officer")->List(v1::ListRecordsRequest());
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->records_size(), 1);
  EXPECT_EQ(listed->records(0).record_id(), record_id_);
  EXPECT_THAT(vault_->ClientAs("visit_team")->List(v1::ListRecordsRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(vault_->ClientAs("reporting")->List(v1::ListRecordsRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace confidant::testing
