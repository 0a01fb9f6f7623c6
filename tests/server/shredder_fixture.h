// ShredderTest: a real RocksDB store, keys, audit log, record vault and shredder, with a clock
// the test sets, and helpers to submit, amend and read records and to look at the store and the
// log. Shared by the shredding and the shred-register tests. Header-only, for tests/server.
#ifndef CONFIDANT_TESTS_SERVER_SHREDDER_FIXTURE_H_
#define CONFIDANT_TESTS_SERVER_SHREDDER_FIXTURE_H_

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

namespace confidant::server::shredder_testing {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kT0 = 1'800'000'000;
constexpr int64_t kDay = 86400;
constexpr char kSubmitter[] = "spiffe://confidant.example/dev/visit_team";

inline std::shared_ptr<const policy::Authorizer> AuthorizerFrom(const std::string& text) {
  absl::StatusOr<policy::Policy> policy = policy::Policy::FromText(text);
  EXPECT_THAT(policy, IsOk());
  return std::make_shared<const policy::Authorizer>(
      std::make_shared<const policy::Policy>(*std::move(policy)));
}

// A valid record in Quebec with `text` in its free-text fields.
inline v1::InterviewRecord RecordWith(const std::string& text) {
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
inline std::vector<std::string> FilesContaining(const std::string& dir, const std::string& needle) {
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
    facilities_ = std::make_unique<FacilityHistory>(*store_, *keys_);
    records_ = std::make_unique<RecordVault>(*store_, *keys_, *facilities_,
                                             [this] { return micros_ / 1000000; });
    shredder_ = std::make_unique<Shredder>(
        *store_, *keys_, *log_, *recorder_, *break_glass_, [this] { return micros_.load(); },
        [this](std::string_view raw_id) -> absl::Mutex& { return records_->RecordMutex(raw_id); });
    authorizer_ = AuthorizerFrom(kDevPolicyText);
  }

  void TearDown() override {
    shredder_.reset();
    records_.reset();
    facilities_.reset();
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
    auto commit = [this](store::Mutation data, v1::SubmitRecordResponse&, std::string_view) {
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
  std::unique_ptr<FacilityHistory> facilities_;
  std::unique_ptr<RecordVault> records_;
  std::unique_ptr<Shredder> shredder_;
  std::shared_ptr<const policy::Authorizer> authorizer_;
};

}  // namespace confidant::server::shredder_testing

#endif  // CONFIDANT_TESTS_SERVER_SHREDDER_FIXTURE_H_
