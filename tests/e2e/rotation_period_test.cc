// Role keys rotate on the policy's period (settings.role_key_rotation_days, default 90) over real
// mTLS (confidantd --dev, the vault's clock moved through its dev hook, the period checked every
// second through --dev_rotation_check_seconds): nothing happens before the newest role key
// version is older than the period; then the vault rotates by itself (audited "keys_rotated" with
// rule "vault:role-key-rotation-period"), starts the rewrap job, which destroys the old versions,
// and every record stays readable. A period of 0 turns it off.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/policy_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kDay = 86400;
constexpr char kRule[] = "vault:role-key-rotation-period";

class RotationPeriodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault =
        VaultProcess::StartWithDevClock({"--dev_rotation_check_seconds", "1"});
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    for (int i = 0; i < 3; ++i) records_.push_back(SubmitOne(absl::StrCat("period-", i)));
  }

  // Sealed on a laptop whose clock agrees with the vault's (moved `clock_offset` ahead of the
  // host's): an envelope may not predate its intake key by more than a day, and the rotation
  // replaces the intake key too.
  std::string SubmitOne(const std::string& submission_id, int64_t clock_offset = 0) {
    std::unique_ptr<client::VaultClient> team = vault_->ClientAs("visit_team");
    absl::StatusOr<v1::IntakeKey> key = team->FetchIntakeKey();
    EXPECT_THAT(key, IsOk());
    if (!key.ok()) return "";
    absl::StatusOr<v1::SubmitRecordRequest> sealed =
        client::SealSubmission(*key, team->identity().principal, SyntheticRecord("period"),
                               submission_id, absl::ToUnixSeconds(absl::Now()) + clock_offset);
    EXPECT_THAT(sealed, IsOk());
    if (!sealed.ok()) return "";
    absl::StatusOr<v1::SubmitRecordResponse> submitted = team->SubmitSealed(*sealed);
    EXPECT_THAT(submitted, IsOk());
    return submitted.ok() ? submitted->record_id() : "";
  }

  absl::Status Read(const std::string& record_id) {
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(v1::FOLLOW_UP);
    absl::StatusOr<v1::GetRecordResponse> got = vault_->ClientAs("case_officer")->Get(request);
    if (!got.ok()) return got.status();
    return got->identity().full_name() == "period name" ? absl::OkStatus()
                                                        : absl::DataLossError("wrong content");
  }

  std::vector<v1::AuditEvent> Events(const std::string& action) const {
    return AuditEventsWithAction(*vault_, action);
  }

  // Polls (up to 60 s) until there are at least `count` entries with `action`.
  std::vector<v1::AuditEvent> WaitForEvents(const std::string& action, size_t count) const {
    std::vector<v1::AuditEvent> events;
    for (int i = 0; i < 600; ++i) {
      events = Events(action);
      if (events.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return events;
  }

  // Several checks of the timer (one a second).
  static void LetTheTimerRun() { std::this_thread::sleep_for(std::chrono::milliseconds(3500)); }

  std::unique_ptr<VaultProcess> vault_;
  std::vector<std::string> records_;
};

TEST_F(RotationPeriodTest, RoleKeysRotateOnceThePeriodPassesAndOldVersionsAreDestroyed) {
  LetTheTimerRun();
  EXPECT_TRUE(Events("keys_rotated").empty()) << "rotated before the period";
  ASSERT_THAT(vault_->SetClockOffsetSeconds(89 * kDay), IsOk());
  LetTheTimerRun();
  EXPECT_TRUE(Events("keys_rotated").empty()) << "rotated before the period";

  ASSERT_THAT(vault_->SetClockOffsetSeconds(91 * kDay), IsOk());
  std::vector<v1::AuditEvent> rotated = WaitForEvents("keys_rotated", 1);
  ASSERT_EQ(rotated.size(), 1u) << vault_->log();
  EXPECT_EQ(rotated[0].rule(), kRule);
  EXPECT_EQ(rotated[0].decision(), v1::ALLOW);
  EXPECT_THAT(rotated[0].detail(), HasSubstr("role_key_rotation_days 90"));
  EXPECT_THAT(rotated[0].detail(), HasSubstr("case_officer v2"));
  std::vector<v1::AuditEvent> started = WaitForEvents("rewrap_started", 1);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].rule(), kRule);
  ASSERT_EQ(WaitForEvents("rewrap_completed", 1).size(), 1u) << vault_->log();
  std::vector<v1::AuditEvent> destroyed = Events("role_key_destroyed");
  EXPECT_FALSE(destroyed.empty());
  bool case_officer_v1 = false;
  for (const v1::AuditEvent& e : destroyed) {
    if (absl::StrContains(e.detail(), "case_officer v1")) {
      case_officer_v1 = true;
    }
  }
  EXPECT_TRUE(case_officer_v1) << "the old version of a reading role's key was not destroyed";
  for (const std::string& id : records_) EXPECT_THAT(Read(id), IsOk());
  records_.push_back(SubmitOne("period-after", 91 * kDay));
  EXPECT_THAT(Read(records_.back()), IsOk());

  // The new versions are young: no second rotation until the period passes again.
  LetTheTimerRun();
  EXPECT_EQ(Events("keys_rotated").size(), 1u);
  ASSERT_THAT(vault_->SetClockOffsetSeconds(182 * kDay), IsOk());
  EXPECT_EQ(WaitForEvents("keys_rotated", 2).size(), 2u);
}

TEST_F(RotationPeriodTest, APeriodOfZeroTurnsAutomaticRotationOff) {
  absl::StatusOr<std::string> text = ReadFile(DevPolicyPath(*vault_));
  ASSERT_THAT(text, IsOk());
  std::string policy = absl::StrReplaceAll(
      *text, {{"\nversion: 1\n", "\nversion: 2\n"},
              {"settings {\n", "settings {\n  role_key_rotation_days: 0\n"}});
  ASSERT_NE(policy, *text);
  ASSERT_THAT(InstallAndReloadDevPolicy(*vault_, policy), IsOk());
  ASSERT_THAT(vault_->SetClockOffsetSeconds(100 * kDay), IsOk());
  LetTheTimerRun();
  EXPECT_TRUE(Events("keys_rotated").empty());
  for (const std::string& id : records_) EXPECT_THAT(Read(id), IsOk());
}

}  // namespace
}  // namespace confidant::testing
