// Crypto-shredding over a real RocksDB store and audit log: after a shred and its compaction no
// byte of the record's wrapped data keys or section ciphertexts (nor its canary) remains in any
// file of the data directory; the record, its versions, consent changes, break-glass requests
// and submission index entries are gone; other records are untouched; each shred leaves one
// disposal receipt; retention counts from the first submission; a clock behind the log stops it;
// the daily pass waits for confirmation above the policy's limit; and re-applying a newer log's
// shred register to a restored backup shreds the records that came back with it.
#include "server/shredder.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "confidant/v1/intake.pb.h"
#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/policy.h"
#include "server/audit/audit_log.h"
#include "server/audit_recorder.h"
#include "server/backup_epochs.h"
#include "server/backup_files.h"
#include "server/break_glass_store.h"
#include "server/dev_environment.h"
#include "server/record_layout.h"
#include "server/record_vault.h"
#include "server/retention_timer.h"
#include "server/shred_register.h"
#include "server/store/rocksdb_store.h"
#include "server/vault_keys.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::server {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kT0 = 1'800'000'000;
constexpr int64_t kDay = 86400;
constexpr char kSubmitter[] = "spiffe://confidant.example/dev/visit_team";

std::shared_ptr<const policy::Authorizer> AuthorizerFrom(const std::string& text) {
  absl::StatusOr<policy::Policy> policy = policy::Policy::FromText(text);
  EXPECT_THAT(policy, IsOk());
  return std::make_shared<const policy::Authorizer>(
      std::make_shared<const policy::Policy>(*std::move(policy)));
}

// A valid record in Quebec with `text` in its free-text fields.
v1::InterviewRecord RecordWith(const std::string& text) {
  v1::InterviewRecord r;
  r.mutable_visit()->set_facility_id("qc-lav-ihc");
  r.mutable_visit()->set_region(v1::QUEBEC);
  r.mutable_visit()->set_visit_date("2026-10-02");
  r.mutable_visit()->set_team("team-quebec-1");
  r.mutable_identity()->set_full_name(text + " name");
  r.mutable_interview()->set_narrative(text + " narrative");
  r.mutable_health()->set_observations(text + " observations");
  r.mutable_legal()->set_proceedings(text + " proceedings");
  r.mutable_indicators()->set_age_band(v1::AGE_25_34);
  r.mutable_indicators()->set_gender(v1::MAN);
  r.mutable_indicators()->set_detention_length(v1::DAYS_7_29);
  v1::Consent* consent = r.add_consents();
  consent->set_purpose(v1::FOLLOW_UP);
  consent->set_given(true);
  consent->set_recorded_on("2026-10-02");
  return r;
}

// Every file below `dir` whose bytes contain `needle`.
std::vector<std::string> FilesContaining(const std::string& dir, const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) found.push_back(entry.path().string());
  }
  return found;
}

class ShredderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    master_ = crypto::SecretBytes::Random(32);
    auto store = store::RocksDbStore::Open(db_dir());
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    auto keys = VaultKeys::LoadOrCreate(*store_, master_, kT0);
    ASSERT_THAT(keys, IsOk());
    keys_ = *std::move(keys);
    auto log = audit::AuditLog::Open(*store_, keys_->audit_key(), keys_->checkpoint_key(),
                                     [this] { return micros_.load(); });
    ASSERT_THAT(log, IsOk());
    log_ = *std::move(log);
    recorder_ = std::make_unique<AuditRecorder>(*log_, [this] { return micros_ / 1000000; });
    break_glass_ = std::make_unique<BreakGlassStore>(*store_, *keys_);
    records_ = std::make_unique<RecordVault>(*store_, *keys_, [this] { return micros_ / 1000000; });
    shredder_ = std::make_unique<Shredder>(
        *store_, *keys_, *log_, *recorder_, *break_glass_, [this] { return micros_.load(); },
        [this](std::string_view raw_id) -> absl::Mutex& { return records_->RecordMutex(raw_id); });
    authorizer_ = AuthorizerFrom(kDevPolicyText);
  }

  void TearDown() override {
    shredder_.reset();
    records_.reset();
    break_glass_.reset();
    recorder_.reset();
    log_.reset();
  }

  std::string db_dir() const { return dir_.path() + "/db"; }
  void SetNow(int64_t seconds) { micros_ = seconds * 1000000; }

  // Seals `record` to the intake key and submits it (or amends `amends`) with an audit entry.
  // With `status`, a failure is reported there instead of failing the test.
  std::string Submit(const v1::InterviewRecord& record, const std::string& submission_id,
                     const std::string& amends = "", absl::Status* status = nullptr) {
    v1::IntakePayload payload;
    payload.set_format_version(1);
    payload.set_submission_id(submission_id);
    payload.set_submitter(kSubmitter);
    payload.set_intake_key_version(keys_->current_intake()->version);
    payload.set_created_unix_seconds(micros_ / 1000000);
    *payload.mutable_record() = record;
    payload.set_amends_record_id(amends);
    absl::StatusOr<std::string> sealed = crypto::SealToPublicKey(
        keys_->current_intake()->key_pair.public_key, payload.SerializeAsString());
    EXPECT_THAT(sealed, IsOk());
    v1::SubmitRecordRequest request;
    request.set_submission_id(submission_id);
    request.set_intake_key_version(keys_->current_intake()->version);
    request.set_sealed_envelope(*sealed);
    auto commit = [this](store::Mutation data, v1::SubmitRecordResponse&) {
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
    if (status != nullptr) {
      *status = response.status();
    } else {
      EXPECT_THAT(response, IsOk());
    }
    return response.ok() ? response->record_id() : "";
  }

  // What a case officer's allowed read of `id` gets.
  absl::StatusOr<v1::GetRecordResponse> Read(const std::string& id) {
    policy::Decision decision;
    decision.outcome = policy::Decision::Outcome::kAllow;
    decision.person_id = "case_officer";
    decision.role = policy::v1::CASE_OFFICER;
    for (auto section : {policy::v1::IDENTITY, policy::v1::INTERVIEW, policy::v1::LEGAL}) {
      decision.sections.push_back({section, policy::v1::CASE_OFFICER});
    }
    return records_->Get(id, decision);
  }

  // Every value stored under `prefix` in `space`.
  std::vector<std::string> ValuesUnder(store::Space space, const std::string& prefix) {
    std::vector<std::string> values;
    EXPECT_THAT(store_->Scan(space, prefix, [&](std::string_view, std::string_view v) {
      values.emplace_back(v);
      return true;
    }),
                IsOk());
    return values;
  }

  int IndexEntriesOfSize(size_t size) {
    int n = 0;
    EXPECT_THAT(store_->Scan(store::Space::kIndex, "", [&](std::string_view k, std::string_view) {
      n += k.size() == size ? 1 : 0;
      return true;
    }),
                IsOk());
    return n;
  }

  std::vector<v1::AuditEvent> EntriesWithAction(const std::string& action) {
    std::vector<v1::AuditEvent> events;
    EXPECT_THAT(log_->ReadEntries(0, UINT64_MAX, [&](const v1::AuditEntry& entry) {
      if (entry.event().action() == action) events.push_back(entry.event());
      return true;
    }),
                IsOk());
    return events;
  }

  ShredOrder Order() const {
    return {kRetentionRule, "retention 3650 days (policy version 1)", "", "test"};
  }

  store::TempDir dir_;
  crypto::SecretBytes master_;  // set once libsodium is initialised
  std::atomic<int64_t> micros_{kT0 * 1000000};
  std::unique_ptr<store::RocksDbStore> store_;
  std::unique_ptr<VaultKeys> keys_;
  std::unique_ptr<audit::AuditLog> log_;
  std::unique_ptr<AuditRecorder> recorder_;
  std::unique_ptr<BreakGlassStore> break_glass_;
  std::unique_ptr<RecordVault> records_;
  std::unique_ptr<Shredder> shredder_;
  std::shared_ptr<const policy::Authorizer> authorizer_;
};

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
TEST_F(ShredderTest, ShredRegisterReappliedToARestoredBackupKeepsShreddedRecordsGone) {
  std::string pattern = "/dev/shm/confidant-shred-register-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) GTEST_SKIP() << "no /dev/shm to back up to";
  const std::string backup_root = pattern;
  const std::string keep = Submit(RecordWith("keep"), "register-keep-0001");
  const std::string doomed = Submit(RecordWith("doomed"), "register-doom-0001");
  BackupEpochs epochs(*store_, *keys_, *recorder_);
  absl::StatusOr<BackupEpochKey> key = epochs.Current(kT0, BackupWindow{30 * kDay, 90 * kDay});
  ASSERT_THAT(key, IsOk());
  ASSERT_THAT(WriteBackup(*store_, *key, backup_root + "/b", db_dir(), nullptr), IsOk());
  SetNow(kT0 + 60);
  ASSERT_THAT(shredder_->Shred({doomed}, Order()), IsOk());

  auto restored = store::RocksDbStore::Open(dir_.path() + "/restored");
  ASSERT_THAT(restored, IsOk());
  ASSERT_THAT(RestoreBackup(backup_root + "/b", *key, **restored), IsOk());
  std::error_code ec;
  std::filesystem::remove_all(backup_root, ec);
  auto keys = VaultKeys::LoadOrCreate(**restored, master_, kT0);
  ASSERT_THAT(keys, IsOk());
  auto log = audit::AuditLog::Open(**restored, (*keys)->audit_key(), (*keys)->checkpoint_key(),
                                   [this] { return micros_.load(); });
  ASSERT_THAT(log, IsOk());
  {
    AuditRecorder recorder(**log, [this] { return micros_ / 1000000; });
    BreakGlassStore break_glass(**restored, **keys);
    RecordVault records(**restored, **keys, [this] { return micros_ / 1000000; });
    Shredder shredder(**restored, **keys, **log, recorder, break_glass,
                      [this] { return micros_.load(); },
                      [&records](std::string_view raw_id) -> absl::Mutex& {
                        return records.RecordMutex(raw_id);
                      });
    policy::Decision decision;
    decision.outcome = policy::Decision::Outcome::kAllow;
    decision.person_id = "case_officer";
    decision.role = policy::v1::CASE_OFFICER;
    decision.sections.push_back({policy::v1::INTERVIEW, policy::v1::CASE_OFFICER});
    ASSERT_THAT(records.Get(doomed, decision), IsOk());  // back with the backup

    absl::StatusOr<std::vector<std::string>> reg = ReadShredRegister(*log_);
    ASSERT_THAT(reg, IsOk());
    EXPECT_THAT(*reg, ElementsAre(doomed));
    SetNow(kT0 + 120);
    absl::StatusOr<std::vector<std::string>> again =
        ReapplyShredRegister(*reg, shredder, "the live log");
    ASSERT_THAT(again, IsOk());
    EXPECT_THAT(*again, ElementsAre(doomed));
    EXPECT_THAT(records.Get(doomed, decision), StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(records.Get(keep, decision), IsOk());
    again = ReapplyShredRegister(*reg, shredder, "the live log");
    ASSERT_THAT(again, IsOk());
    EXPECT_THAT(*again, IsEmpty());  // nothing left to do
  }
  std::vector<std::string> rules;
  ASSERT_THAT((*log)->ReadEntries(0, UINT64_MAX, [&](const v1::AuditEntry& entry) {
    if (entry.event().action() == "record_shredded") rules.push_back(entry.event().rule());
    return true;
  }),
              IsOk());
  EXPECT_THAT(rules, ElementsAre(kShredRegisterRule));
}

}  // namespace
}  // namespace confidant::server
