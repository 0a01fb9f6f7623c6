// Likely duplicates at intake over a real RocksDB store, record vault and shredder: a second
// record of the same person pseudonym, facility and visit date is stored and flagged (one keyed
// index entry, never a scan); records without an identity are never flagged; retries and
// amendments keep the first submission's flag; listings name the earlier record only while it
// exists; shredding the earlier record deletes its index entry.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/server/shredder_fixture.h"

namespace confidant::server {
namespace {

using namespace shredder_testing;  // NOLINT: the fixture and its helpers

// What one submission answered and what its commit was told.
struct Outcome {
  v1::SubmitRecordResponse response;
  std::string likely_duplicate_of;
};

class LikelyDuplicateTest : public ShredderTest {
 protected:
  // A record of one identified person (client id), at qc-lav-ihc on 2026-10-02.
  static v1::InterviewRecord Person(const std::string& client_id, const std::string& text) {
    v1::InterviewRecord r = RecordWith(text);
    r.mutable_identity()->set_immigration_client_id(client_id);
    return r;
  }

  v1::SubmitRecordRequest Seal(const v1::InterviewRecord& record, const std::string& id,
                               const std::string& amends = "") {
    v1::IntakePayload payload;
    payload.set_format_version(1);
    payload.set_submission_id(id);
    payload.set_submitter(kSubmitter);
    payload.set_intake_key_version(keys_->current_intake()->version);
    payload.set_created_unix_seconds(micros_ / 1000000);
    *payload.mutable_record() = record;
    payload.set_amends_record_id(amends);
    absl::StatusOr<std::string> sealed = crypto::SealToPublicKey(
        keys_->current_intake()->key_pair.public_key, payload.SerializeAsString());
    EXPECT_THAT(sealed, IsOk());
    v1::SubmitRecordRequest request;
    request.set_submission_id(id);
    request.set_intake_key_version(keys_->current_intake()->version);
    request.set_sealed_envelope(sealed.ok() ? *sealed : "");
    return request;
  }

  Outcome Send(const v1::SubmitRecordRequest& request, const std::string& amends = "") {
    Outcome outcome;
    auto commit = [&](store::Mutation data, v1::SubmitRecordResponse&,
                      std::string_view likely_duplicate_of) {
      outcome.likely_duplicate_of = std::string(likely_duplicate_of);
      v1::AuditEvent event;
      event.set_action("submit_record");
      return recorder_->Record(event, std::move(data)).status();
    };
    absl::StatusOr<v1::SubmitRecordResponse> response;
    if (amends.empty()) {
      response = records_->Submit(kSubmitter, "visit_team", request, *authorizer_, commit);
    } else {
      v1::AmendRecordRequest amend;
      amend.set_record_id(amends);
      *amend.mutable_submission() = request;
      response = records_->Amend(kSubmitter, "visit_team", amend, *authorizer_, commit);
    }
    EXPECT_THAT(response, IsOk());
    if (response.ok()) outcome.response = *response;
    return outcome;
  }

  Outcome SubmitOnce(const v1::InterviewRecord& record, const std::string& id) {
    return Send(Seal(record, id));
  }

  // Every likely-duplicate index key ("D" || 32-byte keyed hash).
  std::vector<std::string> DuplicateKeys() {
    std::vector<std::string> keys;
    EXPECT_THAT(store_->Scan(store::Space::kIndex, kLikelyDuplicatePrefix,
                             [&](std::string_view k, std::string_view) {
                               if (k.size() == kLikelyDuplicateKeyBytes) keys.emplace_back(k);
                               return true;
                             }),
                IsOk());
    return keys;
  }

  // The listing's likely_duplicate_of per record id (everything visible).
  std::map<std::string, std::string> Listed() {
    absl::StatusOr<v1::ListRecordsResponse> listed =
        records_->List(v1::ListRecordsRequest(), [](const policy::RecordFacts&) { return true; });
    EXPECT_THAT(listed, IsOk());
    std::map<std::string, std::string> out;
    if (listed.ok()) {
      for (const v1::RecordSummary& s : listed->records()) out[s.record_id()] = s.likely_duplicate_of();
    }
    return out;
  }
};

TEST_F(LikelyDuplicateTest, SecondRecordOfSamePersonFacilityAndDateIsStoredAndFlagged) {
  const Outcome first = SubmitOnce(Person("IC-1111-2222", "first"), "dup-00000001");
  const Outcome second = SubmitOnce(Person("ic 1111 2222", "second"), "dup-00000002");
  EXPECT_FALSE(first.response.likely_duplicate());
  EXPECT_TRUE(second.response.likely_duplicate());
  EXPECT_EQ(first.likely_duplicate_of, "");
  EXPECT_EQ(second.likely_duplicate_of, first.response.record_id());
  EXPECT_NE(second.response.record_id(), first.response.record_id());
  // Never lose testimony: both are stored and readable.
  absl::StatusOr<v1::GetRecordResponse> read = Read(second.response.record_id());
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->interview().narrative(), "second narrative");
  EXPECT_THAT(Read(first.response.record_id()), IsOk());
  // Two entries for the triple (the shared one and the submitter's own), values sealed.
  const std::vector<std::string> keys = DuplicateKeys();
  ASSERT_EQ(keys.size(), 2u);
  for (const std::string& key : keys) {
    for (const std::string& value : ValuesUnder(store::Space::kIndex, key)) {
      EXPECT_EQ(value.find(first.response.record_id()), std::string::npos);
    }
  }
  const std::map<std::string, std::string> listed = Listed();
  EXPECT_EQ(listed.at(first.response.record_id()), "");
  EXPECT_EQ(listed.at(second.response.record_id()), first.response.record_id());
  // A third names the first too.
  EXPECT_EQ(SubmitOnce(Person("IC-1111-2222", "third"), "dup-00000003").likely_duplicate_of,
            first.response.record_id());
  EXPECT_EQ(DuplicateKeys().size(), 2u);
}

TEST_F(LikelyDuplicateTest, AnotherPersonFacilityOrDateIsNotFlagged) {
  SubmitOnce(Person("IC-1", "base"), "dup-00000010");
  v1::InterviewRecord other_date = Person("IC-1", "date");
  other_date.mutable_visit()->set_visit_date("2026-10-03");
  v1::InterviewRecord other_facility = Person("IC-1", "facility");
  other_facility.mutable_visit()->set_facility_id("qc-mtl-hold");
  for (const auto& [record, id] : std::vector<std::pair<v1::InterviewRecord, std::string>>{
           {Person("IC-2", "person"), "dup-00000011"},
           {other_date, "dup-00000012"},
           {other_facility, "dup-00000013"}}) {
    const Outcome outcome = SubmitOnce(record, id);
    EXPECT_FALSE(outcome.response.likely_duplicate()) << id;
    EXPECT_EQ(outcome.likely_duplicate_of, "") << id;
  }
  EXPECT_EQ(DuplicateKeys().size(), 8u);  // shared and own, per triple
}

TEST_F(LikelyDuplicateTest, RecordsWithoutAPseudonymAreNeverFlagged) {
  // RecordWith has a name but neither a client id nor a birth date: no pseudonym.
  EXPECT_FALSE(SubmitOnce(RecordWith("same"), "dup-00000020").response.likely_duplicate());
  EXPECT_FALSE(SubmitOnce(RecordWith("same"), "dup-00000021").response.likely_duplicate());
  v1::InterviewRecord anonymous = RecordWith("anon");
  anonymous.clear_identity();
  EXPECT_FALSE(SubmitOnce(anonymous, "dup-00000022").response.likely_duplicate());
  EXPECT_FALSE(SubmitOnce(anonymous, "dup-00000023").response.likely_duplicate());
  EXPECT_THAT(DuplicateKeys(), IsEmpty());
}

TEST_F(LikelyDuplicateTest, ARetryOfTheSameEnvelopeAnswersTheSameFlag) {
  const Outcome first = SubmitOnce(Person("IC-3", "a"), "dup-00000030");
  const v1::SubmitRecordRequest request = Seal(Person("IC-3", "b"), "dup-00000031");
  const Outcome sent = Send(request);
  const Outcome retried = Send(request);
  EXPECT_TRUE(sent.response.likely_duplicate());
  EXPECT_TRUE(retried.response.duplicate());
  EXPECT_TRUE(retried.response.likely_duplicate());
  EXPECT_EQ(retried.likely_duplicate_of, first.response.record_id());
}

TEST_F(LikelyDuplicateTest, AmendmentsKeepTheFirstSubmissionsFlag) {
  const Outcome first = SubmitOnce(Person("IC-4", "a"), "dup-00000040");
  const Outcome flagged = SubmitOnce(Person("IC-4", "b"), "dup-00000041");
  ASSERT_TRUE(flagged.response.likely_duplicate());
  // Corrected to another person: the flag stays (it is the first submission's).
  const Outcome amended =
      Send(Seal(Person("IC-5", "b fixed"), "dup-00000042", flagged.response.record_id()),
           flagged.response.record_id());
  EXPECT_EQ(amended.response.record_version(), 2u);
  EXPECT_TRUE(amended.response.likely_duplicate());
  EXPECT_EQ(amended.likely_duplicate_of, first.response.record_id());
  EXPECT_EQ(Listed().at(flagged.response.record_id()), first.response.record_id());
  // And an unflagged record amended to match stays unflagged.
  const Outcome other = SubmitOnce(Person("IC-6", "c"), "dup-00000043");
  const Outcome matched = Send(Seal(Person("IC-4", "c fixed"), "dup-00000044",
                                    other.response.record_id()),
                               other.response.record_id());
  EXPECT_FALSE(matched.response.likely_duplicate());
  EXPECT_EQ(Listed().at(other.response.record_id()), "");
}

TEST_F(LikelyDuplicateTest, ShreddingTheEarlierRecordDeletesItsIndexEntry) {
  const Outcome first = SubmitOnce(Person("IC-7", "a"), "dup-00000050");
  const Outcome second = SubmitOnce(Person("IC-7", "b"), "dup-00000051");
  ASSERT_EQ(DuplicateKeys().size(), 2u);  // the shared entry and the submitter's own
  // Shredding the flagged record leaves the earlier record's entries alone.
  ASSERT_THAT(shredder_->Shred({second.response.record_id()}, Order()), IsOk());
  EXPECT_EQ(DuplicateKeys().size(), 2u);
  const Outcome third = SubmitOnce(Person("IC-7", "c"), "dup-00000052");
  EXPECT_EQ(third.likely_duplicate_of, first.response.record_id());

  absl::StatusOr<std::vector<std::string>> shredded =
      shredder_->Shred({first.response.record_id()}, Order());
  ASSERT_THAT(shredded, IsOk());
  EXPECT_THAT(*shredded, ElementsAre(first.response.record_id()));
  EXPECT_THAT(DuplicateKeys(), IsEmpty());
  const std::vector<v1::AuditEvent> receipts = EntriesWithAction("record_shredded");
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_THAT(receipts[0].detail(), HasSubstr(" 0 likely-duplicate index entries"));
  EXPECT_THAT(receipts[1].detail(), HasSubstr(" 2 likely-duplicate index entries"));
  // The listing no longer names a shredded record.
  EXPECT_EQ(Listed().at(third.response.record_id()), "");
}

}  // namespace
}  // namespace confidant::server
