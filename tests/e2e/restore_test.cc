// Restoring a production vault from a backup over real mTLS (`confidantd --restore DIR`): a
// backup taken while serving, a record erased after it, a record submitted after it, then the
// data directory lost. The restoring server starts sealed with the backup's share set; two
// different custodians must approve before a share is taken; the vault's own shares unseal it;
// the shred register (the restored log's and a newer audit export's) is re-applied before it
// serves, so the erased record stays gone; a "vault_restored" entry names the backup, the
// approvers, the register's sources and the last checkpoint known; `audit verify` passes; a
// normal restart then unseals as usual. Refused: a non-empty data directory, no key directory, a
// destroyed epoch key, a forged export (the vault stays sealed and a plain start then refuses the
// half-restored directory). Across a master key re-share, each backup opens with the share set
// of its time only (a re-share starts a new backup epoch).
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "confidant/v1/reporting.grpc.pb.h"
#include "base/files.h"
#include "client/audit_commands.h"
#include "client/audit_export.h"
#include "client/log_client.h"
#include "server/store/rocksdb_store.h"
#include "tests/e2e/production_vault.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

class RestoreTest : public ProductionVaultTest {
 protected:
  void SetUp() override {
    std::string pattern = "/dev/shm/confidant-restore-e2e-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) GTEST_SKIP() << "no /dev/shm for backups";
    shm_ = pattern;
    keys_dir_ = shm_ + "/keys";
    ASSERT_EQ(::mkdir(keys_dir_.c_str(), 0700), 0);
    ProductionVaultTest::SetUp();
  }
  void TearDown() override {
    std::error_code ec;
    if (!shm_.empty()) std::filesystem::remove_all(shm_, ec);
  }

  std::vector<std::string> KeysFlag() const { return {"--backup_keys_dir", keys_dir_}; }
  std::vector<std::string> RestoreFlags(const std::string& backup, const std::string& exported) {
    std::vector<std::string> flags = {"--backup_keys_dir", keys_dir_, "--restore", backup};
    if (exported.empty()) {
      flags.push_back("--restore_without_newer_register");
    } else {
      flags.push_back("--restore_shred_register");
      flags.push_back(exported);
    }
    return flags;
  }

  // Two shares from two different custodians (a restore demands it).
  void UnsealWith(const std::string& a, const std::string& b) {
    ASSERT_TRUE(Unseal(a).ok());
    v1::VaultStatus status;
    const grpc::Status opened = Unseal(b, &status, "custodian_2");
    ASSERT_TRUE(opened.ok()) << opened.error_message();
    ASSERT_FALSE(status.sealed());
  }

  absl::StatusOr<client::ClientIdentity> Pinned(const std::string& who) {
    absl::StatusOr<client::ClientIdentity> identity =
        client::ClientIdentity::Load(dev_->identity_dir(who));
    if (identity.ok()) identity->vault_public_key = vault_key_;
    return identity;
  }
  std::string Submit(const std::string& text, const std::string& submission) {
    absl::StatusOr<client::ClientIdentity> identity = Pinned("visit_team");
    EXPECT_THAT(identity, IsOk());
    absl::StatusOr<std::unique_ptr<client::VaultClient>> team =
        client::VaultClient::Connect(address_, *std::move(identity));
    EXPECT_THAT(team, IsOk());
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        (*team)->Submit(SyntheticRecord(text), submission);
    EXPECT_THAT(submitted, IsOk());
    return submitted.ok() ? submitted->record_id() : "";
  }
  grpc::StatusCode ReadCode(const std::string& record_id) {
    return ReadAs(record_id, "case_officer_qc").error_code();
  }

  void Erase(const std::string& record_id) {
    auto requester = v1::RecordService::NewStub(Channel("case_officer_qc"));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::RequestErasureRequest request;
    request.set_record_id(record_id);
    request.set_reason("recorded in error");
    v1::RequestErasureResponse requested;
    ASSERT_TRUE(requester->RequestErasure(&context, request, &requested).ok());
    auto approver = v1::RecordService::NewStub(Channel("approver"));
    grpc::ClientContext approve_context;
    SetTestDeadline(approve_context);
    v1::DecideErasureRequest decide;
    decide.set_request_id(requested.request_id());
    decide.set_approve(true);
    v1::DecideErasureResponse decided;
    const grpc::Status approved = approver->DecideErasure(&approve_context, decide, &decided);
    ASSERT_TRUE(approved.ok()) << approved.error_message();
  }
  grpc::Status Backup(const std::string& directory) {
    grpc::ClientContext context;
    SetTestDeadline(context, 60);
    v1::BackupRequest request;
    request.set_directory(directory);
    v1::BackupResponse response;
    return Operator()->Backup(&context, request, &response);
  }
  grpc::Status ResetUnseal() {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::VaultStatus status;
    return Operator()->ResetUnseal(&context, {}, &status);
  }
  grpc::Status ApproveRestore(const std::string& who, v1::VaultStatus* out = nullptr) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::VaultStatus ignored;
    return Operator(who)->ApproveRestore(&context, {}, out ? out : &ignored);
  }
  std::unique_ptr<client::LogClient> AuditorLog() {
    absl::StatusOr<client::ClientIdentity> identity = Pinned("auditor");
    EXPECT_THAT(identity, IsOk());
    return std::make_unique<client::LogClient>(Channel("auditor"), *std::move(identity), "");
  }

  // A vault with records kept and erased around a backup, an export taken after the erasure, and
  // then the data directory lost (moved away; data_dir_ is new and empty). With
  // `rotate_after_backup`, the keys are rotated after the backup: the export is signed by keys
  // the backup does not hold.
  void BuildLostVault(bool rotate_after_backup = false) {
    InitAndStop(3, 2, shares_);
    Daemon daemon;
    StartProduction(daemon, KeysFlag());
    UnsealWith(shares_[0], shares_[1]);
    v1::VaultStatus status;
    ASSERT_TRUE(Status(&status).ok());
    vault_key_ = status.vault_public_key();
    keep_ = Submit("restore-keep", "restore-keep-0001");
    doomed_ = Submit("restore-doomed", "restore-doom-0001");
    const grpc::Status backed_up = Backup(shm_ + "/b1");
    ASSERT_TRUE(backed_up.ok()) << backed_up.error_message();
    if (rotate_after_backup) {
      grpc::ClientContext context;
      SetTestDeadline(context, 30);
      v1::RotateResponse rotated;
      ASSERT_TRUE(Operator()->Rotate(&context, {}, &rotated).ok());
      ASSERT_EQ(rotated.checkpoint_key_version(), 2u);
    }
    Erase(doomed_);
    late_ = Submit("restore-late", "restore-late-0001");
    std::ostringstream out, progress;
    ASSERT_THAT(client::AuditExportCommand(*AuditorLog(), shm_ + "/export", out, progress), IsOk());
    daemon.Stop();
    std::filesystem::rename(data_dir_, data_dir_ + ".lost");
    ASSERT_EQ(::mkdir(data_dir_.c_str(), 0700), 0);
  }

  std::string shm_;
  std::string keys_dir_;
  std::vector<std::string> shares_;
  std::string vault_key_;
  std::string keep_, doomed_, late_;
};

TEST_F(RestoreTest, TwoCustodiansAndTheSharesRestoreAndTheShredRegisterHolds) {
  BuildLostVault();
  Daemon daemon;
  StartProduction(daemon, RestoreFlags(shm_ + "/b1", shm_ + "/export"));
  ASSERT_GT(daemon.pid, 0) << daemon.log();
  v1::VaultStatus status;
  ASSERT_TRUE(Status(&status).ok());
  EXPECT_TRUE(status.sealed());
  EXPECT_TRUE(status.restore_pending());
  EXPECT_EQ(status.restore_approvals(), 0u);
  EXPECT_EQ(status.threshold(), 2u);  // the backup's share set
  EXPECT_EQ(ListCode(), grpc::StatusCode::FAILED_PRECONDITION);

  // No share is taken before two different custodians approve; init cannot start a new vault.
  grpc::Status early = Unseal(shares_[0]);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(early.error_message(), HasSubstr("approve"));
  v1::InitResponse init;
  EXPECT_EQ(Init(3, 2, &init).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ApproveRestore("case_officer").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(ApproveRestore("custodian").ok());
  EXPECT_EQ(ApproveRestore("custodian").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Unseal(shares_[0]).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(ApproveRestore("custodian_2", &status).ok());
  EXPECT_EQ(status.restore_approvals(), 2u);
  EXPECT_EQ(Unseal("confidant-share-v1:not-a-share").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Unseal(shares_[1]).ok());
  grpc::Status same_person = Unseal(shares_[2]);
  EXPECT_EQ(same_person.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(same_person.error_message(), HasSubstr("different custodian"));
  ASSERT_TRUE(ResetUnseal().ok());
  UnsealWith(shares_[1], shares_[2]);  // the same vault's shares, any two, two custodians

  ASSERT_TRUE(Status(&status).ok());
  EXPECT_FALSE(status.restore_pending());
  EXPECT_EQ(status.vault_public_key(), vault_key_);
  EXPECT_EQ(ReadCode(keep_), grpc::StatusCode::OK);
  EXPECT_EQ(ReadCode(doomed_), grpc::StatusCode::NOT_FOUND) << "erased after the backup";
  EXPECT_EQ(ReadCode(late_), grpc::StatusCode::NOT_FOUND) << "written after the backup";

  bool restored = false, reshredded = false, approvals_logged = false;
  for (const v1::AuditEntry& entry : Entries()) {
    const v1::AuditEvent& event = entry.event();
    if (event.action() == "restore_approved") approvals_logged = true;
    if (event.action() == "record_shredded" && event.rule() == "vault:shred-register-reapplied") {
      reshredded = event.record_ids_size() == 1 && event.record_ids(0) == doomed_;
    }
    if (event.action() == "vault_restored") {
      restored = true;
      EXPECT_THAT(event.detail(), HasSubstr("approved by custodian and custodian_2"));
      EXPECT_THAT(event.detail(), HasSubstr("audit export up to size"));
      EXPECT_THAT(event.detail(), HasSubstr("last witnessed: export checkpoint size"));
      EXPECT_THAT(event.detail(), HasSubstr("1 record(s) shredded again"));
      EXPECT_FALSE(event.flagged()) << "the export reaches the end of the lost log";
      EXPECT_THAT(event.detail(), HasSubstr("Statistical releases for periods ended by now and not "
                                            "in the backup are withheld"));
    }
  }
  EXPECT_TRUE(restored);
  EXPECT_TRUE(reshredded);
  EXPECT_TRUE(approvals_logged);
  std::ostringstream out, progress;
  EXPECT_THAT(client::AuditVerifyCommand(*AuditorLog(), {}, out, progress), IsOk()) << out.str();

  // A normal restart: sealed, no restore pending, the same shares open it, the record stays gone.
  // Its release job runs every second: the periods due before the restore were never released
  // by this database, but might have been in the history it lost, so they are withheld, never
  // computed (fresh noise over the same data would let averaging undo the first release).
  daemon.Stop();
  Daemon again;
  const std::string reporting_port = shm_ + "/reporting_port";
  std::vector<std::string> flags = KeysFlag();
  flags.insert(flags.end(), {"--release_check_seconds", "1", "--reporting_port_file", reporting_port});
  StartProduction(again, flags);
  ASSERT_GT(again.pid, 0) << again.log();
  ASSERT_TRUE(Status(&status).ok());
  EXPECT_TRUE(status.sealed());
  EXPECT_FALSE(status.restore_pending());
  EXPECT_EQ(ApproveRestore("custodian").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  UnsealWith(shares_[0], shares_[2]);
  EXPECT_EQ(ReadCode(doomed_), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReadCode(keep_), grpc::StatusCode::OK);

  absl::StatusOr<std::string> port = ReadFile(reporting_port, 64);
  ASSERT_THAT(port, IsOk());
  absl::StatusOr<client::ClientIdentity> analyst = client::ClientIdentity::Load(dev_->identity_dir("reporting"));
  ASSERT_THAT(analyst, IsOk());
  auto reporting = v1::ReportingService::NewStub(RawChannel(
      absl::StrCat("127.0.0.1:", absl::StripAsciiWhitespace(*port)), *analyst));
  v1::Ledger ledger;
  for (int i = 0; i < 100 && ledger.entries_size() < 30; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    grpc::ClientContext context;
    SetTestDeadline(context, 30);
    ledger.Clear();
    ASSERT_TRUE(reporting->GetLedger(&context, {}, &ledger).ok());
  }
  ASSERT_GE(ledger.entries_size(), 30) << "every quarterly table of 2026Q1..Q3 is decided";
  for (const v1::LedgerEntry& entry : ledger.entries()) {
    EXPECT_EQ(entry.kind(), "withheld") << entry.table_id() << " " << entry.period();
    EXPECT_GT(entry.epsilon_millis(), 0u) << "charged: it may have been released before";
  }
  grpc::ClientContext context;
  SetTestDeadline(context, 30);
  v1::GetReleaseRequest request;
  request.set_table_id("persons-by-facility");
  request.set_period("2026Q1");
  v1::GetReleaseResponse release;
  EXPECT_EQ(reporting->GetRelease(&context, request, &release).error_code(), grpc::StatusCode::NOT_FOUND);
}

// The export is signed by the checkpoint key rotated in after the backup: the restore follows the
// export's key chain from the backup's key, re-applies its shred register and opens.
TEST_F(RestoreTest, AnExportSignedByARotatedKeyIsFollowedFromTheBackupsKey) {
  BuildLostVault(/*rotate_after_backup=*/true);
  Daemon daemon;
  StartProduction(daemon, RestoreFlags(shm_ + "/b1", shm_ + "/export"));
  ASSERT_GT(daemon.pid, 0) << daemon.log();
  ASSERT_TRUE(ApproveRestore("custodian").ok());
  ASSERT_TRUE(ApproveRestore("custodian_2").ok());
  UnsealWith(shares_[1], shares_[2]);
  v1::VaultStatus status;
  ASSERT_TRUE(Status(&status).ok());
  EXPECT_FALSE(status.sealed()) << daemon.log();
  EXPECT_FALSE(status.restore_pending());
  EXPECT_EQ(status.vault_public_key(), vault_key_);  // the backup's identity key
  EXPECT_EQ(ReadCode(keep_), grpc::StatusCode::OK);
  EXPECT_EQ(ReadCode(doomed_), grpc::StatusCode::NOT_FOUND) << "erased after the backup";
}

TEST_F(RestoreTest, WhatCannotBeRestoredIsRefusedAndAForgedExportLeavesItSealed) {
  BuildLostVault();
  {
    // Into a directory that holds a vault.
    const std::string empty = data_dir_;
    data_dir_ = empty + ".lost";
    Daemon daemon;
    LaunchProduction(daemon, RestoreFlags(shm_ + "/b1", ""), "not-empty.log");
    EXPECT_LE(daemon.pid, 0);
    EXPECT_THAT(daemon.log(), HasSubstr("empty data directory"));
    data_dir_ = empty;
  }
  {
    Daemon daemon;  // without saying where the newer shred register is (or that none exists)
    LaunchProduction(daemon, {"--backup_keys_dir", keys_dir_, "--restore", shm_ + "/b1"},
                     "no-register.log");
    EXPECT_LE(daemon.pid, 0);
    EXPECT_THAT(daemon.log(), HasSubstr("--restore_shred_register"));
  }
  {
    Daemon daemon;  // without the key directory
    LaunchProduction(daemon, {"--restore", shm_ + "/b1", "--restore_without_newer_register"},
                     "no-keys.log");
    EXPECT_LE(daemon.pid, 0);
    EXPECT_THAT(daemon.log(), HasSubstr("--backup_keys_dir"));
  }
  {
    // A forged export: one leaf byte changed. The vault stays sealed, and a plain start refuses
    // the half-restored directory.
    absl::StatusOr<std::string> leaves = ReadFile(shm_ + "/export/leaves.bin", 1 << 26);
    ASSERT_THAT(leaves, IsOk());
    std::string forged = *leaves;
    forged[forged.size() / 2] ^= 0x01;
    ASSERT_THAT(WriteFileAtomically(shm_ + "/export/leaves.bin", forged, 0600), IsOk());
    Daemon daemon;
    StartProduction(daemon, RestoreFlags(shm_ + "/b1", shm_ + "/export"));
    ASSERT_GT(daemon.pid, 0) << daemon.log();
    ASSERT_TRUE(ApproveRestore("custodian").ok());
    ASSERT_TRUE(ApproveRestore("custodian_2").ok());
    ASSERT_TRUE(Unseal(shares_[0]).ok());
    const grpc::Status refused = Unseal(shares_[1], nullptr, "custodian_2");
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::DATA_LOSS) << refused.error_message();
    v1::VaultStatus status;
    ASSERT_TRUE(Status(&status).ok());
    EXPECT_TRUE(status.sealed());
    daemon.Stop();
    Daemon plain;
    LaunchProduction(plain, KeysFlag(), "interrupted.log");
    EXPECT_LE(plain.pid, 0);
    EXPECT_THAT(plain.log(), HasSubstr("interrupted restore"));
    // Even with the marker deleted by hand, the half-restored directory has no share set (it
    // is written only with the restore entry): no plain start can unseal it, and init refuses.
    {
      absl::StatusOr<std::unique_ptr<store::RocksDbStore>> store =
          store::RocksDbStore::Open(data_dir_);
      ASSERT_THAT(store, IsOk());
      store::Mutation unmark;
      unmark.Delete(store::Space::kMeta, "restore/in-progress");
      ASSERT_THAT((*store)->Commit(unmark), IsOk());
    }
    Daemon unmarked;
    LaunchProduction(unmarked, KeysFlag(), "unmarked.log");
    ASSERT_GT(unmarked.pid, 0) << unmarked.log();
    EXPECT_EQ(Unseal(shares_[0]).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    v1::InitResponse init;
    EXPECT_EQ(Init(3, 2, &init).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    // Once the epoch key is gone (destroyed on schedule), the backup cannot be opened at all.
    std::filesystem::remove_all(data_dir_);
    ASSERT_EQ(::mkdir(data_dir_.c_str(), 0700), 0);
    std::filesystem::remove(keys_dir_ + "/epoch-1.key");
    Daemon daemon;
    LaunchProduction(daemon, RestoreFlags(shm_ + "/b1", ""), "no-epoch-key.log");
    EXPECT_LE(daemon.pid, 0);
    EXPECT_THAT(daemon.log(), HasSubstr("can no longer be opened"));
  }
}


TEST_F(RestoreTest, ABackupOpensWithTheShareSetOfItsTimeAcrossAReshare) {
  InitAndStop(3, 2, shares_);
  std::vector<std::string> new_shares;
  {
    // Without --backup_keys_dir a production vault takes no backup: it could not be restored.
    Daemon daemon;
    StartProduction(daemon);
    UnsealWith(shares_[0], shares_[1]);
    const grpc::Status refused = Backup(shm_ + "/no-keys");
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(refused.error_message(), HasSubstr("--backup_keys_dir"));
    EXPECT_FALSE(std::filesystem::exists(shm_ + "/no-keys"));
  }
  {
    Daemon daemon;
    StartProduction(daemon, KeysFlag());
    UnsealWith(shares_[0], shares_[1]);
    v1::VaultStatus status;
    ASSERT_TRUE(Status(&status).ok());
    vault_key_ = status.vault_public_key();
    keep_ = Submit("reshare-keep", "reshare-keep-0001");
    ASSERT_TRUE(Backup(shm_ + "/before").ok());
    for (int i = 0; i < 2; ++i) {
      grpc::ClientContext context;
      SetTestDeadline(context, 60);
      v1::ReshareRequest request;
      request.set_share(shares_[i]);
      request.set_shares(3);
      request.set_threshold(2);
      v1::ReshareResponse response;
      const grpc::Status reshared = Operator()->Reshare(&context, request, &response);
      ASSERT_TRUE(reshared.ok()) << reshared.error_message();
      if (i == 1) new_shares.assign(response.shares().begin(), response.shares().end());
    }
    ASSERT_EQ(new_shares.size(), 3u);
    v1::BackupResponse after;
    grpc::ClientContext context;
    SetTestDeadline(context, 60);
    v1::BackupRequest request;
    request.set_directory(shm_ + "/after");
    ASSERT_TRUE(Operator()->Backup(&context, request, &after).ok());
    EXPECT_EQ(after.epoch(), 2u) << "a new share set starts a new backup epoch";
  }
  std::filesystem::rename(data_dir_, data_dir_ + ".lost");
  for (const auto& [backup, good, stale] :
       {std::make_tuple("/after", new_shares, shares_),
        std::make_tuple("/before", shares_, new_shares)}) {
    SCOPED_TRACE(backup);
    std::filesystem::remove_all(data_dir_);
    ASSERT_EQ(::mkdir(data_dir_.c_str(), 0700), 0);
    Daemon daemon;
    StartProduction(daemon, RestoreFlags(shm_ + backup, ""));
    ASSERT_TRUE(ApproveRestore("custodian").ok());
    ASSERT_TRUE(ApproveRestore("custodian_2").ok());
    const grpc::Status other_set = Unseal(stale[0]);
    EXPECT_EQ(other_set.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    UnsealWith(good[0], good[2]);
    EXPECT_EQ(ReadCode(keep_), grpc::StatusCode::OK);
  }
}

}  // namespace
}  // namespace confidant::testing
