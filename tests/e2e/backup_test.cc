// Online backups over real mTLS, with the vault's clock moved through its dev hook and a signed
// policy with 1-day backup epochs and a 2-day backup retention: `confidant operator backup DIR`
// (custodians only) writes a backup while records are being submitted, with progress in the
// operational log and a "backup_taken" audit entry naming its epoch, entry count and audit log
// size; no canary reaches any backup file; a target on the data directory's filesystem is refused;
// the backup opens (verify-backup) until its epoch key is destroyed once the retention window
// has passed since the epoch ended ("backup_epoch_destroyed"), after which it no longer opens;
// the vault still restarts, and `audit verify` passes.
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/files.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/break_glass_calls.h"
#include "tests/e2e/canary_scanner.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/policy_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kDay = 86400;
constexpr char kCanary[] = "CANARY-backup-e2e-94c2";

class BackupE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/dev/shm/confidant-backup-e2e-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) GTEST_SKIP() << "no /dev/shm to back up to";
    target_root_ = pattern;
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::StartWithDevClock();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    absl::StatusOr<std::string> text = ReadFile(DevPolicyPath(*vault_));
    ASSERT_THAT(text, IsOk());
    std::string policy = absl::StrReplaceAll(
        *text, {{"\nversion: 1\n", "\nversion: 2\n"},
                {"settings {\n",
                 "settings {\n  backup_epoch_days: 1\n  backup_retention_days: 2\n"}});
    ASSERT_NE(policy, *text);
    ASSERT_THAT(InstallAndReloadDevPolicy(*vault_, policy), IsOk());
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<v1::SubmitRecordResponse> submitted = vault_->ClientAs("visit_team")->Submit(
          SyntheticRecord(absl::StrCat(kCanary, i)), absl::StrCat("backup-e2e-0000", i));
      ASSERT_THAT(submitted, IsOk());
    }
  }
  void TearDown() override {
    vault_.reset();
    std::error_code ec;
    if (!target_root_.empty()) std::filesystem::remove_all(target_root_, ec);
  }

  CommandResult Cli(const std::string& role, std::vector<std::string> args) {
    std::vector<std::string> full = {CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir(role),
                                     "--server", vault_->address()};
    full.insert(full.end(), args.begin(), args.end());
    return RunCommand(full);
  }

  grpc::Status BackupAs(const std::string& role, const std::string& directory) {
    auto stub = v1::OperatorService::NewStub(ChannelAs(*vault_, role));
    grpc::ClientContext context;
    SetTestDeadline(context, 60);
    v1::BackupRequest request;
    request.set_directory(directory);
    v1::BackupResponse ignored;
    return stub->Backup(&context, request, &ignored);
  }

  std::vector<v1::AuditEvent> EventsWithAction(const std::string& action) {
    return AuditEventsWithAction(*vault_, action);
  }

  std::string target_root_;
  std::unique_ptr<VaultProcess> vault_;
};

TEST_F(BackupE2eTest, BackupDuringWritesHoldsNoPlaintextAndStopsOpeningAfterTheWindow) {
  // Submissions go on while the backup is taken: the vault keeps serving.
  std::atomic<bool> stop{false};
  std::atomic<int> submitted{0}, failed{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 200; ++i) {
      absl::StatusOr<v1::SubmitRecordResponse> done = vault_->ClientAs("visit_team")->Submit(
          SyntheticRecord(absl::StrCat(kCanary, "w", i)), absl::StrCat("backup-e2e-w", 1000 + i));
      (done.ok() ? submitted : failed).fetch_add(1);
    }
  });
  const std::string directory = target_root_ + "/b1";
  const CommandResult backup = Cli("custodian", {"operator", "backup", directory});
  stop.store(true);
  writer.join();
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_EQ(failed.load(), 0);
  EXPECT_THAT(backup.out, HasSubstr("backup written to " + directory + ": epoch 1"));
  EXPECT_THAT(backup.out, HasSubstr("its epoch key is destroyed"));
  EXPECT_THAT(vault_->log(), HasSubstr("backup_progress entries="));
  EXPECT_THAT(vault_->log(), HasSubstr("backup_written epoch=1"));

  const std::vector<v1::AuditEvent> taken = EventsWithAction("backup_taken");
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].status_code(), "OK");
  EXPECT_EQ(taken[0].principal(), DevPrincipalOf("custodian"));
  EXPECT_THAT(taken[0].detail(), HasSubstr("backup epoch 1: "));
  EXPECT_THAT(taken[0].detail(), HasSubstr("contains the audit log up to checkpoint size"));
  EXPECT_EQ(EventsWithAction("backup_epoch_created").size(), 1u);

  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(FindCanary(directory, absl::StrCat(kCanary, i)), IsEmpty());
  }
  EXPECT_THAT(FindCanary(directory, kCanary), IsEmpty());

  const CommandResult verified = Cli("custodian", {"operator", "verify-backup", directory});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("opens: epoch 1"));

  // Epoch 1 ends a day after it began; its key goes two days after that.
  ASSERT_THAT(vault_->SetClockOffsetSeconds(3 * kDay - 600), IsOk());
  ASSERT_EQ(Cli("custodian", {"operator", "verify-backup", directory}).exit_code, 0);
  ASSERT_THAT(vault_->SetClockOffsetSeconds(3 * kDay + 600), IsOk());
  const CommandResult gone = Cli("custodian", {"operator", "verify-backup", directory});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_THAT(gone.err, HasSubstr("can no longer be opened"));
  const std::vector<v1::AuditEvent> destroyed = EventsWithAction("backup_epoch_destroyed");
  ASSERT_EQ(destroyed.size(), 1u);
  EXPECT_THAT(destroyed[0].detail(), HasSubstr("backup epoch 1: key destroyed"));

  // A new backup starts a new epoch; the vault still opens without the destroyed key.
  const CommandResult next = Cli("custodian", {"operator", "backup", target_root_ + "/b2"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_THAT(next.out, HasSubstr("epoch 2"));
  ASSERT_THAT(vault_->Restart(), IsOk());
  EXPECT_EQ(Cli("custodian", {"operator", "verify-backup", target_root_ + "/b2"}).exit_code, 0);
  const CommandResult audit = Cli("auditor", {"audit", "verify"});
  EXPECT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(audit.out, HasSubstr("verified"));
}

TEST_F(BackupE2eTest, OnlyCustodiansBackUpAndNeverOntoTheDataFilesystem) {
  for (const char* role : {"case_officer", "auditor", "visit_team"}) {
    EXPECT_EQ(BackupAs(role, target_root_ + "/x").error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << role;
  }
  EXPECT_FALSE(std::filesystem::exists(target_root_ + "/x"));
  grpc::Status same = BackupAs("custodian", vault_->root() + "/backup");
  EXPECT_EQ(same.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(same.error_message(), HasSubstr("same filesystem as the data directory"));
  EXPECT_EQ(BackupAs("custodian", "relative").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(EventsWithAction("backup_epoch_created").empty());
}

}  // namespace
}  // namespace confidant::testing
