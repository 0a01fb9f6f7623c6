// A submitter obtains the inclusion proof of its own receipt's audit entry (issue 13, item 10)
// over real mTLS: the proof verifies against the receipt's checkpoint root, and nobody else (nor
// the submitter for another record or index) learns anything about that entry.
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/clock.h"
#include "confidant/v1/audit.grpc.pb.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

grpc::Status ProofAs(const VaultProcess& vault, const std::string& who, uint64_t index,
                     const std::string& record_id, uint64_t tree_size, v1::ReceiptProof* out) {
  auto stub = v1::LogService::NewStub(ChannelAs(vault, who));
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::GetReceiptProofRequest request;
  request.set_audit_index(index);
  request.set_record_id(record_id);
  request.set_tree_size(tree_size);
  return stub->GetReceiptProof(&context, request, out);
}

TEST(ReceiptProofTest, OnlyTheSubmitterGetsAProofOfItsOwnEntryAndItVerifies) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::Start();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  absl::StatusOr<v1::SubmitRecordResponse> receipt =
      vault.ClientAs("visit_team")->Submit(SyntheticRecord("receipt proof"), "receipt-proof-01");
  ASSERT_THAT(receipt, IsOk());
  absl::StatusOr<crypto::SplitNote> split = crypto::SplitSignedNote(receipt->checkpoint().note());
  ASSERT_THAT(split, IsOk());
  absl::StatusOr<crypto::CheckpointBody> body = crypto::ParseCheckpointBody(split->body);
  ASSERT_THAT(body, IsOk());

  v1::ReceiptProof proof;
  ASSERT_TRUE(ProofAs(vault, "visit_team", receipt->audit_index(), receipt->record_id(),
                      body->tree_size, &proof)
                  .ok());
  std::vector<crypto::Hash> hashes;
  for (const std::string& h : proof.hashes()) {
    absl::StatusOr<crypto::Hash> hash = crypto::HashFromString(h);
    ASSERT_THAT(hash, IsOk());
    hashes.push_back(*hash);
  }
  EXPECT_THAT(crypto::VerifyInclusion(crypto::LeafHash(proof.leaf()), receipt->audit_index(),
                                      body->tree_size, hashes, body->root),
              IsOk());

  // Anyone else, another record, another index: one answer, nothing about the entry.
  const std::string other_record(32, 'a');
  for (const auto& [who, index, record] :
       std::vector<std::tuple<std::string, uint64_t, std::string>>{
           {"case_officer", receipt->audit_index(), receipt->record_id()},
           {"auditor", receipt->audit_index(), receipt->record_id()},
           {"visit_team", receipt->audit_index(), other_record},
           {"visit_team", 0, receipt->record_id()}}) {
    v1::ReceiptProof refused;
    const grpc::Status status = ProofAs(vault, who, index, record, body->tree_size, &refused);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << who << " " << index;
    EXPECT_EQ(status.error_message(), "no submission of this record by you at this audit index");
    EXPECT_TRUE(refused.leaf().empty());
  }
  // Bad input.
  v1::ReceiptProof bad;
  EXPECT_EQ(ProofAs(vault, "visit_team", receipt->audit_index(), "nope", body->tree_size, &bad)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ProofAs(vault, "visit_team", receipt->audit_index(), receipt->record_id(),
                    receipt->audit_index(), &bad)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ProofAs(vault, "visit_team", receipt->audit_index(), receipt->record_id(),
                    body->tree_size + 1000, &bad)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace confidant::testing
