// Backup epoch keys escrowed outside the data directory (--backup_keys_dir), and the storage half
// of a restore, over a real RocksDB store: every new epoch key is escrowed (wrapped, 0600) before
// a backup is written under it and opens from the escrow alone once the keys space lost it;
// destroying the epoch removes the escrowed copy too; a new unseal share set starts a new epoch;
// malformed escrow files and bad directories are named. The MANIFEST carries the custody record
// and log size (older two-line manifests still read). A pending restore refuses a non-empty data
// directory, a backup without shares, a missing epoch key, a second approval by one person and
// any write before two approvals; a wrong master key writes nothing; the right one restores the
// store with a marker that stops a normal start until the restore finishes.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "server/custody.h"
#include "server/restore.h"
#include "tests/server/backup_fixture.h"

namespace confidant::server {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::IsOkAndHolds;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;

class BackupEscrowTest : public BackupTest {
 protected:
  void SetUp() override {
    escrow_dir_ = Target("escrow");
    std::filesystem::create_directories(escrow_dir_);
    escrow_ = std::make_unique<BackupKeyEscrow>(escrow_dir_);
    BackupTest::SetUp();
  }

  std::string EscrowFile(uint32_t epoch) const {
    return absl::StrCat(escrow_dir_, "/epoch-", epoch, ".key");
  }

  // Stores a custody record naming share set `set_id` (as init or a re-share would).
  void SetShareSet(uint32_t set_id) {
    storage::v1::CustodyRecord record;
    record.set_share_set_id(set_id);
    record.set_threshold(2);
    for (int i = 0; i < 3; ++i) record.add_share_hashes(std::string(32, static_cast<char>('a' + i)));
    store::Mutation put;
    put.Put(store::Space::kMeta, "custody/shares", record.SerializeAsString());
    ASSERT_THAT(store_->Commit(put), IsOk());
  }

  std::string escrow_dir_;
};

TEST_F(BackupEscrowTest, EpochKeysAreEscrowedAndOpenFromTheEscrowAlone) {
  ASSERT_THAT(Backup(Target("b1")), IsOk());
  struct stat st;
  ASSERT_EQ(::stat(EscrowFile(1).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  absl::StatusOr<BackupEpochKey> key = epochs_->Find(1);
  ASSERT_THAT(key, IsOk());
  const std::string raw(reinterpret_cast<const char*>(key->key.RevealSecret()), key->key.size());
  EXPECT_THAT(FileBytes(EscrowFile(1)), ::testing::Not(HasSubstr(raw)));

  // A restored vault's keys space has no epoch keys: the escrowed copy still opens the backup.
  store::Mutation lose;
  lose.Delete(store::Space::kKeys, "backup-epoch/1");
  ASSERT_THAT(store_->Commit(lose), IsOk());
  EXPECT_THAT(Read(Target("b1"), 1), IsOk());
  // And a backup taken now starts a new epoch (the old one is no longer in the keys space).
  ASSERT_THAT(Backup(Target("b2")), IsOk());
  EXPECT_TRUE(std::filesystem::exists(EscrowFile(2)));
}

TEST_F(BackupEscrowTest, DestroyingAnEpochRemovesItsEscrowedCopy) {
  ASSERT_THAT(Backup(Target("b1")), IsOk());
  now_ += kWindow.epoch_seconds + kWindow.retention_seconds - 1;
  EXPECT_TRUE(Destroy().empty());
  EXPECT_TRUE(std::filesystem::exists(EscrowFile(1)));
  now_ += 1;
  EXPECT_EQ(Destroy(), std::vector<uint32_t>{1});
  EXPECT_FALSE(std::filesystem::exists(EscrowFile(1)));
  EXPECT_THAT(epochs_->Find(1), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Read(Target("b1"), 1), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BackupEscrowTest, AnEscrowOnlyEpochIsDestroyedOnScheduleToo) {
  ASSERT_THAT(Backup(Target("b1")), IsOk());
  store::Mutation lose;  // as after a restore
  lose.Delete(store::Space::kKeys, "backup-epoch/1");
  ASSERT_THAT(store_->Commit(lose), IsOk());
  now_ += kWindow.epoch_seconds + kWindow.retention_seconds;
  EXPECT_EQ(Destroy(), std::vector<uint32_t>{1});
  EXPECT_FALSE(std::filesystem::exists(EscrowFile(1)));
  std::vector<std::string> actions = AuditActions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "backup_epoch_destroyed"), 1);
}

TEST_F(BackupEscrowTest, ANewShareSetStartsANewEpoch) {
  SetShareSet(0x11111111);
  ASSERT_THAT(Backup(Target("b1")), IsOk());
  ASSERT_THAT(Backup(Target("b2")), IsOk());
  EXPECT_THAT(BackupEpochOf(Target("b2")), IsOkAndHolds(1u));
  SetShareSet(0x22222222);  // re-shared: epoch 1's escrowed key is under the old master key
  ASSERT_THAT(Backup(Target("b3")), IsOk());
  EXPECT_THAT(BackupEpochOf(Target("b3")), IsOkAndHolds(2u));
  absl::StatusOr<std::optional<storage::v1::BackupKeyEscrow>> entry = escrow_->Get(2);
  ASSERT_THAT(entry, IsOk());
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->share_set_id(), 0x22222222u);
}

TEST_F(BackupEscrowTest, MalformedEscrowFilesAndBadDirectoriesAreNamed) {
  ASSERT_THAT(WriteFileAtomically(EscrowFile(5), "not a key", 0600), IsOk());
  EXPECT_THAT(escrow_->Get(5), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("epoch 5")));
  // One damaged file is skipped (logged): backups and the destruction of the others go on.
  ASSERT_THAT(Backup(Target("b1")), IsOk());
  EXPECT_THAT(epochs_->Find(1), IsOk());
  ASSERT_THAT(WriteFileAtomically(EscrowFile(7), FileBytes(EscrowFile(1)), 0600), IsOk());
  EXPECT_THAT(escrow_->Get(7), StatusIs(absl::StatusCode::kDataLoss));  // names epoch 1
  absl::StatusOr<std::optional<storage::v1::BackupKeyEscrow>> none = escrow_->Get(9);
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());
  EXPECT_THAT(escrow_->Remove(9), IsOk());

  EXPECT_THAT(CheckEscrowDirectory("relative/keys", db_dir(), false),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckEscrowDirectory(Target("missing"), db_dir(), false),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  const std::string beside_data = dir_.path() + "/keys";
  std::filesystem::create_directories(beside_data);
  EXPECT_THAT(CheckEscrowDirectory(beside_data, db_dir(), false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("filesystem")));
  EXPECT_THAT(CheckEscrowDirectory(beside_data, db_dir(), true), IsOk());
  EXPECT_THAT(CheckEscrowDirectory(escrow_dir_, db_dir(), false), IsOk());
  const std::string open_to_all = Target("open");
  std::filesystem::create_directories(open_to_all);
  std::filesystem::permissions(open_to_all, std::filesystem::perms::all);
  EXPECT_THAT(CheckEscrowDirectory(open_to_all, db_dir(), false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("chmod 700")));
}

TEST_F(BackupEscrowTest, PlantedLinksInTheEscrowAreNeverFollowed) {
  const std::string victim = dir_.path() + "/victim";
  ASSERT_THAT(WriteFileAtomically(victim, "precious", 0600), IsOk());
  std::filesystem::create_symlink(victim, EscrowFile(1) + ".tmp");
  ASSERT_THAT(Backup(Target("b1")), IsOk());
  EXPECT_EQ(FileBytes(victim), "precious");
  EXPECT_FALSE(std::filesystem::is_symlink(EscrowFile(1)));
  // A link planted as an epoch's key file is refused on read and only unlinked on destruction.
  std::filesystem::create_symlink(victim, EscrowFile(2));
  EXPECT_THAT(escrow_->Get(2), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(escrow_->Remove(2), IsOk());
  EXPECT_EQ(FileBytes(victim), "precious");
  EXPECT_FALSE(std::filesystem::exists(EscrowFile(2)));
}

TEST_F(BackupEscrowTest, ManifestCarriesTheCustodyRecordAndOldManifestsStillRead) {
  absl::StatusOr<BackupEpochKey> key = epochs_->Current(now_, kWindow);
  ASSERT_THAT(key, IsOk());
  BackupManifest manifest{key->epoch, "custody-bytes\n\0x", 42};
  ASSERT_THAT(WriteBackup(*store_, *key, Target("b1"), db_dir(), nullptr, manifest), IsOk());
  absl::StatusOr<BackupManifest> read = ReadBackupManifest(Target("b1"));
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->epoch, key->epoch);
  EXPECT_EQ(read->custody_record, manifest.custody_record);
  EXPECT_EQ(read->audit_tree_size, 42u);

  std::filesystem::create_directories(Target("old"));
  ASSERT_THAT(WriteFileAtomically(Target("old") + "/MANIFEST", "confidant-backup-v1\nepoch 3\n",
                                  0600),
              IsOk());
  read = ReadBackupManifest(Target("old"));
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->epoch, 3u);
  EXPECT_TRUE(read->custody_record.empty());
  ASSERT_THAT(WriteFileAtomically(Target("old") + "/MANIFEST",
                                  "confidant-backup-v1\nepoch 3\naudit-tree-size x\ncustody \n",
                                  0600),
              IsOk());
  EXPECT_THAT(ReadBackupManifest(Target("old")), StatusIs(absl::StatusCode::kInvalidArgument));
}

class PendingRestoreTest : public BackupEscrowTest {
 protected:
  // A backup of this vault (custody record in its manifest) in `name`.
  void BackUpWithShares(const std::string& name) {
    SetShareSet(0x33333333);
    absl::StatusOr<BackupEpochKey> key = epochs_->Current(now_, kWindow);
    ASSERT_THAT(key, IsOk());
    absl::StatusOr<std::optional<storage::v1::CustodyRecord>> custody = LoadCustodyRecord(*store_);
    ASSERT_THAT(custody, IsOk());
    BackupManifest manifest{key->epoch, (*custody)->SerializeAsString(),
                            log_->LatestCheckpoint().tree_size()};
    ASSERT_THAT(WriteBackup(*store_, *key, Target(name), db_dir(), nullptr, manifest), IsOk());
  }
  std::unique_ptr<store::RocksDbStore> EmptyStore(const std::string& name) {
    auto store = store::RocksDbStore::Open(dir_.path() + "/" + name);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }
};

TEST_F(PendingRestoreTest, RefusesWhatCannotBeRestored) {
  BackUpWithShares("b1");
  // The data directory must be empty.
  EXPECT_THAT(PendingRestore::Prepare(Target("b1"), "", true, *store_, escrow_.get(), {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("empty")));
  auto target = EmptyStore("restored");
  ASSERT_NE(target, nullptr);
  EXPECT_THAT(PendingRestore::Prepare("relative", "", true, *target, escrow_.get(), {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PendingRestore::Prepare(Target("b1"), "", true, *target, nullptr, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--backup_keys_dir")));
  // The newer shred register is required, or its absence stated; not both.
  EXPECT_THAT(PendingRestore::Prepare(Target("b1"), "", false, *target, escrow_.get(), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--restore_shred_register")));
  EXPECT_THAT(PendingRestore::Prepare(Target("b1"), "/x", true, *target, escrow_.get(), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not both")));
  // A backup without shares (a --dev vault's) cannot be restored with shares.
  ASSERT_THAT(Backup(Target("dev")), IsOk());
  EXPECT_THAT(PendingRestore::Prepare(Target("dev"), "", true, *target, escrow_.get(), {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("share set")));
  // Once its epoch key is destroyed a backup is gone for good.
  now_ += kWindow.epoch_seconds + kWindow.retention_seconds;
  Destroy();
  EXPECT_THAT(PendingRestore::Prepare(Target("b1"), "", true, *target, escrow_.get(), {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("destroyed")));
}

TEST_F(PendingRestoreTest, AnEpochKeyOfAnotherShareSetThanTheManifestNamesIsRefused) {
  BackUpWithShares("b1");
  absl::StatusOr<std::optional<storage::v1::BackupKeyEscrow>> entry = escrow_->Get(1);
  ASSERT_THAT(entry, IsOk());
  ASSERT_TRUE(entry->has_value());
  (*entry)->set_share_set_id(0x44444444);  // as if a re-share ran while the backup was taken
  ASSERT_THAT(escrow_->Put(**entry), IsOk());
  auto target = EmptyStore("restored");
  ASSERT_NE(target, nullptr);
  EXPECT_THAT(PendingRestore::Prepare(Target("b1"), "", true, *target, escrow_.get(), {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another share set")));
}

TEST_F(PendingRestoreTest, TwoApprovalsThenTheRightMasterKeyRestoresWithAMarker) {
  BackUpWithShares("b1");
  auto target = EmptyStore("restored");
  ASSERT_NE(target, nullptr);
  absl::StatusOr<std::unique_ptr<PendingRestore>> restore =
      PendingRestore::Prepare(Target("b1"), "", true, *target, escrow_.get(), {});
  ASSERT_THAT(restore, IsOk());
  EXPECT_EQ((*restore)->custody().share_set_id(), 0x33333333u);
  EXPECT_THAT((*restore)->RestoreStorage(master_, *target),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("two custodians")));
  EXPECT_THAT((*restore)->Approve("custodian-a"), IsOkAndHolds(1u));
  EXPECT_THAT((*restore)->Approve("custodian-a"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE((*restore)->approved());
  EXPECT_THAT((*restore)->RestoreStorage(master_, *target),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT((*restore)->Approve("custodian-b"), IsOkAndHolds(2u));

  // A wrong master key opens nothing and writes nothing.
  EXPECT_THAT((*restore)->RestoreStorage(crypto::SecretBytes::Random(32), *target),
              StatusIs(absl::StatusCode::kDataLoss));
  bool empty = true;
  ASSERT_THAT(target->ScanSnapshot([&](store::Space, std::string_view, std::string_view) {
    empty = false;
    return false;
  }),
              IsOk());
  EXPECT_TRUE(empty);

  ASSERT_THAT((*restore)->RestoreStorage(master_, *target), IsOk());
  EXPECT_THAT(CheckNoInterruptedRestore(*target),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("interrupted restore")));
  EXPECT_THAT(CheckNoInterruptedRestore(*store_), IsOk());
  // Everything of the snapshot came back, and the restored keys open with the same master key.
  EXPECT_THAT(VaultKeys::LoadOrCreate(*target, master_, now_), IsOk());
}

TEST_F(PendingRestoreTest, APinnedSettingThatDiffersFromTheBackupsIsRefused) {
  BackUpWithShares("b1");
  auto target = EmptyStore("restored");
  ASSERT_NE(target, nullptr);
  store::Mutation pin;
  pin.Put(store::Space::kMeta, "policy/governance-keys", "other keys");
  ASSERT_THAT(target->Commit(pin), IsOk());
  absl::StatusOr<BackupEpochKey> key = epochs_->Find(1);
  ASSERT_THAT(key, IsOk());
  // The backup has no governance pin at all here (this fixture pins none): refused either way.
  EXPECT_THAT(RestoreBackup(Target("b1"), *key, *target, {}, {"policy/governance-keys"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  store::Mutation same;
  same.Put(store::Space::kMeta, "policy/governance-keys", "pinned keys");
  ASSERT_THAT(store_->Commit(same), IsOk());
  ASSERT_THAT(Backup(Target("b2")), IsOk());
  EXPECT_THAT(RestoreBackup(Target("b2"), *key, *target, {}, {"policy/governance-keys"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("governance")));
  store::Mutation match;
  match.Put(store::Space::kMeta, "policy/governance-keys", "pinned keys");
  ASSERT_THAT(target->Commit(match), IsOk());
  EXPECT_THAT(RestoreBackup(Target("b2"), *key, *target, {}, {"policy/governance-keys"}), IsOk());
}

}  // namespace
}  // namespace confidant::server
