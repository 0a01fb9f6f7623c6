// The gRPC health check over real mTLS (server/health_service.h): any person the policy knows
// gets SERVING (NOT_SERVING while sealed: sealed_vault_test.cc), every call is audited and
// repeats merge; a certificate the policy does not know is UNAUTHENTICATED; a named service is
// NOT_FOUND; and the reporting listener answers no health check at all.
#include <memory>
#include <string>

#include "confidant/v1/health.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/certificates.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class HealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
  }

  static grpc::Status Check(const std::shared_ptr<grpc::Channel>& channel,
                            HealthCheckResponse* response, const std::string& service = "") {
    grpc::ClientContext context;
    SetTestDeadline(context);
    HealthCheckRequest request;
    request.set_service(service);
    return Health::NewStub(channel)->Check(&context, request, response);
  }

  std::unique_ptr<VaultProcess> vault_;
};

TEST_F(HealthTest, AKnownPersonIsToldServingAndRepeatedChecksMergeInTheLog) {
  for (const char* who : {"case_officer", "visit_team", "custodian"}) {
    HealthCheckResponse response;
    ASSERT_TRUE(Check(ChannelAs(*vault_, who), &response).ok()) << who;
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING) << who;
  }
  const auto officer = ChannelAs(*vault_, "case_officer");
  for (int i = 0; i < 30; ++i) {
    HealthCheckResponse response;
    ASSERT_TRUE(Check(officer, &response).ok());
  }
  const std::vector<v1::AuditEvent> events = AuditEventsWithAction(*vault_, "check_health");
  ASSERT_FALSE(events.empty()) << "health checks are audited";
  EXPECT_LE(events.size(), 6u) << "31 checks by one person merge into a count";
  for (const v1::AuditEvent& event : events) {
    EXPECT_EQ(event.decision(), v1::ALLOW);
    EXPECT_EQ(event.rule(), "allow:health-open-to-every-person");
  }
}

TEST_F(HealthTest, AnUnknownCertificateANamedServiceAndUnknownFieldsAreRefused) {
  absl::StatusOr<pki::KeyAndCertificate> ca = LoadDevCa(*vault_);
  ASSERT_THAT(ca, IsOk());
  auto leaf = pki::IssueCertificate(*ca, ClientSpec({"spiffe://confidant.example/stranger"}));
  ASSERT_THAT(leaf, IsOk());
  auto stranger = IdentityWithLeaf(*vault_, "case_officer", *leaf,
                                   "spiffe://confidant.example/stranger");
  ASSERT_THAT(stranger, IsOk());
  HealthCheckResponse response;
  EXPECT_EQ(Check(RawChannel(vault_->address(), *stranger), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(response.status(), HealthCheckResponse::UNKNOWN) << "told nothing";

  const grpc::Status named = Check(ChannelAs(*vault_, "case_officer"), &response,
                                   "confidant.v1.RecordService");
  EXPECT_EQ(named.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(named.error_message(), HasSubstr("whole server"));

  grpc::ClientContext context;
  SetTestDeadline(context);
  HealthCheckRequest request;
  request.GetReflection()->MutableUnknownFields(&request)->AddVarint(9, 1);
  EXPECT_EQ(Health::NewStub(ChannelAs(*vault_, "case_officer"))
                ->Check(&context, request, &response)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  bool stranger_audited = false;
  for (const v1::AuditEvent& event : AuditEventsWithAction(*vault_, "check_health")) {
    if (event.principal() == "spiffe://confidant.example/stranger") {
      stranger_audited = true;
      EXPECT_EQ(event.decision(), v1::DENY);
      EXPECT_EQ(event.status_code(), "UNAUTHENTICATED");
    }
  }
  EXPECT_TRUE(stranger_audited);
}

TEST_F(HealthTest, TheReportingListenerAnswersNoHealthCheck) {
  absl::StatusOr<client::ClientIdentity> reporting =
      client::ClientIdentity::Load(vault_->identity_dir("reporting"));
  ASSERT_THAT(reporting, IsOk());
  HealthCheckResponse response;
  EXPECT_EQ(Check(RawChannel(vault_->reporting_address(), *reporting), &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

}  // namespace
}  // namespace confidant::testing
