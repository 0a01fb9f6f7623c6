// Submitting over real mTLS: idempotent retries, refusal of reused ids, envelopes replayed or
// altered, concurrent retries and durability across a restart.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "crypto/asymmetric.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

class SubmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    submitter_ = vault_->ClientAs("visit_team");
    reader_ = vault_->ClientAs("case_officer");
    ASSERT_NE(submitter_, nullptr);
    ASSERT_NE(reader_, nullptr);
    absl::StatusOr<v1::IntakeKey> key = submitter_->FetchIntakeKey();
    ASSERT_THAT(key, IsOk());
    intake_key_ = *std::move(key);
  }

  // A request sealed by visit_team (or `submitter` if given) for `record`.
  v1::SubmitRecordRequest Seal(const v1::InterviewRecord& record, const std::string& id,
                               const std::string& submitter = "") {
    absl::StatusOr<v1::SubmitRecordRequest> request = client::SealSubmission(
        intake_key_, submitter.empty() ? submitter_->identity().principal : submitter, record, id,
        absl::ToUnixSeconds(absl::Now()));
    EXPECT_THAT(request, IsOk());
    return request.ok() ? *std::move(request) : v1::SubmitRecordRequest();
  }

  int RecordCount() {
    absl::StatusOr<v1::ListRecordsResponse> listed = reader_->List(v1::ListRecordsRequest());
    EXPECT_THAT(listed, IsOk());
    return listed.ok() ? listed->records_size() : -1;
  }

  absl::StatusOr<v1::GetRecordResponse> Read(const std::string& record_id) {
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(v1::FOLLOW_UP);
    return reader_->Get(request);
  }

  std::unique_ptr<VaultProcess> vault_;
  std::unique_ptr<client::VaultClient> submitter_;
  std::unique_ptr<client::VaultClient> reader_;
  v1::IntakeKey intake_key_;
};

TEST_F(SubmissionTest, ResubmittingSameSealedRequestReturnsSameRecordAsDuplicate) {
  const v1::SubmitRecordRequest request = Seal(SyntheticRecord("retry"), "retry-submission-01");
  absl::StatusOr<v1::SubmitRecordResponse> first = submitter_->SubmitSealed(request);
  ASSERT_THAT(first, IsOk());
  EXPECT_FALSE(first->duplicate());
  absl::StatusOr<v1::SubmitRecordResponse> second = submitter_->SubmitSealed(request);
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(second->duplicate());
  EXPECT_EQ(second->record_id(), first->record_id());
  EXPECT_EQ(second->envelope_hash(), first->envelope_hash());
  EXPECT_EQ(RecordCount(), 1);
}

TEST_F(SubmissionTest, ReusedSubmissionIdWithOtherContentIsAlreadyExists) {
  absl::StatusOr<v1::SubmitRecordResponse> first =
      submitter_->SubmitSealed(Seal(SyntheticRecord("original"), "reused-submission-01"));
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(submitter_->SubmitSealed(Seal(SyntheticRecord("impostor"), "reused-submission-01")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // The same content sealed again is a different envelope too: still refused.
  EXPECT_THAT(submitter_->SubmitSealed(Seal(SyntheticRecord("original"), "reused-submission-01")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(RecordCount(), 1);
  absl::StatusOr<v1::GetRecordResponse> got = Read(first->record_id());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->interview().narrative(), "original narrative");
  EXPECT_EQ(got->identity().full_name(), "original name");
}

// The dev policy has a single principal that may submit, so an id shared by two submitting
// principals cannot be exercised end to end; the per-principal index is covered by unit tests.

TEST_F(SubmissionTest, EnvelopeSealedForAnotherPrincipalIsPermissionDenied) {
  const std::string other = vault_->ClientAs("case_officer")->identity().principal;
  ASSERT_NE(other, submitter_->identity().principal);
  EXPECT_THAT(submitter_->SubmitSealed(Seal(SyntheticRecord("replay"), "replayed-id-0001", other)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(submitter_->SubmitSealed(Seal(SyntheticRecord("replay"), "replayed-id-0002",
                                            "spiffe://confidant.example/dev/case_officer")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(RecordCount(), 0);
}

TEST_F(SubmissionTest, InnerSubmissionIdDifferentFromRequestIsInvalidArgument) {
  v1::SubmitRecordRequest request = Seal(SyntheticRecord("ids"), "inner-submission-01");
  request.set_submission_id("outer-submission-01");
  EXPECT_THAT(submitter_->SubmitSealed(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("differs")));
  EXPECT_EQ(RecordCount(), 0);
  // The untouched request still goes through under its own id.
  request.set_submission_id("inner-submission-01");
  EXPECT_THAT(submitter_->SubmitSealed(request), IsOk());
  EXPECT_EQ(RecordCount(), 1);
}

TEST_F(SubmissionTest, InnerKeyVersionDifferentFromRequestIsRefused) {
  v1::IntakeKey relabelled = intake_key_;
  relabelled.set_version(intake_key_.version() + 7);
  absl::StatusOr<v1::SubmitRecordRequest> request =
      client::SealSubmission(relabelled, submitter_->identity().principal,
                             SyntheticRecord("version"), "key-version-0001",
                             absl::ToUnixSeconds(absl::Now()));
  ASSERT_THAT(request, IsOk());
  request->set_intake_key_version(intake_key_.version());  // outer: the real version
  EXPECT_THAT(submitter_->SubmitSealed(*request), StatusIs(absl::StatusCode::kInvalidArgument));
  // And the outer version naming a key the vault does not have.
  request->set_intake_key_version(intake_key_.version() + 7);
  EXPECT_THAT(submitter_->SubmitSealed(*request), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(RecordCount(), 0);
}

TEST_F(SubmissionTest, EnvelopeSealedToAnotherKeyIsInvalidArgument) {
  v1::IntakeKey foreign = intake_key_;
  foreign.set_public_key(crypto::X25519KeyPair::Generate().public_key);
  absl::StatusOr<v1::SubmitRecordRequest> request =
      client::SealSubmission(foreign, submitter_->identity().principal, SyntheticRecord("foreign"),
                             "foreign-key-0001", absl::ToUnixSeconds(absl::Now()));
  ASSERT_THAT(request, IsOk());
  EXPECT_THAT(submitter_->SubmitSealed(*request), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(RecordCount(), 0);
}

TEST_F(SubmissionTest, TamperedOrEmptyEnvelopeIsInvalidArgument) {
  v1::SubmitRecordRequest request = Seal(SyntheticRecord("tamper"), "tampered-id-0001");
  v1::SubmitRecordRequest flipped = request;
  flipped.mutable_sealed_envelope()->back() ^= 0x01;
  EXPECT_THAT(submitter_->SubmitSealed(flipped), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::SubmitRecordRequest empty = request;
  empty.clear_sealed_envelope();
  EXPECT_THAT(submitter_->SubmitSealed(empty), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(RecordCount(), 0);
}

TEST_F(SubmissionTest, ConcurrentRetriesOfOneRequestStoreExactlyOneRecord) {
  const v1::SubmitRecordRequest request = Seal(SyntheticRecord("race"), "concurrent-id-0001");
  constexpr int kThreads = 8;
  std::vector<absl::StatusOr<v1::SubmitRecordResponse>> results(
      kThreads, absl::UnknownError("not run"));
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<client::VaultClient> client = vault_->ClientAs("visit_team");
      while (!go.load()) std::this_thread::yield();
      results[i] = client->SubmitSealed(request);
    });
  }
  go.store(true);
  for (std::thread& t : threads) t.join();
  int fresh = 0;
  for (const auto& result : results) {
    ASSERT_THAT(result, IsOk());
    EXPECT_EQ(result->record_id(), results[0]->record_id());
    if (!result->duplicate()) ++fresh;
  }
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(RecordCount(), 1);
}

TEST_F(SubmissionTest, RecordsSurviveRestart) {
  const v1::SubmitRecordRequest request = Seal(SyntheticRecord("durable"), "durable-id-0001");
  absl::StatusOr<v1::SubmitRecordResponse> submitted = submitter_->SubmitSealed(request);
  ASSERT_THAT(submitted, IsOk());
  ASSERT_THAT(vault_->Restart(), IsOk());
  reader_ = vault_->ClientAs("case_officer");
  ASSERT_NE(reader_, nullptr);
  absl::StatusOr<v1::GetRecordResponse> got = Read(submitted->record_id());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->interview().narrative(), "durable narrative");
  EXPECT_EQ(RecordCount(), 1);
  // The submission index survives too: the exact retry is a duplicate, other content refused.
  submitter_ = vault_->ClientAs("visit_team");
  absl::StatusOr<v1::SubmitRecordResponse> retried = submitter_->SubmitSealed(request);
  ASSERT_THAT(retried, IsOk());
  EXPECT_TRUE(retried->duplicate());
  EXPECT_EQ(retried->record_id(), submitted->record_id());
  EXPECT_THAT(submitter_->SubmitSealed(Seal(SyntheticRecord("durable"), "durable-id-0001")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(RecordCount(), 1);
}

}  // namespace
}  // namespace confidant::testing
