// The scheduled release job (server/release_job.h) over a real RocksDB store, record vault and
// audit log: each due (table, period) is released once, frozen and signed; late records change
// nothing released; the ledger chains and refuses past the cap; after a restore, periods due
// before it are withheld, never computed.
#include "server/release_job.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "crypto/key_transition.h"
#include "crypto/random.h"
#include "crypto/asymmetric.h"
#include "server/release_store.h"
#include "server/restore.h"
#include "server/reporting/release_engine.h"
#include "tests/server/shredder_fixture.h"

namespace confidant::server::shredder_testing {
namespace {

// 2026-10-20: 2026Q1..Q3 are closed plus the 14-day lag; Q4 and the year 2026 are not.
constexpr int64_t kOctober20 = 1792454400;
// 2027-02-01: everything of 2026 is due.
constexpr int64_t kFebruary2027 = 1801440000;

class ReleaseJobTest : public ShredderTest {
 protected:
  void SetUp() override {
    ShredderTest::SetUp();
    job_ = std::make_unique<ReleaseJob>(*store_, *keys_, *log_, nullptr, *recorder_, authorizer_);
  }
  void TearDown() override {
    job_.reset();
    ShredderTest::TearDown();
  }

  v1::InterviewRecord RecordOn(const std::string& date, const std::string& name) {
    v1::InterviewRecord r = RecordWith("x");
    r.mutable_visit()->set_visit_date(date);
    r.mutable_identity()->set_full_name(name);
    r.mutable_indicators()->mutable_concerns()->set_lacks_medical_care(v1::YES);
    return r;
  }

  void SubmitPopulation(int persons) {
    for (int i = 0; i < persons; ++i) {
      Submit(RecordOn(absl::StrFormat("2026-%02d-1%d", 1 + i % 9, i % 10), absl::StrCat("Person ", i)),
             absl::StrFormat("pop-%08d", i));
    }
  }

  std::string Release(const std::string& table, const std::string& period) {
    absl::StatusOr<std::optional<std::string>> found = ReleaseStore(*store_).Find(table, period);
    EXPECT_THAT(found, IsOk());
    return found.ok() && found->has_value() ? **found : "";
  }

  std::unique_ptr<ReleaseJob> job_;
};

TEST_F(ReleaseJobTest, ReleasesEachDuePeriodOnceSignedAndChained) {
  SubmitPopulation(120);
  const uint64_t log_before = log_->LatestCheckpoint().tree_size();
  absl::StatusOr<ReleaseRun> run = job_->RunOnce(kOctober20);
  ASSERT_THAT(run, IsOk());
  // 10 quarterly tables x 3 closed quarters; the annual tables wait for 2026 to close.
  EXPECT_EQ(run->released, 30);
  EXPECT_EQ(run->withheld, 0);
  EXPECT_EQ(EntriesWithAction("release_published").size(), 30u);
  EXPECT_EQ(log_->LatestCheckpoint().tree_size(), log_before + 30);
  EXPECT_EQ(Release("persons-by-facility", "2026Q4"), "");
  EXPECT_EQ(Release("medical-care-by-region", "2026"), "");

  const std::string bytes = Release("persons-by-facility", "2026Q2");
  v1::SignedRelease signed_release;
  ASSERT_TRUE(signed_release.ParseFromString(bytes));
  EXPECT_EQ(signed_release.release_public_key(),
            keys_->CurrentSigningKey(crypto::kReleaseKeyPurpose).key->public_key);
  EXPECT_THAT(crypto::VerifySignature(signed_release.release_public_key(),
                                      ReleaseSigningBytes(signed_release.release()),
                                      signed_release.signature()),
              IsOk());
  v1::Release release;
  ASSERT_TRUE(release.ParseFromString(signed_release.release()));
  EXPECT_EQ(release.table_id(), "persons-by-facility");
  EXPECT_EQ(release.period(), "2026Q2");
  EXPECT_EQ(release.epsilon_millis(), 250u);
  EXPECT_EQ(release.max_pseudonyms_per_person(), 3u);
  EXPECT_EQ(release.noise_scale(), "12");
  EXPECT_EQ(release.released_unix_seconds(), kOctober20);
  EXPECT_EQ(release.cells_size(), 10);  // 9 facilities shown alone, and Ontario's pool of 3
  for (const v1::ReleaseCell& cell : release.cells()) {
    int64_t value = 0;
    if (cell.value() == "<10") continue;
    ASSERT_TRUE(absl::SimpleAtoi(cell.value(), &value)) << cell.value();
    EXPECT_GE(value, 10);
    EXPECT_EQ(value % 5, 0);
  }

  // A second pass, and a late record for a released quarter, change nothing.
  Submit(RecordOn("2026-02-02", "Late Person"), "pop-late-0001");
  absl::StatusOr<ReleaseRun> again = job_->RunOnce(kOctober20 + 3600);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->released, 0);
  EXPECT_EQ(Release("persons-by-facility", "2026Q2"), bytes);

  absl::StatusOr<v1::Ledger> ledger = ReleaseStore(*store_).Ledger();
  ASSERT_THAT(ledger, IsOk());
  ASSERT_EQ(ledger->entries_size(), 30);
  uint32_t spent = 0;
  for (const v1::LedgerEntry& e : ledger->entries()) {
    spent += e.epsilon_millis();
    EXPECT_EQ(e.year_spent_millis(), spent);
    EXPECT_EQ(e.kind(), "release");
    EXPECT_EQ(e.release_hash(), crypto::Blake2b256(Release(e.table_id(), e.period())));
  }
  EXPECT_EQ(spent, 3u * (250 + 9 * 55));
  // The audit entry of the last release names the ledger head.
  EXPECT_THAT(EntriesWithAction("release_published").back().detail(),
              HasSubstr(absl::BytesToHexString(ledger->head())));
}

TEST_F(ReleaseJobTest, TheYearsReleasesNeverExceedTheCap) {
  SubmitPopulation(20);
  ASSERT_THAT(job_->RunOnce(kFebruary2027), IsOk());
  absl::StatusOr<uint32_t> spent = ReleaseStore(*store_).SpentInYear(2026);
  ASSERT_THAT(spent, IsOk());
  EXPECT_EQ(*spent, 3980u);  // the default catalogue's worst case, under the cap of 4000

  // A new catalogue (policy version 2) adds an annual table: 2026 has no budget left for it.
  std::string text = std::string(kDevPolicyText);
  const std::string from = "use_default_catalogue: true";
  text.replace(text.find(from), from.size(),
               "tables { id: \"persons-by-gender\" title: \"Persons by gender\" dimensions: [GENDER] "
               "measure: DISTINCT_PERSONS period: YEAR epsilon_millis: 500 }");
  job_->SetAuthorizer(AuthorizerFrom(text));
  absl::StatusOr<ReleaseRun> run = job_->RunOnce(kFebruary2027 + 60);
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->released, 0);
  EXPECT_EQ(run->refused_over_cap, 1);
  EXPECT_EQ(Release("persons-by-gender", "2026"), "");
  EXPECT_EQ(*ReleaseStore(*store_).SpentInYear(2026), 3980u);
}

TEST_F(ReleaseJobTest, AfterARestorePeriodsDueBeforeItAreWithheldNeverComputed) {
  SubmitPopulation(20);
  ASSERT_THAT(job_->RunOnce(kOctober20 - 30 * kDay), IsOk());  // Q1, Q2 released before the backup
  const std::string q2 = Release("persons-by-facility", "2026Q2");
  ASSERT_NE(q2, "");
  // Restored at October 20th (server/restore.cc writes this mark with the restore entry).
  store::Mutation restored;
  restored.Put(store::Space::kMeta, std::string(kReleaseWithheldThroughKey), absl::StrCat(kOctober20));
  ASSERT_THAT(store_->Commit(restored), IsOk());
  absl::StatusOr<ReleaseRun> run = job_->RunOnce(kFebruary2027);
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->withheld, 10);  // Q3 of every quarterly table: due before the restore
  EXPECT_EQ(Release("persons-by-facility", "2026Q3"), "");
  EXPECT_EQ(Release("persons-by-facility", "2026Q2"), q2);
  EXPECT_NE(Release("persons-by-facility", "2026Q4"), "") << "due after the restore";
  EXPECT_EQ(EntriesWithAction("release_withheld").size(), 10u);
  absl::StatusOr<ReleaseRun> again = job_->RunOnce(kFebruary2027 + 60);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->withheld + again->released, 0) << "decided once";
  absl::StatusOr<v1::Ledger> ledger = ReleaseStore(*store_).Ledger();
  ASSERT_THAT(ledger, IsOk());
  int withheld = 0;
  for (const v1::LedgerEntry& e : ledger->entries()) {
    if (e.kind() == "withheld") {
      ++withheld;
      EXPECT_GT(e.epsilon_millis(), 0u) << "charged: it may have been released before";
    }
  }
  EXPECT_EQ(withheld, 10);
  // While a restore is in progress (its marker stands), nothing is computed at all.
  store::Mutation restoring;
  restoring.Put(store::Space::kMeta, kRestoreMarkerKey, "/backup");
  ASSERT_THAT(store_->Commit(restoring), IsOk());
  absl::StatusOr<ReleaseRun> during = job_->RunOnce(kFebruary2027 + 400 * kDay);
  ASSERT_THAT(during, IsOk());
  EXPECT_TRUE(during->deferred);
  EXPECT_EQ(during->released + during->withheld, 0);
}

// A release deleted from the data directory (with its ledger entry and head) is still named by
// the audit log: the job refuses to draw fresh noise for it, in a new job too (after a restart).
TEST_F(ReleaseJobTest, AReleaseDeletedFromStorageIsNeverComputedAgain) {
  SubmitPopulation(10);
  ASSERT_THAT(job_->RunOnce(kOctober20), IsOk());
  store::Mutation wipe;
  for (const char* prefix : {"reporting/"}) {
    ASSERT_THAT(store_->Scan(store::Space::kMeta, prefix, [&](std::string_view k, std::string_view) {
      wipe.Delete(store::Space::kMeta, std::string(k));
      return true;
    }),
                IsOk());
  }
  ASSERT_THAT(store_->Commit(wipe), IsOk());
  ASSERT_THAT(ReleaseStore(*store_).Ledger(), IsOk()) << "an empty ledger verifies";
  for (int restart = 0; restart < 2; ++restart) {
    absl::StatusOr<ReleaseRun> run = job_->RunOnce(kOctober20 + 60);
    EXPECT_THAT(run, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("in the audit log but not in storage")));
    EXPECT_EQ(Release("persons-by-facility", "2026Q1"), "");
    job_ = std::make_unique<ReleaseJob>(*store_, *keys_, *log_, nullptr, *recorder_, authorizer_);
  }
}

// With witnesses configured, nothing is released until they have cosigned this log as far as it
// reached at unseal: a rolled-back data directory's log is one they refuse, so the job waits.
TEST_F(ReleaseJobTest, WithWitnessesNothingIsReleasedBeforeTheyCosignThisLog) {
  SubmitPopulation(10);
  WitnessPusher unreachable(*log_, {{"127.0.0.1:1", "witness.test/down", std::string(32, 'k')}},
                            WitnessTls{});
  ReleaseJob job(*store_, *keys_, *log_, &unreachable, *recorder_, authorizer_);
  absl::StatusOr<ReleaseRun> run = job.RunOnce(kOctober20);
  ASSERT_THAT(run, IsOk());
  EXPECT_TRUE(run->deferred);
  EXPECT_EQ(run->released, 0);
  EXPECT_EQ(Release("persons-by-facility", "2026Q1"), "");
  absl::StatusOr<v1::Ledger> ledger = ReleaseStore(*store_).Ledger();
  ASSERT_THAT(ledger, IsOk());
  EXPECT_EQ(ledger->entries_size(), 0);
}

// A revision is a new version, computed by the job, charged like a release; version 1 stays as
// released. Revisions spend only the headroom the catalogue leaves under the cap; a refused
// request (no headroom, or a version the audit log names but storage lost) is flagged and cleared.
TEST_F(ReleaseJobTest, ARevisionIsANewChargedVersionWithinTheCataloguesHeadroom) {
  // Worst case 4 x 250 + 500 + 2000 = 3500 under the cap of 4000: 500 left for revisions.
  std::string text = std::string(kDevPolicyText);
  const std::string from = "use_default_catalogue: true";
  text.replace(text.find(from), from.size(),
               "tables { id: \"persons-by-facility\" title: \"P\" dimensions: [FACILITY] "
               "measure: DISTINCT_PERSONS period: QUARTER epsilon_millis: 250 } "
               "tables { id: \"medical\" title: \"M\" dimensions: [REGION, CONCERN_ANSWER] "
               "measure: DISTINCT_PERSONS concern: LACKS_MEDICAL_CARE period: YEAR epsilon_millis: 500 } "
               "tables { id: \"by-gender\" title: \"G\" dimensions: [GENDER] "
               "measure: DISTINCT_PERSONS period: YEAR epsilon_millis: 2000 }");
  job_->SetAuthorizer(AuthorizerFrom(text));
  SubmitPopulation(40);
  ASSERT_THAT(job_->RunOnce(kOctober20), IsOk());
  const std::string v1 = Release("persons-by-facility", "2026Q1");
  ASSERT_NE(v1, "");
  auto request = [&](const std::string& table, const std::string& period) {
    store::Mutation m;
    m.Put(store::Space::kMeta, RevisionRequestKey(table, period), "custodian");
    ASSERT_THAT(store_->Commit(m), IsOk());
  };
  request("persons-by-facility", "2026Q1");
  absl::StatusOr<ReleaseRun> run = job_->RunOnce(kOctober20 + 60);
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->revised, 1);
  EXPECT_EQ(run->released, 0);
  ReleaseStore releases(*store_);
  auto newest = releases.FindVersion("persons-by-facility", "2026Q1", 0);
  ASSERT_THAT(newest, IsOk());
  ASSERT_TRUE(newest->has_value());
  EXPECT_EQ((*newest)->first, 2u);
  v1::SignedRelease signed_release;
  v1::Release release;
  ASSERT_TRUE(signed_release.ParseFromString((*newest)->second));
  ASSERT_TRUE(release.ParseFromString(signed_release.release()));
  EXPECT_EQ(release.version(), 2u);
  EXPECT_EQ(Release("persons-by-facility", "2026Q1"), v1) << "version 1 stays as released";
  EXPECT_EQ((*releases.FindVersion("persons-by-facility", "2026Q1", 1))->second, v1);
  EXPECT_THAT(*releases.PendingRevisions(), IsEmpty());
  absl::StatusOr<v1::Ledger> ledger = releases.Ledger();
  ASSERT_THAT(ledger, IsOk());
  const v1::LedgerEntry& last = ledger->entries(ledger->entries_size() - 1);
  EXPECT_EQ(last.kind(), "revision");
  EXPECT_EQ(last.version(), 2u);
  EXPECT_EQ(last.epsilon_millis(), 250u);
  EXPECT_EQ(last.year_spent_millis(), 3u * 250 + 250);
  EXPECT_EQ(EntriesWithAction("release_revised").size(), 1u);
  EXPECT_EQ(releases.ReleasedPeriods("persons-by-facility")->size(), 3u) << "each period once";

  // Version 2 lost from storage, a revision asked for again: the audit log names version 2, so
  // no new "version 2" is drawn (a fresh job reads the log); the request is refused and cleared.
  store::Mutation lose;
  lose.Delete(store::Space::kMeta, ReleaseVersionKey("persons-by-facility", "2026Q1", 2));
  ASSERT_THAT(store_->Commit(lose), IsOk());
  request("persons-by-facility", "2026Q1");
  {
    ReleaseJob fresh(*store_, *keys_, *log_, nullptr, *recorder_, AuthorizerFrom(text));
    run = fresh.RunOnce(kOctober20 + 120);
    ASSERT_THAT(run, IsOk());
    EXPECT_EQ(run->revised, 0);
    EXPECT_EQ(run->refused_over_cap, 1);
  }
  EXPECT_THAT(*releases.PendingRevisions(), IsEmpty());
  ASSERT_EQ(EntriesWithAction("release_revision_refused").size(), 1u);
  EXPECT_THAT(EntriesWithAction("release_revision_refused")[0].detail(),
              HasSubstr("version 2 is in the audit log but not in storage"));

  // 250 of the 500 of headroom spent: one more revision fits, then none.
  request("persons-by-facility", "2026Q2");
  run = job_->RunOnce(kOctober20 + 180);
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->revised, 1);
  request("persons-by-facility", "2026Q3");
  run = job_->RunOnce(kOctober20 + 240);
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->revised, 0);
  EXPECT_EQ(run->refused_over_cap, 1);
  const std::vector<v1::AuditEvent> refusals = EntriesWithAction("release_revision_refused");
  ASSERT_EQ(refusals.size(), 2u);
  EXPECT_TRUE(refusals[1].flagged());
  EXPECT_THAT(refusals[1].detail(), HasSubstr("may spend 500/1000"));
  EXPECT_EQ(*releases.RevisionsInYear(2026), 500u);
  // The scheduled releases still fit: the catalogue's worst case plus the headroom is the cap.
  run = job_->RunOnce(kFebruary2027);
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->refused_over_cap, 0);
  EXPECT_EQ(*releases.SpentInYear(2026), 4000u);
}

TEST_F(ReleaseJobTest, ATamperedLedgerDoesNotVerifyAndStopsTheJob) {
  SubmitPopulation(10);
  ASSERT_THAT(job_->RunOnce(kOctober20), IsOk());
  std::string first_key;
  std::string first_value;
  ASSERT_THAT(store_->Scan(store::Space::kMeta, "reporting/ledger/", [&](std::string_view k, std::string_view v) {
    first_key = std::string(k);
    first_value = std::string(v);
    return false;
  }),
              IsOk());
  v1::LedgerEntry entry;
  ASSERT_TRUE(entry.ParseFromString(first_value));
  entry.set_epsilon_millis(1);  // pretend the first release cost less
  store::Mutation m;
  m.Put(store::Space::kMeta, first_key, entry.SerializeAsString());
  ASSERT_THAT(store_->Commit(m), IsOk());
  EXPECT_THAT(ReleaseStore(*store_).Ledger(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(job_->RunOnce(kFebruary2027), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(Release("persons-by-facility", "2026Q4"), "");
}

}  // namespace
}  // namespace confidant::server::shredder_testing
