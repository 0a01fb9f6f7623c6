// The facility registry over real mTLS: with the signed policy's facility list in force (the dev
// policy is deploy/policy.example.textproto, version 1), a submission naming an unregistered
// facility is INVALID_ARGUMENT with the three closest registered ids and the policy version, the
// submitted id is never printed back (not in the error, the audit entry or the server log), and
// nothing is stored; a registered facility in the wrong region names the registry's region.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "base/files.h"
#include "client/vault_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/policy_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class FacilityRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    team_ = vault_->ClientAs("visit_team");
    ASSERT_NE(team_, nullptr);
  }

  int RecordCount() {
    absl::StatusOr<v1::ListRecordsResponse> listed =
        vault_->ClientAs("case_officer")->List(v1::ListRecordsRequest());
    EXPECT_THAT(listed, IsOk());
    return listed.ok() ? listed->records_size() : -1;
  }

  std::unique_ptr<VaultProcess> vault_;
  std::unique_ptr<client::VaultClient> team_;
};

TEST_F(FacilityRegistryTest, UnregisteredFacilityIsRefusedWithTheClosestRegisteredIds) {
  v1::InterviewRecord typo = SyntheticRecord("registry");
  typo.mutable_visit()->set_facility_id("qc-lav-ihd");
  EXPECT_THAT(team_->Submit(typo, "registry-typo-01"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "visit.facility_id: not in the facility registry (policy version 1); "
                       "closest: qc-lav-ihc, bc-sur-ihc, on-tor-ihc"));
  EXPECT_EQ(RecordCount(), 0);
  // The same record with the registered id goes through.
  typo.mutable_visit()->set_facility_id("qc-lav-ihc");
  EXPECT_THAT(team_->Submit(typo, "registry-fixed-1"), IsOk());
  EXPECT_EQ(RecordCount(), 1);
}

TEST_F(FacilityRegistryTest, TheSubmittedIdIsNeverPrintedBack) {
  const std::string canary = "CANARY-facility-77e1";
  v1::InterviewRecord record = SyntheticRecord("registry");
  record.mutable_visit()->set_facility_id(canary);
  absl::StatusOr<v1::SubmitRecordResponse> refused = team_->Submit(record, "registry-canary1");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("closest: ")));
  EXPECT_THAT(std::string(refused.status().message()), Not(HasSubstr("CANARY")));
  EXPECT_THAT(vault_->log(), Not(HasSubstr("CANARY")));
  for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
    EXPECT_THAT(entry.event().DebugString(), Not(HasSubstr("CANARY")));
  }
  EXPECT_EQ(RecordCount(), 0);
}

TEST_F(FacilityRegistryTest, RegisteredFacilityInTheWrongRegionNamesItsRegion) {
  v1::InterviewRecord moved = SyntheticRecord("registry");
  moved.mutable_visit()->set_region(v1::ONTARIO);  // qc-lav-ihc is in Quebec
  EXPECT_THAT(team_->Submit(moved, "registry-region1"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "visit.region: not the region of this facility in the published list; "
                       "the registry places it in QUEBEC (as written in a record file)"));
  EXPECT_EQ(RecordCount(), 0);
}

// `confidant list --facility` with a misspelt or wrongly cased id names the closest registered
// ids instead of printing nothing; an empty result says so.
TEST_F(FacilityRegistryTest, ListingAnUnregisteredFacilityNamesTheClosestIds) {
  ASSERT_THAT(team_->Submit(SyntheticRecord("registry-list"), "registry-list-01"), IsOk());
  auto list = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {CONFIDANT_CLI_PATH, "--identity",
                                    vault_->identity_dir("case_officer"), "--server",
                                    vault_->address(), "list"};
    all.insert(all.end(), args.begin(), args.end());
    return RunCommand(all);
  };
  const CommandResult upper = list({"--facility", "QC-LAV-IHC"});
  EXPECT_EQ(upper.exit_code, 2);
  EXPECT_THAT(upper.err, HasSubstr("--facility: \"QC-LAV-IHC\" is not in the facility registry "
                                   "(ids are case-sensitive); closest: qc-lav-ihc"));
  EXPECT_TRUE(upper.out.empty());
  const CommandResult found = list({"--facility", "qc-lav-ihc"});
  EXPECT_EQ(found.exit_code, 0) << found.err;
  EXPECT_THAT(found.out, HasSubstr("qc-lav-ihc"));
  const CommandResult none = list({"--facility", "on-tor-ihc"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(none.out.empty());
  EXPECT_THAT(none.err, HasSubstr("no records match these filters in your scope"));
}

// A record sealed on a field laptop before its facility was dropped from the registry is not
// lost: the vault accepts it for the intake grace (server/facility_history.h). A record sealed
// after the drop, or naming another region, is refused as before.
TEST_F(FacilityRegistryTest, ARecordSealedBeforeItsFacilityWasDroppedIsStillAccepted) {
  absl::StatusOr<v1::IntakeKey> key = team_->FetchIntakeKey();
  ASSERT_THAT(key, IsOk());
  const std::string submitter = DevPrincipalOf("visit_team");
  const int64_t before = absl::ToUnixSeconds(absl::Now()) - 5;
  v1::InterviewRecord record = SyntheticRecord("dropped");
  ASSERT_EQ(record.visit().facility_id(), "qc-lav-ihc");
  absl::StatusOr<v1::SubmitRecordRequest> sealed_before =
      client::SealSubmission(*key, submitter, record, "dropped-before-1", before);
  ASSERT_THAT(sealed_before, IsOk());
  v1::InterviewRecord moved = record;
  moved.mutable_visit()->set_region(v1::ONTARIO);
  absl::StatusOr<v1::SubmitRecordRequest> wrong_region =
      client::SealSubmission(*key, submitter, moved, "dropped-region-1", before);
  ASSERT_THAT(wrong_region, IsOk());

  // Policy version 2 drops qc-lav-ihc from the facility list.
  absl::StatusOr<std::string> original = ReadFile(DevPolicyPath(*vault_));
  ASSERT_THAT(original, IsOk());
  const std::string line = "facilities { id: \"qc-lav-ihc\"   region: QUEBEC }";
  ASSERT_NE(original->find(line), std::string::npos);
  const std::string text =
      absl::StrReplaceAll(*original, {{"\nversion: 1\n", "\nversion: 2\n"}, {line, ""}});
  absl::StatusOr<std::string> signatures = SignedByDevKeys(*vault_, text, {1, 2});
  ASSERT_THAT(signatures, IsOk());
  ASSERT_THAT(InstallDevPolicy(*vault_, text, *signatures), IsOk());
  const grpc::Status reloaded = ReloadPolicyAs(*vault_, "custodian");
  ASSERT_TRUE(reloaded.ok()) << reloaded.error_message();

  absl::StatusOr<v1::SubmitRecordResponse> accepted = team_->SubmitSealed(*sealed_before);
  ASSERT_THAT(accepted, IsOk());
  EXPECT_TRUE(accepted->facility_dropped()) << "flagged for staff: the creation time is a claim";
  bool audited = false;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
    audited = audited || absl::StrContains(entry.event().detail(), "facility dropped");
  }
  EXPECT_TRUE(audited);
  EXPECT_THAT(team_->SubmitSealed(*wrong_region),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("visit.facility_id")));
  absl::SleepFor(absl::Seconds(1));
  absl::StatusOr<v1::SubmitRecordRequest> sealed_after = client::SealSubmission(
      *key, submitter, record, "dropped-after-01", absl::ToUnixSeconds(absl::Now()) + 1);
  ASSERT_THAT(sealed_after, IsOk());
  EXPECT_THAT(team_->SubmitSealed(*sealed_after),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not in the facility registry (policy version 2)")));
  EXPECT_EQ(RecordCount(), 1);

  // The drop survives a restart (kept in the data directory, sealed): still accepted.
  ASSERT_THAT(vault_->Restart(), IsOk());
  team_ = vault_->ClientAs("visit_team");
  absl::StatusOr<v1::SubmitRecordRequest> second_before =
      client::SealSubmission(*key, submitter, record, "dropped-before-2", before);
  ASSERT_THAT(second_before, IsOk());
  EXPECT_THAT(team_->SubmitSealed(*second_before), IsOk());
}

}  // namespace
}  // namespace confidant::testing
