// BackupTest: a real RocksDB store, vault keys, audit log and backup epochs (optionally with an
// escrow directory), a backup target on another filesystem (/dev/shm), and a clock tests move.
#ifndef CONFIDANT_TESTS_SERVER_BACKUP_FIXTURE_H_
#define CONFIDANT_TESTS_SERVER_BACKUP_FIXTURE_H_

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "crypto/init.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/audit/audit_log.h"
#include "server/audit_recorder.h"
#include "server/backup_epochs.h"
#include "server/backup_files.h"
#include "server/backup_key_escrow.h"
#include "server/store/rocksdb_store.h"
#include "server/vault_keys.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::server {

inline constexpr int64_t kT0 = 1'800'000'000;
inline constexpr int64_t kDay = 86400;
inline constexpr char kCanary[] = "CANARY-backup-7f3a91-plaintext";
inline const BackupWindow kWindow{30 * kDay, 90 * kDay};

using Entry = std::tuple<int, std::string, std::string>;

inline std::string FileBytes(const std::filesystem::path& path) {
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
    ASSERT_THAT(crypto::InitCrypto(), ::confidant::testing::IsOk());
    master_ = crypto::SecretBytes::Random(32);
    if (target_.path().empty()) GTEST_SKIP() << "no /dev/shm to back up to";
    ASSERT_THAT(OpenVault(), ::confidant::testing::IsOk());
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
    epochs_ = std::make_unique<BackupEpochs>(*store_, *keys_, *recorder_, escrow_.get());
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
                ::confidant::testing::IsOk());
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
    EXPECT_THAT(destroyed, ::confidant::testing::IsOk());
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
                ::confidant::testing::IsOk());
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
  std::unique_ptr<BackupKeyEscrow> escrow_;  // set before OpenVault to escrow epoch keys
  std::unique_ptr<BackupEpochs> epochs_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_TESTS_SERVER_BACKUP_FIXTURE_H_
