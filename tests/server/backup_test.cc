// Backups over a real RocksDB store and audit log: a backup holds every entry of one snapshot
// (no backup epoch key), no byte of any value in the clear (canary), and refuses a target on the
// data directory's filesystem, a relative or non-empty one; a flipped byte, a cut-off end or the
// wrong epoch key fail to open; epochs roll over with the window, their keys are destroyed once
// the retention window has passed since the epoch ended (audited), after which the epoch's
// backups no longer open, epoch numbers are never reused, and the vault still opens.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/init.h"
#include "policy/authorizer.h"
#include "policy/policy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/audit/audit_log.h"
#include "server/audit_recorder.h"
#include "server/backup_epochs.h"
#include "server/backup_files.h"
#include "server/break_glass_store.h"
#include "server/retention_timer.h"
#include "server/shredder.h"
#include "server/store/rocksdb_store.h"
#include "server/vault_keys.h"
#include "tests/server/backup_fixture.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::server {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST_F(BackupTest, BackupHoldsEverySnapshotEntryAndNoPlaintext) {
  store::Mutation data;
  for (store::Space space : store::kAllSpaces) {
    data.Put(space, absl::StrCat("canary-entry-", static_cast<int>(space)),
             absl::StrCat(kCanary, " in space ", static_cast<int>(space)));
  }
  data.Put(store::Space::kSections, "big", std::string(3 << 20, 'x') + kCanary);  // 4 chunks
  ASSERT_THAT(store_->Commit(data), IsOk());
  ASSERT_THAT(store_->Flush(), IsOk());

  absl::StatusOr<BackupSummary> summary = Backup(Target("b1"));
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->epoch, 1u);
  EXPECT_EQ(summary->chunks, 4u);
  const std::vector<Entry> expected = Snapshot();
  EXPECT_EQ(summary->entries, expected.size());
  absl::StatusOr<std::vector<Entry>> read = Read(Target("b1"), 1);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(*read, expected);

  // No backup file holds the canary, any stored value, or the epoch key's wrap.
  absl::StatusOr<std::optional<std::string>> wrapped =
      store_->Get(store::Space::kKeys, "backup-epoch/1");
  ASSERT_THAT(wrapped, IsOk());
  ASSERT_TRUE(wrapped->has_value());
  for (const auto& file : std::filesystem::directory_iterator(Target("b1"))) {
    EXPECT_EQ(file.status().permissions() & std::filesystem::perms::group_all,
              std::filesystem::perms::none);
    const std::string bytes = FileBytes(file.path());
    EXPECT_EQ(bytes.find(kCanary), std::string::npos) << file.path();
    EXPECT_EQ(bytes.find(**wrapped), std::string::npos) << file.path();
    EXPECT_EQ(bytes.find(std::string(64, 'x')), std::string::npos) << file.path();
    for (const Entry& entry : expected) {
      if (std::get<2>(entry).size() >= 16) {
        EXPECT_EQ(bytes.find(std::get<2>(entry)), std::string::npos) << file.path();
      }
    }
  }
  EXPECT_THAT(AuditActions(), ElementsAre("backup_epoch_created"));
}

TEST_F(BackupTest, TargetOnTheDataFilesystemRelativeOrNotEmptyIsRefused) {
  EXPECT_THAT(Backup(dir_.path() + "/backup"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("same filesystem")));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/backup"));
  EXPECT_THAT(Backup("relative/backup"), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(Backup(Target("b1")), IsOk());
  EXPECT_THAT(Backup(Target("b1")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("new or empty")));
  EXPECT_THAT(Backup(Target("no/such/parent")), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(BackupTest, TamperedTruncatedOrForeignBackupFailsToOpen) {
  store::Mutation data;
  data.Put(store::Space::kSections, "big", std::string(2 << 20, 'y'));  // 3 chunks
  ASSERT_THAT(store_->Commit(data), IsOk());
  ASSERT_THAT(Backup(Target("b1")), IsOk());
  const std::string entries = Target("b1") + "/entries.cbk";
  const std::string original = FileBytes(entries);

  std::string flipped = original;
  flipped[flipped.size() / 2] ^= 1;
  std::ofstream(entries, std::ios::binary | std::ios::trunc) << flipped;
  EXPECT_THAT(Read(Target("b1"), 1),
              StatusIs(absl::StatusCode::kDataLoss, "decryption failed"));

  // Without its last chunk: the chunk now at the end was not sealed as the last.
  const size_t first = 4 + (static_cast<uint8_t>(original[0]) |
                            static_cast<uint8_t>(original[1]) << 8 |
                            static_cast<uint8_t>(original[2]) << 16);
  std::ofstream(entries, std::ios::binary | std::ios::trunc) << original.substr(0, first);
  EXPECT_THAT(Read(Target("b1"), 1), StatusIs(absl::StatusCode::kDataLoss));
  std::ofstream(entries, std::ios::binary | std::ios::trunc) << "";
  EXPECT_THAT(Read(Target("b1"), 1),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));

  // Another epoch's key does not open it, nor does its own key under another epoch number.
  std::ofstream(entries, std::ios::binary | std::ios::trunc) << original;
  ASSERT_THAT(Read(Target("b1"), 1), IsOk());
  now_ += kWindow.epoch_seconds;
  ASSERT_THAT(Backup(Target("b2")), IsOk());
  absl::StatusOr<BackupEpochKey> two = epochs_->Find(2);
  ASSERT_THAT(two, IsOk());
  EXPECT_THAT(ReadBackup(Target("b1"), *two, [](store::Space, std::string_view, std::string_view) {}),
              StatusIs(absl::StatusCode::kDataLoss, "decryption failed"));
  absl::StatusOr<BackupEpochKey> one = epochs_->Find(1);
  ASSERT_THAT(one, IsOk());
  one->epoch = 2;
  EXPECT_THAT(ReadBackup(Target("b1"), *one, [](store::Space, std::string_view, std::string_view) {}),
              StatusIs(absl::StatusCode::kDataLoss, "decryption failed"));
  absl::StatusOr<uint32_t> epoch = BackupEpochOf(Target("b1"));
  ASSERT_THAT(epoch, IsOk());
  EXPECT_EQ(*epoch, 1u);
  EXPECT_THAT(BackupEpochOf(dir_.path()), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(BackupTest, EpochKeyIsDestroyedAfterTheRetentionWindowAndItsBackupsNoLongerOpen) {
  ASSERT_THAT(Backup(Target("b1")), IsOk());  // epoch 1 starts at kT0
  now_ = kT0 + kWindow.epoch_seconds - 1;
  absl::StatusOr<BackupSummary> same = Backup(Target("b1-late"));
  ASSERT_THAT(same, IsOk());
  EXPECT_EQ(same->epoch, 1u);
  now_ = kT0 + kWindow.epoch_seconds;
  absl::StatusOr<BackupSummary> next = Backup(Target("b2"));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->epoch, 2u);

  // Epoch 1 ended at kT0 + 30 days: its key lives until 90 days after that.
  now_ = kT0 + kWindow.epoch_seconds + kWindow.retention_seconds - 1;
  EXPECT_THAT(Destroy(), IsEmpty());
  ASSERT_THAT(Read(Target("b1"), 1), IsOk());
  now_ += 1;
  EXPECT_THAT(Destroy(), ElementsAre(1u));
  EXPECT_THAT(Read(Target("b1"), 1),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("can no longer be opened")));
  EXPECT_THAT(Read(Target("b1-late"), 1), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Read(Target("b2"), 2), IsOk());
  EXPECT_THAT(AuditActions(), ElementsAre("backup_epoch_created", "backup_epoch_created",
                                          "backup_epoch_destroyed"));

  // The vault still opens without them (epoch keys are no part of the complete key set), and a
  // later epoch never reuses a destroyed epoch's number.
  now_ += kWindow.retention_seconds + kWindow.epoch_seconds;
  EXPECT_THAT(Destroy(), ElementsAre(2u));
  CloseVault();
  ASSERT_THAT(OpenVault(), IsOk());
  EXPECT_FALSE(keys_->created());
  absl::StatusOr<BackupSummary> third = Backup(Target("b3"));
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(third->epoch, 3u);
  EXPECT_THAT(Read(Target("b3"), 3), IsOk());
}

TEST_F(BackupTest, EpochKeysOpenOnlyUnderTheirMasterKey) {
  ASSERT_THAT(Backup(Target("b1")), IsOk());
  CloseVault();
  master_ = crypto::SecretBytes::Random(32);
  EXPECT_THAT(OpenVault(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(BackupTest, DailyRetentionPassDestroysExpiredEpochKeys) {
  ASSERT_THAT(Backup(Target("b1")), IsOk());
  BreakGlassStore break_glass(*store_, *keys_);
  Shredder shredder(*store_, *keys_, *log_, *recorder_, break_glass,
                    [this] { return now_ * 1000000; });
  absl::StatusOr<policy::Policy> policy = policy::Policy::FromText(
      "version: 1 settings { backup_epoch_days: 30 backup_retention_days: 90 }");
  ASSERT_THAT(policy, IsOk());
  RetentionTimer timer(shredder, *recorder_,
                       std::make_shared<const policy::Authorizer>(
                           std::make_shared<const policy::Policy>(*std::move(policy))),
                       absl::Hours(1000), absl::Hours(1000), epochs_.get());
  now_ = kT0 + 120 * kDay - 1;
  ASSERT_THAT(timer.RunOnce(now_), IsOk());
  EXPECT_THAT(Read(Target("b1"), 1), IsOk());
  now_ += 1;
  ASSERT_THAT(timer.RunOnce(now_), IsOk());
  EXPECT_THAT(Read(Target("b1"), 1), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(AuditActions(), ElementsAre("backup_epoch_created", "backup_epoch_destroyed"));
}

TEST_F(BackupTest, BackupRestoresIntoAnEmptyStoreThatOpensWithTheSameMasterKey) {
  store::Mutation data;
  data.Put(store::Space::kRecords, "r/1", "sealed header");
  data.Put(store::Space::kSections, "big", std::string(2 << 20, 'z'));
  ASSERT_THAT(store_->Commit(data), IsOk());
  v1::AuditEvent event;
  event.set_action("submit_record");
  ASSERT_THAT(recorder_->Record(event).status(), IsOk());
  ASSERT_THAT(Backup(Target("b1")), IsOk());
  const uint64_t tree_size = log_->LatestCheckpoint().tree_size();
  absl::StatusOr<BackupEpochKey> key = epochs_->Find(1);
  ASSERT_THAT(key, IsOk());

  absl::StatusOr<std::unique_ptr<store::RocksDbStore>> restored =
      store::RocksDbStore::Open(dir_.path() + "/restored");
  ASSERT_THAT(restored, IsOk());
  absl::StatusOr<BackupSummary> summary = RestoreBackup(Target("b1"), *key, **restored);
  ASSERT_THAT(summary, IsOk());
  std::vector<Entry> copied;
  ASSERT_THAT((*restored)->ScanSnapshot([&](store::Space space, std::string_view k,
                                            std::string_view v) {
    copied.emplace_back(static_cast<int>(space), std::string(k), std::string(v));
    return true;
  }),
              IsOk());
  EXPECT_EQ(copied, Snapshot());  // everything but the epoch key
  EXPECT_THAT(RestoreBackup(Target("b1"), *key, **restored),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("empty")));

  // The same master key opens the restored keys and audit log; no key is created.
  absl::StatusOr<std::unique_ptr<VaultKeys>> keys =
      VaultKeys::LoadOrCreate(**restored, master_, now_);
  ASSERT_THAT(keys, IsOk());
  EXPECT_FALSE((*keys)->created());
  absl::StatusOr<std::unique_ptr<audit::AuditLog>> log = audit::AuditLog::Open(
      **restored, (*keys)->audit_key(), (*keys)->checkpoint_key(), [this] { return now_ * 1000000; });
  ASSERT_THAT(log, IsOk());
  EXPECT_EQ((*log)->LatestCheckpoint().tree_size(), tree_size);
  EXPECT_THAT(VaultKeys::LoadOrCreate(**restored, crypto::SecretBytes::Random(32), now_),
              StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace confidant::server
