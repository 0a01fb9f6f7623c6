// Every RPC that reaches a handler leaves exactly one audit entry (or joins one merged count),
// allowed, denied or malformed; entries say who, what, why and how it ended, and their content
// never reaches the disk in clear.
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/strings/escaping.h"
#include "client/log_client.h"
#include "confidant/v1/audit.grpc.pb.h"
#include "crypto/merkle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/canary_scanner.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

class AuditEntriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
  }

  std::shared_ptr<grpc::Channel> ChannelAs(const std::string& role) {
    return testing::ChannelAs(*vault_, role);
  }

  static std::string RequestId(const grpc::ClientContext& context) { return RequestIdOf(context); }

  // Every entry from index `from` on, as the auditor reads them.
  std::vector<v1::AuditEntry> EntriesFrom(uint64_t from) { return AuditEntriesFrom(*vault_, from); }

  uint64_t LogSize() {
    auto stub = v1::LogService::NewStub(ChannelAs("auditor"));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::GetCheckpointResponse response;
    EXPECT_TRUE(stub->GetCheckpoint(&context, v1::GetCheckpointRequest(), &response).ok());
    return response.checkpoint().tree_size();
  }

  std::string SubmitOne() {
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        vault_->ClientAs("visit_team")->Submit(SyntheticRecord("audit"), "audit-entries-01");
    EXPECT_THAT(submitted, IsOk());
    return submitted.ok() ? submitted->record_id() : "";
  }

  std::unique_ptr<VaultProcess> vault_;
};

TEST_F(AuditEntriesTest, EveryCallOfEveryServiceLeavesExactlyOneEntry) {
  const std::string record_id = SubmitOne();
  const uint64_t start = LogSize() + 1;  // past this GetCheckpoint's own entry
  struct Expected {
    std::string action;
    v1::AuditDecision decision;
    std::string code;
  };
  std::map<std::string, Expected> calls;  // request id -> what its entry must say
  auto get = [&](const std::string& role, const std::string& id, v1::Purpose purpose,
                 const Expected& expected) {
    auto stub = v1::RecordService::NewStub(ChannelAs(role));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::GetRecordRequest request;
    request.set_record_id(id);
    request.set_purpose(purpose);
    request.set_reason("checking entries");
    v1::GetRecordResponse response;
    stub->GetRecord(&context, request, &response);
    calls[RequestId(context)] = expected;
  };
  get("case_officer", record_id, v1::FOLLOW_UP, {"get_record", v1::ALLOW, "OK"});
  get("visit_team", record_id, v1::FOLLOW_UP, {"get_record", v1::DENY, "PERMISSION_DENIED"});
  get("case_officer", "not-an-id", v1::FOLLOW_UP, {"get_record", v1::DENY, "INVALID_ARGUMENT"});
  get("case_officer", std::string(32, 'a'), v1::FOLLOW_UP, {"get_record", v1::ALLOW, "NOT_FOUND"});
  get("health_reviewer", record_id, v1::FOLLOW_UP, {"get_record", v1::DENY, "PERMISSION_DENIED"});
  {
    auto stub = v1::RecordService::NewStub(ChannelAs("reporting"));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::ListRecordsResponse response;
    stub->ListRecords(&context, v1::ListRecordsRequest(), &response);
    calls[RequestId(context)] = {"list_records", v1::DENY, "PERMISSION_DENIED"};
  }
  {
    auto stub = v1::RecordService::NewStub(ChannelAs("case_officer"));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::IntakeKey response;
    stub->GetIntakeKey(&context, v1::GetIntakeKeyRequest(), &response);
    calls[RequestId(context)] = {"get_intake_key", v1::DENY, "PERMISSION_DENIED"};
  }
  {
    auto stub = v1::LogService::NewStub(ChannelAs("legal_adviser"));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::GetConsistencyProofRequest request;
    request.set_old_size(1);
    request.set_new_size(2);
    v1::ConsistencyProof response;
    EXPECT_TRUE(stub->GetConsistencyProof(&context, request, &response).ok());
    calls[RequestId(context)] = {"read_checkpoint", v1::ALLOW, "OK"};
  }
  {
    auto stub = v1::AuditService::NewStub(ChannelAs("case_officer"));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::InclusionProof response;
    stub->GetInclusionProof(&context, v1::GetInclusionProofRequest(), &response);
    calls[RequestId(context)] = {"read_audit", v1::DENY, "PERMISSION_DENIED"};
  }
  {
    // A valid certificate of the vault's CA whose principal the policy does not know.
    absl::StatusOr<pki::KeyAndCertificate> ca = LoadDevCa(*vault_);
    ASSERT_THAT(ca, IsOk());
    auto leaf = pki::IssueCertificate(*ca, ClientSpec({"spiffe://confidant.example/stranger"}));
    ASSERT_THAT(leaf, IsOk());
    auto identity = IdentityWithLeaf(*vault_, "case_officer", *leaf, "spiffe://confidant.example/stranger");
    ASSERT_THAT(identity, IsOk());
    auto stub = v1::RecordService::NewStub(RawChannel(vault_->address(), *identity));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::ListRecordsResponse response;
    EXPECT_EQ(stub->ListRecords(&context, v1::ListRecordsRequest(), &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    calls[RequestId(context)] = {"list_records", v1::DENY, "UNAUTHENTICATED"};
  }
  ASSERT_THAT(calls, SizeIs(10));  // distinct request ids: no call was merged or lost

  std::map<std::string, int> seen;
  for (const v1::AuditEntry& entry : EntriesFrom(start)) {
    auto it = calls.find(entry.event().request_id());
    if (it == calls.end()) continue;  // the auditor's own reads
    ++seen[it->first];
    EXPECT_EQ(entry.event().action(), it->second.action) << entry.index();
    EXPECT_EQ(entry.event().decision(), it->second.decision) << entry.index();
    EXPECT_EQ(entry.event().status_code(), it->second.code) << entry.index();
    EXPECT_FALSE(entry.event().principal().empty());
    EXPECT_THAT(entry.event().client_address(), HasSubstr("127.0.0.1"));
  }
  for (const auto& [request_id, expected] : calls) {
    EXPECT_EQ(seen[request_id], 1) << expected.action << " " << expected.code;
  }
}

TEST_F(AuditEntriesTest, ReadEntryNamesPurposeReasonSectionsAndRule) {
  const std::string record_id = SubmitOne();
  v1::GetRecordRequest request;
  request.set_record_id(record_id);
  request.set_purpose(v1::MEDICAL_REFERRAL);
  request.set_reason("referral to clinic");
  ASSERT_THAT(vault_->ClientAs("health_reviewer")->Get(request), IsOk());
  bool found = false;
  for (const v1::AuditEntry& entry : EntriesFrom(0)) {
    const v1::AuditEvent& e = entry.event();
    if (e.action() != "get_record" || e.decision() != v1::ALLOW) continue;
    found = true;
    EXPECT_EQ(e.principal(), DevPrincipalOf("health_reviewer"));
    EXPECT_EQ(e.role(), "health_reviewer");
    EXPECT_EQ(e.rule(), "allow:grant/health_reviewer");
    EXPECT_EQ(e.purpose(), v1::MEDICAL_REFERRAL);
    EXPECT_EQ(e.reason(), "referral to clinic");
    EXPECT_THAT(e.record_ids(), ::testing::ElementsAre(record_id));
    EXPECT_THAT(e.sections_disclosed(), ::testing::ElementsAre(v1::INTERVIEW, v1::HEALTH));
  }
  EXPECT_TRUE(found);
}

TEST_F(AuditEntriesTest, RepeatedIdenticalDenialsMergeIntoOneCountedEntry) {
  const std::string record_id = SubmitOne();
  auto visit_team = vault_->ClientAs("visit_team");
  v1::GetRecordRequest request;
  request.set_record_id(record_id);
  request.set_purpose(v1::FOLLOW_UP);
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(visit_team->Get(request), StatusIs(absl::StatusCode::kPermissionDenied));
  }
  ASSERT_THAT(vault_->Restart(), IsOk());  // shutting down writes the merged count
  uint32_t entries = 0, total = 0;
  for (const v1::AuditEntry& entry : EntriesFrom(0)) {
    const v1::AuditEvent& e = entry.event();
    if (e.principal() != DevPrincipalOf("visit_team") || e.action() != "get_record") continue;
    ++entries;
    total += e.count();
  }
  EXPECT_EQ(entries, 2u);  // the first, then one entry counting the nine repeats
  EXPECT_EQ(total, 10u);
}

TEST_F(AuditEntriesTest, SubmitReceiptVerifiesAndItsEntryIsInTheSignedTree) {
  auto visit_team = vault_->ClientAs("visit_team");
  absl::StatusOr<v1::SubmitRecordResponse> receipt =
      visit_team->Submit(SyntheticRecord("receipt"), "receipt-0001");
  ASSERT_THAT(receipt, IsOk());
  EXPECT_THAT(client::VerifyReceipt(visit_team->identity(), *receipt), IsOk());
  v1::SubmitRecordResponse forged = *receipt;
  forged.set_audit_index(forged.audit_index() + 1);
  EXPECT_THAT(client::VerifyReceipt(visit_team->identity(), forged), ::testing::Not(IsOk()));

  const std::vector<v1::AuditEntry> entries = EntriesFrom(receipt->audit_index());
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries[0].event().action(), "submit_record");
  EXPECT_THAT(entries[0].event().record_ids(), ::testing::ElementsAre(receipt->record_id()));
  auto stub = v1::AuditService::NewStub(ChannelAs("auditor"));
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::GetInclusionProofRequest request;
  request.set_index(receipt->audit_index());
  request.set_tree_size(receipt->checkpoint().tree_size());
  v1::InclusionProof proof;
  ASSERT_TRUE(stub->GetInclusionProof(&context, request, &proof).ok());
  std::vector<crypto::Hash> hashes;
  for (const std::string& h : proof.hashes()) hashes.push_back(*crypto::HashFromString(h));
  EXPECT_THAT(crypto::VerifyInclusion(crypto::LeafHash(entries[0].leaf()), receipt->audit_index(),
                                      receipt->checkpoint().tree_size(), hashes,
                                      *crypto::HashFromString(receipt->checkpoint().root_hash())),
              IsOk());
}

TEST_F(AuditEntriesTest, ReasonAndIdentitiesNeverReachTheDiskInClear) {
  const std::string canary = "REASON-CANARY-5b1d0e77-NOT-ON-DISK";
  const std::string record_id = SubmitOne();
  v1::GetRecordRequest request;
  request.set_record_id(record_id);
  request.set_purpose(v1::FOLLOW_UP);
  request.set_reason(canary);
  ASSERT_THAT(vault_->ClientAs("case_officer")->Get(request), IsOk());
  vault_->Stop();
  EXPECT_THAT(FindCanary(vault_->data_dir(), canary), ::testing::IsEmpty());
  EXPECT_THAT(FindCanary(vault_->data_dir(), DevPrincipalOf("case_officer")), ::testing::IsEmpty());
}

TEST_F(AuditEntriesTest, FailedHandshakesAreCountedInTheOperationalLogNotTheTree) {
  const uint64_t before = LogSize();
  client::ClientIdentity no_certificate;
  no_certificate.ca_certificate_pem =
      client::ClientIdentity::Load(vault_->identity_dir("auditor"))->ca_certificate_pem;
  auto stub = v1::LogService::NewStub(RawChannel(vault_->address(), no_certificate));
  grpc::ClientContext context;
  SetTestDeadline(context, 5);
  v1::GetCheckpointResponse response;
  EXPECT_FALSE(stub->GetCheckpoint(&context, v1::GetCheckpointRequest(), &response).ok());
  EXPECT_THAT(vault_->log(), HasSubstr("tls_handshake_failed total=1"));
  EXPECT_EQ(LogSize(), before + 1);  // only the previous LogSize call's own entry
}

}  // namespace
}  // namespace confidant::testing
