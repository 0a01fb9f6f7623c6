// Policy-driven wrap changes over real mTLS (confidantd --dev): a signed policy that grants the
// case officer the health section starts an audited rewrap (naming the policy version and the
// change) after which the case officer reads the health section of a record filed before; one
// that revokes the health reviewer's interview section removes those wraps from storage (a
// scan of the stopped vault's wraps space), and a re-grant adds them back; a grant installed
// while the vault was down is applied when it starts. A reload that would
// leave a section readable by no role is refused (FAILED_PRECONDITION, audited, nothing
// changes); a non-custodian cannot reload or look at the job (PERMISSION_DENIED); a sealed vault
// reloads nothing (FAILED_PRECONDITION).
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/files.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/policy.pb.h"
#include "server/store/rocksdb_store.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/policy_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr size_t kRawIdBytes = 16;
constexpr char kOfficer[] = "readable_sections: [IDENTITY, INTERVIEW, LEGAL]";
constexpr char kOfficerWithHealth[] = "readable_sections: [IDENTITY, INTERVIEW, LEGAL, HEALTH]";
constexpr char kReviewer[] = "readable_sections: [HEALTH, INTERVIEW]";

// (section, role) of every stored wrap of the record with raw id `raw`. The vault must be
// stopped.
std::set<std::pair<int, int>> StoredWraps(const std::string& data_dir, const std::string& raw) {
  std::set<std::pair<int, int>> wraps;
  absl::StatusOr<std::unique_ptr<store::RocksDbStore>> db = store::RocksDbStore::Open(data_dir);
  EXPECT_THAT(db, IsOk());
  if (!db.ok()) return wraps;
  EXPECT_THAT((*db)->Scan(store::Space::kWraps, raw,
                          [&](std::string_view key, std::string_view) {
                            wraps.emplace(static_cast<uint8_t>(key[kRawIdBytes + 8]),
                                          static_cast<uint8_t>(key[kRawIdBytes + 9]));
                            return true;
                          }),
              IsOk());
  return wraps;
}

class PolicyWrapsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    absl::StatusOr<std::string> text = ReadFile(DevPolicyPath(*vault_));
    ASSERT_THAT(text, IsOk());
    original_ = *text;
    ASSERT_THAT(original_, HasSubstr("\nversion: 1\n"));
    ASSERT_THAT(original_, HasSubstr(kOfficer));
    ASSERT_THAT(original_, HasSubstr(kReviewer));
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        vault_->ClientAs("visit_team")->Submit(SyntheticRecord("wraps"), "policy-wraps-0001");
    ASSERT_THAT(submitted, IsOk());
    record_id_ = submitted->record_id();
  }

  // The dev policy at `version` with `officer` and `reviewer` as their readable sections.
  std::string PolicyText(int version, const std::string& officer,
                         const std::string& reviewer) const {
    return absl::StrReplaceAll(original_, {{"\nversion: 1\n", absl::StrCat("\nversion: ", version,
                                                                            "\n")},
                                           {kOfficer, officer},
                                           {kReviewer, reviewer}});
  }

  // The sections `role` gets of the record, reading for `purpose`.
  std::vector<int> SectionsRead(const std::string& role, v1::Purpose purpose) {
    v1::GetRecordRequest request;
    request.set_record_id(record_id_);
    request.set_purpose(purpose);
    absl::StatusOr<v1::GetRecordResponse> got = vault_->ClientAs(role)->Get(request);
    EXPECT_THAT(got, IsOk());
    if (!got.ok()) return {};
    if (got->has_health()) {
      EXPECT_EQ(got->health().observations(), "wraps observations");
    }
    return {got->sections_released().begin(), got->sections_released().end()};
  }

  grpc::Status RewrapStatusAs(const std::string& role, v1::RewrapStatus* status) const {
    grpc::ClientContext context;
    SetTestDeadline(context);
    return v1::OperatorService::NewStub(ChannelAs(*vault_, role))
        ->GetRewrapStatus(&context, {}, status);
  }

  v1::RewrapStatus WaitForRewrap() const {
    v1::RewrapStatus status;
    for (int i = 0; i < 600; ++i) {
      EXPECT_TRUE(RewrapStatusAs("custodian", &status).ok());
      if (!status.running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return status;
  }

  std::vector<v1::AuditEvent> Events(const std::string& action) const {
    return AuditEventsWithAction(*vault_, action);
  }

  std::set<std::pair<int, int>> WrapsInStorage() {
    vault_->Stop();
    std::set<std::pair<int, int>> wraps =
        StoredWraps(vault_->data_dir(), absl::HexStringToBytes(record_id_));
    EXPECT_THAT(vault_->Restart(), IsOk());
    return wraps;
  }

  std::unique_ptr<VaultProcess> vault_;
  std::string original_, record_id_;
};

const std::pair<int, int> kOfficerHealth{v1::HEALTH, policy::v1::CASE_OFFICER};
const std::pair<int, int> kReviewerInterview{v1::INTERVIEW, policy::v1::HEALTH_REVIEWER};

TEST_F(PolicyWrapsTest, GrantAddsWrapsForOldRecordsRevokeDeletesThemAndRegrantAddsThemBack) {
  EXPECT_THAT(SectionsRead("case_officer", v1::FOLLOW_UP), Not(Contains(v1::HEALTH)));

  // Grant: the case officer gains the health section.
  ASSERT_THAT(InstallAndReloadDevPolicy(*vault_, PolicyText(2, kOfficerWithHealth, kReviewer)),
              IsOk());
  v1::RewrapStatus status = WaitForRewrap();
  EXPECT_TRUE(status.completed());
  EXPECT_EQ(status.wraps_added(), 1u);
  EXPECT_EQ(status.wraps_removed(), 0u);
  EXPECT_EQ(status.trigger(), "policy version 2: case_officer +health");
  EXPECT_THAT(SectionsRead("case_officer", v1::FOLLOW_UP), Contains(v1::HEALTH));
  std::vector<v1::AuditEvent> started = Events("wrap_grants_changed");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_THAT(started[0].detail(), HasSubstr("policy version 2: case_officer +health"));
  EXPECT_EQ(started[0].rule(), "vault:policy-grants");
  std::vector<v1::AuditEvent> completed = Events("rewrap_completed");
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_THAT(completed[0].detail(), HasSubstr("1 wraps added for newly granted roles"));

  // Revoke: the health reviewer loses the interview section; its wrap leaves storage.
  EXPECT_THAT(SectionsRead("health_reviewer", v1::CASE_REVIEW), Contains(v1::INTERVIEW));
  ASSERT_THAT(InstallAndReloadDevPolicy(
                  *vault_, PolicyText(3, kOfficerWithHealth, "readable_sections: [HEALTH]")),
              IsOk());
  status = WaitForRewrap();
  EXPECT_TRUE(status.completed());
  EXPECT_EQ(status.wraps_removed(), 1u);
  EXPECT_EQ(status.trigger(), "policy version 3: health_reviewer -interview");
  EXPECT_THAT(SectionsRead("health_reviewer", v1::CASE_REVIEW), Not(Contains(v1::INTERVIEW)));
  std::set<std::pair<int, int>> wraps = WrapsInStorage();
  EXPECT_THAT(wraps, Not(Contains(kReviewerInterview)));
  EXPECT_THAT(wraps, Contains(kOfficerHealth));
  EXPECT_THAT(wraps, Contains(std::pair<int, int>{v1::INTERVIEW, policy::v1::CASE_OFFICER}));

  // Re-grant: the wrap comes back and the reviewer reads the interview again.
  ASSERT_THAT(InstallAndReloadDevPolicy(*vault_, PolicyText(4, kOfficerWithHealth, kReviewer)),
              IsOk());
  status = WaitForRewrap();
  EXPECT_TRUE(status.completed());
  EXPECT_EQ(status.wraps_added(), 1u);
  EXPECT_THAT(SectionsRead("health_reviewer", v1::CASE_REVIEW), Contains(v1::INTERVIEW));
  EXPECT_THAT(WrapsInStorage(), Contains(kReviewerInterview));
}

TEST_F(PolicyWrapsTest, AGrantInstalledWhileTheVaultWasDownIsAppliedWhenItStarts) {
  vault_->Stop();
  const std::string text = PolicyText(2, kOfficerWithHealth, kReviewer);
  absl::StatusOr<std::string> signatures = SignedByDevKeys(*vault_, text, {1, 2});
  ASSERT_THAT(signatures, IsOk());
  ASSERT_THAT(InstallDevPolicy(*vault_, text, *signatures), IsOk());
  ASSERT_THAT(vault_->Restart(), IsOk());
  const v1::RewrapStatus status = WaitForRewrap();
  EXPECT_TRUE(status.completed());
  EXPECT_EQ(status.wraps_added(), 1u);
  EXPECT_EQ(status.trigger(), "policy version 2 (in force since unseal): case_officer +health");
  EXPECT_THAT(SectionsRead("case_officer", v1::FOLLOW_UP), Contains(v1::HEALTH));
  ASSERT_EQ(Events("wrap_grants_changed").size(), 1u);
  // A later restart with the same policy starts nothing.
  vault_->Stop();
  ASSERT_THAT(vault_->Restart(), IsOk());
  EXPECT_EQ(Events("wrap_grants_changed").size(), 1u);
}

TEST_F(PolicyWrapsTest, AReloadLeavingASectionUnreadIsRefusedAndChangesNothing) {
  const std::set<std::pair<int, int>> before = WrapsInStorage();
  ASSERT_THAT(before, Contains(std::pair<int, int>{v1::HEALTH, policy::v1::HEALTH_REVIEWER}));
  EXPECT_THAT(InstallAndReloadDevPolicy(
                  *vault_, PolicyText(2, kOfficer, "readable_sections: [INTERVIEW]")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no role may read the health section")));
  std::vector<v1::AuditEvent> rejected = Events("policy_rejected");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_THAT(rejected[0].detail(), HasSubstr("no role may read the health section"));
  EXPECT_TRUE(Events("wrap_grants_changed").empty());
  EXPECT_THAT(SectionsRead("health_reviewer", v1::CASE_REVIEW), Contains(v1::HEALTH));
  // Left on disk, the refused file would stop the next start as well
  // (tests/e2e/section_coverage_test.cc): the policy in force goes back before the restart.
  absl::StatusOr<std::string> signatures = SignedByDevKeys(*vault_, original_, {1, 2});
  ASSERT_THAT(signatures, IsOk());
  ASSERT_THAT(InstallDevPolicy(*vault_, original_, *signatures), IsOk());
  EXPECT_EQ(WrapsInStorage(), before);
}

TEST_F(PolicyWrapsTest, OnlyACustodianReloadsOrSeesTheJobAndASealedVaultReloadsNothing) {
  const std::string grant = PolicyText(2, kOfficerWithHealth, kReviewer);
  absl::StatusOr<std::string> signatures = SignedByDevKeys(*vault_, grant, {1, 2});
  ASSERT_THAT(signatures, IsOk());
  ASSERT_THAT(InstallDevPolicy(*vault_, grant, *signatures), IsOk());
  EXPECT_EQ(ReloadPolicyAs(*vault_, "case_officer").error_code(), grpc::PERMISSION_DENIED);
  v1::RewrapStatus status;
  EXPECT_EQ(RewrapStatusAs("case_officer", &status).error_code(), grpc::PERMISSION_DENIED);
  EXPECT_TRUE(Events("wrap_grants_changed").empty());
  EXPECT_THAT(SectionsRead("case_officer", v1::FOLLOW_UP), Not(Contains(v1::HEALTH)));

  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::VaultStatus sealed;
  ASSERT_TRUE(v1::OperatorService::NewStub(ChannelAs(*vault_, "custodian"))
                  ->Seal(&context, v1::SealRequest(), &sealed)
                  .ok());
  EXPECT_EQ(ReloadPolicyAs(*vault_, "custodian").error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_EQ(RewrapStatusAs("custodian", &status).error_code(), grpc::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace confidant::testing
