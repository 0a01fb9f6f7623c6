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
constexpr char kCanary[] = "CANARY-backup-7f3a91-plaintext";
const BackupWindow kWindow{30 * kDay, 90 * kDay};

using Entry = std::tuple<int, std::string, std::string>;

std::string FileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A scratch directory on another filesystem than /tmp (tmpfs /dev/shm), removed afterwards.
class OtherFilesystemDir {
 public:
  OtherFilesystemDir() {
    std::string pattern = "/dev/shm/confidant-backup-test-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~OtherFilesystemDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    master_ = crypto::SecretBytes::Random(32);
    if (target_.path().empty()) GTEST_SKIP() << "no /dev/shm to back up to";
    ASSERT_THAT(OpenVault(), IsOk());
  }
  void TearDown() override { CloseVault(); }

  absl::Status OpenVault() {
    if (store_ == nullptr) {
      auto store = store::RocksDbStore::Open(db_dir());
      if (!store.ok()) return store.status();
      store_ = *std::move(store);
    }
    auto keys = VaultKeys::LoadOrCreate(*store_, master_, kT0);
    if (!keys.ok()) return keys.status();
    keys_ = *std::move(keys);
    auto log = audit::AuditLog::Open(*store_, keys_->audit_key(), keys_->checkpoint_key(),
                                     [this] { return now_ * 1000000; });
    if (!log.ok()) return log.status();
    log_ = *std::move(log);
    recorder_ = std::make_unique<AuditRecorder>(*log_, [this] { return now_; });
    epochs_ = std::make_unique<BackupEpochs>(*store_, *keys_, *recorder_);
    return absl::OkStatus();
  }
  void CloseVault() {
    epochs_.reset();
    recorder_.reset();
    log_.reset();
    keys_.reset();
  }

  std::string db_dir() const { return dir_.path() + "/db"; }
  std::string Target(const std::string& name) const { return target_.path() + "/" + name; }

  // Every entry of the store, as a backup should hold it.
  std::vector<Entry> Snapshot() {
    std::vector<Entry> all;
    EXPECT_THAT(store_->ScanSnapshot([&](store::Space space, std::string_view k,
                                         std::string_view v) {
      if (!(space == store::Space::kKeys && k.substr(0, 13) == "backup-epoch/")) {
        all.emplace_back(static_cast<int>(space), std::string(k), std::string(v));
      }
      return true;
    }),
                IsOk());
    return all;
  }

  absl::StatusOr<std::vector<Entry>> Read(const std::string& directory, uint32_t epoch) {
    absl::StatusOr<BackupEpochKey> key = epochs_->Find(epoch);
    if (!key.ok()) return key.status();
    std::vector<Entry> all;
    absl::StatusOr<BackupSummary> read =
        ReadBackup(directory, *key, [&](store::Space space, std::string_view k, std::string_view v) {
          all.emplace_back(static_cast<int>(space), std::string(k), std::string(v));
        });
    if (!read.ok()) return read.status();
    return all;
  }

  absl::StatusOr<BackupSummary> Backup(const std::string& directory) {
    absl::StatusOr<BackupEpochKey> key = epochs_->Current(now_, kWindow);
    if (!key.ok()) return key.status();
    return WriteBackup(*store_, *key, directory, db_dir(), nullptr);
  }

  // The epochs DestroyExpired destroys now.
  std::vector<uint32_t> Destroy() {
    absl::StatusOr<std::vector<uint32_t>> destroyed = epochs_->DestroyExpired(now_, kWindow);
    EXPECT_THAT(destroyed, IsOk());
    return destroyed.ok() ? *destroyed : std::vector<uint32_t>{};
  }

  // Actions of every audit entry, in order.
  std::vector<std::string> AuditActions() {
    std::vector<std::string> actions;
    const uint64_t size = log_->LatestCheckpoint().tree_size();
    EXPECT_THAT(log_->ReadEntries(0, size,
                                  [&](const v1::AuditEntry& entry) {
                                    actions.push_back(entry.event().action());
                                    return true;
                                  }),
                IsOk());
    return actions;
  }

  store::TempDir dir_;
  OtherFilesystemDir target_;
  crypto::SecretBytes master_;  // set once libsodium is initialised
  int64_t now_ = kT0;
  std::unique_ptr<store::RocksDbStore> store_;
  std::unique_ptr<VaultKeys> keys_;
  std::unique_ptr<audit::AuditLog> log_;
  std::unique_ptr<AuditRecorder> recorder_;
  std::unique_ptr<BackupEpochs> epochs_;
};

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
