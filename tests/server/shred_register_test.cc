// Re-applying a newer log's shred register to a restored backup shreds the records that came
// back with it: a record shredded after the backup was taken stays gone after a restore.
#include "server/shred_register.h"

#include <filesystem>
#include <string>

#include "tests/server/shredder_fixture.h"

namespace confidant::server {
namespace {

using namespace shredder_testing;  // NOLINT: the fixture and its helpers

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
    FacilityHistory facilities(**restored, **keys);
    RecordVault records(**restored, **keys, facilities, [this] { return micros_ / 1000000; });
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
