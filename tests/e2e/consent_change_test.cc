// Consent can be withdrawn (and given again) after the interview: an audited, append-only
// change that the next read obeys.
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "grpcpp/client_context.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

class ConsentChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    auto submitted = vault_->ClientAs("visit_team")->Submit(SyntheticRecord("consent"), "consent-0001");
    ASSERT_THAT(submitted, IsOk());
    record_id_ = submitted->record_id();
  }

  absl::Status Change(const std::string& who, v1::Purpose purpose, bool given) {
    v1::RecordConsentRequest request;
    request.set_record_id(record_id_);
    request.set_purpose(purpose);
    request.set_given(given);
    request.set_recorded_on("2026-11-20");
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::RecordConsentResponse response;
    return client::FromGrpc(vault_->ClientAs(who)->stub().RecordConsent(&context, request, &response));
  }

  absl::StatusOr<v1::GetRecordResponse> ReadForMedicalReferral() {
    v1::GetRecordRequest request;
    request.set_record_id(record_id_);
    request.set_purpose(v1::MEDICAL_REFERRAL);
    return vault_->ClientAs("health_reviewer")->Get(request);
  }

  std::unique_ptr<VaultProcess> vault_;
  std::string record_id_;
};

TEST_F(ConsentChangeTest, WithdrawnConsentStopsTheReadAndGivenAgainAllowsIt) {
  ASSERT_THAT(ReadForMedicalReferral(), IsOk());  // consent recorded at the interview
  ASSERT_THAT(Change("case_officer", v1::MEDICAL_REFERRAL, false), IsOk());
  EXPECT_THAT(ReadForMedicalReferral(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("consent")));
  ASSERT_THAT(Change("case_officer", v1::MEDICAL_REFERRAL, true), IsOk());
  absl::StatusOr<v1::GetRecordResponse> again = ReadForMedicalReferral();
  ASSERT_THAT(again, IsOk());
  bool shown = false;
  for (const v1::Consent& c : again->consents()) {
    if (c.purpose() == v1::MEDICAL_REFERRAL) {
      shown = true;
      EXPECT_TRUE(c.given());
      EXPECT_EQ(c.recorded_on(), "2026-11-20");  // the newest change is what the record shows
    }
  }
  EXPECT_TRUE(shown);
}

TEST_F(ConsentChangeTest, OnlyInScopePersonsWhoMayRecordConsentCanChangeIt) {
  EXPECT_THAT(Change("visit_team", v1::MEDICAL_REFERRAL, false),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Change("health_reviewer", v1::MEDICAL_REFERRAL, false),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Change("case_officer_on", v1::MEDICAL_REFERRAL, false),  // a Quebec record
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("scope")));
  EXPECT_THAT(ReadForMedicalReferral(), IsOk());  // nothing changed
}

TEST_F(ConsentChangeTest, BadInputIsRefusedAndChangesNothing) {
  EXPECT_THAT(Change("case_officer", v1::PURPOSE_UNSPECIFIED, false),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::RecordConsentRequest request;
  request.set_record_id(record_id_);
  request.set_purpose(v1::MEDICAL_REFERRAL);
  request.set_recorded_on("2026-13-45");
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::RecordConsentResponse response;
  EXPECT_EQ(vault_->ClientAs("case_officer")->stub().RecordConsent(&context, request, &response)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ReadForMedicalReferral(), IsOk());
}

}  // namespace
}  // namespace confidant::testing
