// Crypto-shredding over a real RocksDB store and audit log: after a shred and its compaction no
// byte of the record's wrapped data keys or section ciphertexts (nor its canary) remains in any
// file of the data directory; the record, its versions, consent changes, break-glass requests
// and submission index entries are gone; other records are untouched; each shred leaves one
// disposal receipt; retention counts from the first submission; a clock behind the log stops it;
// the daily pass waits for confirmation above the policy's limit.
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/server/shredder_fixture.h"

namespace confidant::server {
namespace {

using namespace shredder_testing;  // NOLINT: the fixture and its helpers

TEST_F(ShredderTest, NoByteOfTheWrappedKeysRemainsOnDiskAndOtherRecordsAreUntouched) {
  const std::string canary = "CANARY-shredded-7f3a9c";
  const std::string doomed = Submit(RecordWith(canary), "shred-doomed-0001");
  const std::string kept = Submit(RecordWith("kept record"), "shred-kept-00001");
  ASSERT_THAT(store_->Flush(), IsOk());  // version 1 reaches SST files
  SetNow(kT0 + 3600);
  Submit(RecordWith(canary + " amended"), "shred-doomed-0002", doomed);  // version 2: WAL only
  absl::StatusOr<store::Mutation> consent = records_->ConsentChangeMutation(
      doomed, v1::FOLLOW_UP, false, "2026-10-03", "case_officer");
  ASSERT_THAT(consent, IsOk());
  ASSERT_THAT(store_->Commit(*consent), IsOk());
  storage::v1::BreakGlassRequest request;
  request.set_record_id(doomed);
  request.set_requester_person_id("case_officer_on");
  request.set_purpose(1);
  request.set_created_unix_seconds(kT0);
  absl::StatusOr<store::Mutation> requested = break_glass_->CreateMutation(request);
  ASSERT_THAT(requested, IsOk());
  ASSERT_THAT(store_->Commit(*requested), IsOk());

  const std::string raw = RecordIdFromHex(doomed);
  std::vector<std::string> secrets = ValuesUnder(store::Space::kWraps, raw);
  const size_t wraps = secrets.size();
  ASSERT_GE(wraps, 8u);  // 2 versions x 4 sections, each wrapped for at least one role
  for (const std::string& s : ValuesUnder(store::Space::kSections, raw)) secrets.push_back(s);
  for (const std::string& secret : secrets) {
    ASSERT_FALSE(FilesContaining(db_dir(), secret).empty()) << "the scan would not see it";
  }
  ASSERT_EQ(IndexEntriesOfSize(32), 3);  // doomed v1 and v2, kept

  absl::StatusOr<std::vector<std::string>> shredded = shredder_->Shred({doomed}, Order());
  ASSERT_THAT(shredded, IsOk());
  EXPECT_THAT(*shredded, ElementsAre(doomed));

  for (const std::string& secret : secrets) {
    EXPECT_THAT(FilesContaining(db_dir(), secret), IsEmpty());
  }
  for (const std::string& form :
       {canary, absl::BytesToHexString(canary), absl::Base64Escape(canary)}) {
    EXPECT_THAT(FilesContaining(db_dir(), form), IsEmpty()) << form;
  }
  EXPECT_THAT(Read(doomed), StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<std::optional<policy::RecordFacts>> facts = records_->Facts(doomed);
  ASSERT_THAT(facts, IsOk());
  EXPECT_FALSE(facts->has_value());
  for (store::Space space : {store::Space::kRecords, store::Space::kSections, store::Space::kWraps}) {
    EXPECT_THAT(ValuesUnder(space, raw), IsEmpty());
  }
  EXPECT_THAT(ValuesUnder(store::Space::kIndex, "C" + raw), IsEmpty());
  absl::StatusOr<std::vector<storage::v1::BreakGlassRequest>> open_requests = break_glass_->All();
  ASSERT_THAT(open_requests, IsOk());
  EXPECT_THAT(*open_requests, IsEmpty());
  EXPECT_EQ(IndexEntriesOfSize(32), 1);

  absl::StatusOr<v1::GetRecordResponse> other = Read(kept);
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->identity().full_name(), "kept record name");

  std::vector<v1::AuditEvent> receipts = EntriesWithAction("record_shredded");
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_THAT(receipts[0].record_ids(), ElementsAre(doomed));
  EXPECT_EQ(receipts[0].rule(), "vault:retention-expired");
  EXPECT_THAT(receipts[0].detail(), HasSubstr("retention 3650 days"));
  EXPECT_THAT(receipts[0].detail(),
              HasSubstr(absl::StrCat("destroyed ", wraps, " data-key wraps, 8 section ciphertexts, "
                                     "2 version headers, 1 consent changes, 1 break-glass "
                                     "requests, 2 submission index entries")));

  // A second shred of the same record finds nothing and writes no receipt.
  shredded = shredder_->Shred({doomed}, Order());
  ASSERT_THAT(shredded, IsOk());
  EXPECT_THAT(*shredded, IsEmpty());
  EXPECT_EQ(EntriesWithAction("record_shredded").size(), 1u);
}

// Review finding: an amendment racing a shred could land between the shred's scans and its
// commit, leaving a readable version (or wraps without sections) behind. Shred and amendment
// now take the record's lock: either the amendment lands first and goes with the rest, or it
// finds the record gone. Nothing of the record is left either way.
TEST_F(ShredderTest, AnAmendmentRacingTheShredLeavesNothingBehind) {
  for (int round = 0; round < 12; ++round) {
    const std::string id =
        Submit(RecordWith("race"), absl::StrCat("race-submit-", round));
    ASSERT_FALSE(id.empty());
    absl::Status amended;
    std::thread amender([&] {
      Submit(RecordWith("race amended"), absl::StrCat("race-amend-", round), id, &amended);
    });
    absl::StatusOr<std::vector<std::string>> shredded = shredder_->Shred({id}, Order());
    amender.join();
    ASSERT_THAT(shredded, IsOk());
    EXPECT_TRUE(amended.ok() || absl::IsNotFound(amended)) << amended;
    const std::string raw = RecordIdFromHex(id);
    for (store::Space space :
         {store::Space::kWraps, store::Space::kSections, store::Space::kRecords}) {
      EXPECT_THAT(ValuesUnder(space, raw), ::testing::IsEmpty())
          << "round " << round << ", space " << store::SpaceName(space)
          << (amended.ok() ? " (amendment landed first)" : " (amendment refused)");
    }
    EXPECT_THAT(Read(id), StatusIs(absl::StatusCode::kNotFound));
  }
}

TEST_F(ShredderTest, RetentionCountsFromTheFirstSubmission) {
  const std::string early = Submit(RecordWith("early"), "retention-early-1");
  SetNow(kT0 + 2 * 3600);
  Submit(RecordWith("early amended"), "retention-early-2", early);  // does not restart the clock
  SetNow(kT0 + 10 * kDay);
  const std::string late = Submit(RecordWith("late"), "retention-late-01");
  const int64_t retention = 30 * kDay;

  auto ids = [&](int64_t now) {
    std::vector<std::string> out;
    absl::StatusOr<std::vector<ExpiredRecord>> expired = shredder_->FindExpired(now, retention);
    EXPECT_THAT(expired, IsOk());
    for (const ExpiredRecord& r : *expired) out.push_back(r.record_id);
    return out;
  };
  EXPECT_THAT(ids(kT0 + retention - 1), IsEmpty());
  EXPECT_THAT(ids(kT0 + retention), ElementsAre(early));
  EXPECT_THAT(ids(kT0 + 10 * kDay + retention), ElementsAre(early, late));
}

TEST_F(ShredderTest, ClockBehindTheLogShredsNothing) {
  const std::string id = Submit(RecordWith("clock"), "shred-clock-0001");
  SetNow(kT0 - 60);
  EXPECT_THAT(shredder_->Shred({id}, Order()), StatusIs(absl::StatusCode::kFailedPrecondition));
  SetNow(kT0);
  EXPECT_THAT(Read(id), IsOk());
  EXPECT_THAT(EntriesWithAction("record_shredded"), IsEmpty());
}

TEST_F(ShredderTest, DailyPassWaitsForConfirmationAboveTheLimit) {
  Submit(RecordWith("one"), "daily-pass-00001");
  Submit(RecordWith("two"), "daily-pass-00002");
  RetentionTimer timer(*shredder_, *recorder_,
                       AuthorizerFrom("version: 1 settings { retention_days: 3 "
                                      "max_shred_without_confirmation: 1 }"),
                       absl::Hours(1000), absl::Hours(1000));
  SetNow(kT0 + 3 * kDay);
  absl::StatusOr<RetentionPass> pass = timer.RunOnce(kT0 + 3 * kDay);
  ASSERT_THAT(pass, IsOk());
  EXPECT_TRUE(pass->waiting_for_confirmation);
  EXPECT_EQ(pass->expired, 2u);
  EXPECT_THAT(pass->shredded, IsEmpty());
  std::vector<v1::AuditEvent> waiting = EntriesWithAction("shred_waiting_for_confirmation");
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_TRUE(waiting[0].flagged());
  EXPECT_THAT(waiting[0].detail(), HasSubstr("2 records are past retention"));

  timer.SetAuthorizer(AuthorizerFrom("version: 2 settings { retention_days: 3 }"));
  pass = timer.RunOnce(kT0 + 3 * kDay);
  ASSERT_THAT(pass, IsOk());
  EXPECT_FALSE(pass->waiting_for_confirmation);
  EXPECT_EQ(pass->shredded.size(), 2u);
  std::vector<v1::AuditEvent> receipts = EntriesWithAction("record_shredded");
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_THAT(receipts[0].detail(), HasSubstr("retention 3 days (policy version 2)"));
  EXPECT_THAT(receipts[0].detail(), HasSubstr("daily retention run"));
  EXPECT_TRUE(receipts[0].principal().empty());
}

// A record shredded after a backup was taken comes back with the backup; re-applying the shred
// register of the newer log shreds it again (with a receipt) and leaves the others readable.

}  // namespace
}  // namespace confidant::server
