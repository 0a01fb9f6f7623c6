// Self-approval over real mTLS: a signed policy (version 2) adds one person who is both an
// Ontario case officer and an approver, with two certificates from the dev CA. That person
// requests break-glass on a Quebec record and then tries to approve it, from either
// certificate: PERMISSION_DENIED naming deny:self-approval, and each attempt's audit entry names
// the rule. Separation of duties counts persons, not certificates.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "base/files.h"
#include "confidant/v1/audit.grpc.pb.h"
#include "confidant/v1/record_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/certificates.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/policy_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kLaptop[] = "spiffe://confidant.example/e2e/officer-approver-laptop";
constexpr char kPhone[] = "spiffe://confidant.example/e2e/officer-approver-phone";

constexpr char kOfficerApprover[] = R"(
persons {
  id: "officer_approver"
  display_name: "E2E case officer who also approves"
  certificates: ["spiffe://confidant.example/e2e/officer-approver-laptop",
                 "spiffe://confidant.example/e2e/officer-approver-phone"]
  roles: [CASE_OFFICER, APPROVER]
  scope { regions: [ONTARIO] }
}
)";

class SelfApprovalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    absl::StatusOr<std::string> text = ReadFile(DevPolicyPath(*vault_));
    ASSERT_THAT(text, IsOk());
    ASSERT_THAT(*text, HasSubstr("\nversion: 1\n"));
    const std::string next =
        absl::StrReplaceAll(*text, {{"\nversion: 1\n", "\nversion: 2\n"}}) + kOfficerApprover;
    ASSERT_THAT(InstallAndReloadDevPolicy(*vault_, next), IsOk());

    absl::StatusOr<pki::KeyAndCertificate> ca = LoadDevCa(*vault_);
    ASSERT_THAT(ca, IsOk());
    for (const char* uri : {kLaptop, kPhone}) {
      absl::StatusOr<pki::KeyAndCertificate> leaf = pki::IssueCertificate(*ca, ClientSpec({uri}));
      ASSERT_THAT(leaf, IsOk());
      absl::StatusOr<client::ClientIdentity> identity =
          IdentityWithLeaf(*vault_, "case_officer", *leaf, uri);
      ASSERT_THAT(identity, IsOk());
      channels_.push_back(RawChannel(vault_->address(), *identity));
    }
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        vault_->ClientAs("visit_team")->Submit(SyntheticRecord("self-approval"), "self-approve-01");
    ASSERT_THAT(submitted, IsOk());
    quebec_record_ = submitted->record_id();
  }

  // RecordService over certificate `i` (0: laptop, 1: phone) of the officer-approver.
  std::unique_ptr<v1::RecordService::Stub> Stub(int i) {
    return v1::RecordService::NewStub(channels_[i]);
  }

  grpc::Status Decide(int i, const std::string& request_id, bool approve) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::DecideBreakGlassRequest request;
    request.set_request_id(request_id);
    request.set_approve(approve);
    v1::DecideBreakGlassResponse response;
    return Stub(i)->DecideBreakGlass(&context, request, &response);
  }

  std::unique_ptr<VaultProcess> vault_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::string quebec_record_;
};

TEST_F(SelfApprovalTest, APersonCannotApproveTheirOwnRequestFromAnyOfTheirCertificates) {
  std::string request_id;
  {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::RequestBreakGlassRequest request;
    request.set_record_id(quebec_record_);
    request.set_purpose(v1::FOLLOW_UP);
    request.set_reason("detainee transferred to Ontario");
    v1::RequestBreakGlassResponse response;
    grpc::Status requested = Stub(0)->RequestBreakGlass(&context, request, &response);
    ASSERT_TRUE(requested.ok()) << requested.error_message();
    request_id = response.request_id();
  }
  // The approver role lets this person list requests, but never their own.
  {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::ListBreakGlassRequestsResponse listed;
    ASSERT_TRUE(Stub(1)->ListBreakGlassRequests(&context, {}, &listed).ok());
    for (const auto& r : listed.requests()) EXPECT_NE(r.request_id(), request_id);
  }
  for (int i : {0, 1}) {
    grpc::Status approved = Decide(i, request_id, true);
    EXPECT_EQ(approved.error_code(), grpc::StatusCode::PERMISSION_DENIED) << i;
    EXPECT_THAT(approved.error_message(), HasSubstr("deny:self-approval")) << i;
    EXPECT_EQ(Decide(i, request_id, false).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  // Nothing was granted: the record is still out of scope for the requester.
  {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::GetRecordRequest request;
    request.set_record_id(quebec_record_);
    request.set_purpose(v1::FOLLOW_UP);
    v1::GetRecordResponse response;
    grpc::Status read = Stub(1)->GetRecord(&context, request, &response);
    EXPECT_EQ(read.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(read.error_message(), HasSubstr("deny:scope"));
  }

  // A denial entry per certificate, each naming the rule and the request's record; then a
  // different person can still approve the request.
  std::vector<std::string> denied_principals;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
    const v1::AuditEvent& e = entry.event();
    if (e.action() != "approve_break_glass" || e.decision() != v1::DENY) continue;
    EXPECT_EQ(e.rule(), "deny:self-approval");
    EXPECT_THAT(e.record_ids(), ::testing::ElementsAre(quebec_record_));
    denied_principals.push_back(e.principal());
  }
  EXPECT_THAT(denied_principals,
              ::testing::IsSupersetOf({std::string(kLaptop), std::string(kPhone)}));
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::DecideBreakGlassRequest request;
  request.set_request_id(request_id);
  request.set_approve(true);
  v1::DecideBreakGlassResponse response;
  grpc::Status approved = v1::RecordService::NewStub(ChannelAs(*vault_, "approver"))
                              ->DecideBreakGlass(&context, request, &response);
  ASSERT_TRUE(approved.ok()) << approved.error_message();
  EXPECT_TRUE(response.granted());
}

}  // namespace
}  // namespace confidant::testing
