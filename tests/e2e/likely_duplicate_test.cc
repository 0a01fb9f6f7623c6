// Likely duplicates over real mTLS: a second record of the same person (pseudonym from the
// identity section), facility and visit date is stored all the same, answered with
// likely_duplicate, audited as "likely duplicate of RECORD_ID" and listed to staff with
// likely_duplicate_of; records without an identity are never flagged; once the earlier record
// is crypto-shredded (early erasure), the listing no longer names it.
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

class LikelyDuplicateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    team_ = vault_->ClientAs("visit_team");
    ASSERT_NE(team_, nullptr);
  }

  v1::SubmitRecordResponse Submit(const v1::InterviewRecord& record, const std::string& id) {
    absl::StatusOr<v1::SubmitRecordResponse> submitted = team_->Submit(record, id);
    EXPECT_THAT(submitted, IsOk());
    return submitted.ok() ? *submitted : v1::SubmitRecordResponse();
  }

  // likely_duplicate_of per record id, as the case officer lists them.
  std::map<std::string, std::string> Listed() {
    absl::StatusOr<v1::ListRecordsResponse> listed =
        vault_->ClientAs("case_officer")->List(v1::ListRecordsRequest());
    EXPECT_THAT(listed, IsOk());
    std::map<std::string, std::string> out;
    if (listed.ok()) {
      for (const v1::RecordSummary& r : listed->records()) out[r.record_id()] = r.likely_duplicate_of();
    }
    return out;
  }

  std::string SubmitDetail(const std::string& record_id) {
    for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
      const v1::AuditEvent& e = entry.event();
      if (e.action() == "submit_record" && e.record_ids_size() == 1 && e.record_ids(0) == record_id) {
        return e.detail();
      }
    }
    ADD_FAILURE() << "no submission entry for " << record_id;
    return "";
  }

  std::unique_ptr<VaultProcess> vault_;
  std::unique_ptr<client::VaultClient> team_;
};

TEST_F(LikelyDuplicateTest, SecondRecordOfSamePersonFacilityAndDateIsStoredAndFlagged) {
  // SyntheticRecord("dup") names one person (client id "dup-id") at qc-lav-ihc on 2026-10-02.
  const v1::SubmitRecordResponse first = Submit(SyntheticRecord("dup"), "likely-dup-00001");
  const v1::SubmitRecordResponse second = Submit(SyntheticRecord("dup"), "likely-dup-00002");
  EXPECT_FALSE(first.likely_duplicate());
  EXPECT_TRUE(second.likely_duplicate());
  EXPECT_FALSE(second.duplicate()) << "a new record, not a retry";
  EXPECT_NE(first.record_id(), second.record_id());

  const std::map<std::string, std::string> listed = Listed();
  ASSERT_EQ(listed.size(), 2u) << "never lose testimony: both are stored";
  EXPECT_EQ(listed.at(first.record_id()), "");
  EXPECT_EQ(listed.at(second.record_id()), first.record_id());
  EXPECT_EQ(SubmitDetail(first.record_id()), "stored version 1");
  EXPECT_EQ(SubmitDetail(second.record_id()),
            absl::StrCat("stored version 1; likely duplicate of ", first.record_id()));

  // Another date is another visit: not flagged.
  v1::InterviewRecord next_day = SyntheticRecord("dup");
  next_day.mutable_visit()->set_visit_date("2026-10-03");
  EXPECT_FALSE(Submit(next_day, "likely-dup-00003").likely_duplicate());
  // An amendment keeps the first submission's flag.
  absl::StatusOr<v1::SubmitRecordResponse> amended =
      team_->Amend(second.record_id(), SyntheticRecord("dup"), "likely-dup-00004");
  ASSERT_THAT(amended, IsOk());
  EXPECT_TRUE(amended->likely_duplicate());
}

// The note is no oracle: a submitter learns "likely duplicate" only of a record they filed
// themselves. Another identity filing the same person, facility and date is told nothing (so it
// cannot probe who was interviewed where and when), while staff still see the link in list and
// the audit log still records it.
TEST_F(LikelyDuplicateTest, AnotherSubmitterIsNotToldButStaffStillSeeTheLink) {
  const v1::SubmitRecordResponse first = Submit(SyntheticRecord("probe"), "likely-probe-001");
  std::unique_ptr<client::VaultClient> other = vault_->ClientAs("bench_visit_team");
  ASSERT_NE(other, nullptr);
  absl::StatusOr<v1::SubmitRecordResponse> probe =
      other->Submit(SyntheticRecord("probe"), "likely-probe-002");
  ASSERT_THAT(probe, IsOk());
  EXPECT_FALSE(probe->likely_duplicate()) << "another submitter must not learn the earlier visit";
  EXPECT_EQ(Listed().at(probe->record_id()), first.record_id());
  EXPECT_EQ(SubmitDetail(probe->record_id()),
            absl::StrCat("stored version 1; likely duplicate of ", first.record_id()));
  // The first submitter filing it again is told: it is their own earlier record.
  EXPECT_TRUE(Submit(SyntheticRecord("probe"), "likely-probe-003").likely_duplicate());
  // The other submitter filing it again is told too, about their own record: the answer depends
  // only on what the caller filed, so filing twice tells nothing about anyone else's visits.
  absl::StatusOr<v1::SubmitRecordResponse> again =
      other->Submit(SyntheticRecord("probe"), "likely-probe-004");
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->likely_duplicate());
  EXPECT_EQ(Listed().at(again->record_id()), first.record_id()) << "staff see the first filed";
}

TEST_F(LikelyDuplicateTest, RecordsWithoutAnIdentityAreNeverFlagged) {
  v1::InterviewRecord anonymous = SyntheticRecord("anon");
  anonymous.clear_identity();
  EXPECT_FALSE(Submit(anonymous, "likely-anon-0001").likely_duplicate());
  EXPECT_FALSE(Submit(anonymous, "likely-anon-0002").likely_duplicate());
  for (const auto& [id, of] : Listed()) EXPECT_EQ(of, "") << id;
}

TEST_F(LikelyDuplicateTest, AfterTheEarlierRecordIsShreddedTheListingNoLongerNamesIt) {
  const v1::SubmitRecordResponse first = Submit(SyntheticRecord("shred"), "likely-shred-001");
  const v1::SubmitRecordResponse second = Submit(SyntheticRecord("shred"), "likely-shred-002");
  ASSERT_EQ(Listed().at(second.record_id()), first.record_id());
  // Early erasure of the earlier record: asked by a case officer, approved by an approver.
  auto officer = v1::RecordService::NewStub(ChannelAs(*vault_, "case_officer"));
  grpc::ClientContext ask;
  SetTestDeadline(ask);
  v1::RequestErasureRequest request;
  request.set_record_id(first.record_id());
  request.set_reason("filed twice in error");
  v1::RequestErasureResponse requested;
  ASSERT_TRUE(officer->RequestErasure(&ask, request, &requested).ok());
  auto approver = v1::RecordService::NewStub(ChannelAs(*vault_, "approver"));
  grpc::ClientContext decide;
  SetTestDeadline(decide);
  v1::DecideErasureRequest decision;
  decision.set_request_id(requested.request_id());
  decision.set_approve(true);
  v1::DecideErasureResponse decided;
  ASSERT_TRUE(approver->DecideErasure(&decide, decision, &decided).ok());

  const std::map<std::string, std::string> listed = Listed();
  EXPECT_EQ(listed.count(first.record_id()), 0u);
  EXPECT_EQ(listed.at(second.record_id()), "");
  bool receipt = false;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
    const v1::AuditEvent& e = entry.event();
    if (e.action() != "record_shredded") continue;
    receipt = true;
    EXPECT_THAT(e.detail(), ::testing::HasSubstr(" 2 likely-duplicate index entries"));
  }
  EXPECT_TRUE(receipt);
}

}  // namespace
}  // namespace confidant::testing
