// Re-keying the master key (re-share) over real mTLS with a production confidantd (no --dev, no
// key file): on an unsealed vault, K current shares given one at a time by custodians (bad
// numbers, wrong, corrupted and repeated shares refused and not counted, progress resettable)
// re-key the vault under a new share set, printed once by `confidant operator reshare`. After a
// restart the old shares are refused with a clear error, the new ones unseal, the records read,
// `audit verify` passes, and neither the new master key nor the new shares are in any file.
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "crypto/shamir.h"
#include "crypto/share_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/rocksdb_store.h"
#include "server/store/storage.pb.h"
#include "tests/e2e/daemon.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/production_vault.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ReshareE2eTest : public ProductionVaultTest {
 protected:
  grpc::Status Reshare(const std::string& share, uint32_t shares, uint32_t threshold,
                       v1::ReshareResponse* out = nullptr,
                       const std::string& who = "custodian") const {
    grpc::ClientContext context;
    SetTestDeadline(context, 60);
    v1::ReshareRequest request;
    request.set_share(share);
    request.set_shares(shares);
    request.set_threshold(threshold);
    v1::ReshareResponse ignored;
    return Operator(who)->Reshare(&context, request, out ? out : &ignored);
  }
  // `confidant operator reshare` as a custodian, the share on standard input.
  CommandResult CliReshare(const std::string& share, int shares, int threshold) const {
    const std::string share_file = dev_->root() + "/one-share.txt";
    EXPECT_THAT(WriteFileAtomically(share_file, share + "\n", 0600), IsOk());
    CommandResult result = RunCommand(
        {"/bin/sh", "-c",
         absl::StrCat("exec \"$0\" --identity \"$1\" --server \"$2\" operator reshare --shares ",
                      shares, " --threshold ", threshold, " < \"$3\""),
         CONFIDANT_CLI_PATH, PinnedIdentityDir("custodian"), address_, share_file});
    std::filesystem::remove(share_file);
    return result;
  }
  std::vector<v1::AuditEvent> Events(const std::string& action) const {
    auto stub = v1::AuditService::NewStub(Channel("auditor"));
    grpc::ClientContext context;
    SetTestDeadline(context);
    auto reader = stub->GetEntries(&context, v1::GetEntriesRequest());
    std::vector<v1::AuditEvent> events;
    v1::AuditEntry entry;
    while (reader->Read(&entry)) {
      if (entry.event().action() == action) events.push_back(entry.event());
    }
    EXPECT_TRUE(reader->Finish().ok());
    return events;
  }
};

TEST_F(ReshareE2eTest, KCurrentSharesRekeyTheVaultAndOnlyTheNewSharesOpenIt) {
  std::vector<std::string> old_shares, new_shares;
  std::string record_id, old_set, new_set, vault_key;
  {
    Daemon daemon;
    StartProduction(daemon);
    v1::InitResponse init;
    ASSERT_TRUE(Init(5, 3, &init).ok());
    old_shares.assign(init.shares().begin(), init.shares().end());
    old_set = init.status().share_set_id();
    vault_key = init.status().vault_public_key();
    absl::StatusOr<client::ClientIdentity> identity =
        client::ClientIdentity::Load(dev_->identity_dir("visit_team"));
    ASSERT_THAT(identity, IsOk());
    identity->vault_public_key = init.status().vault_public_key();
    auto team = client::VaultClient::Connect(address_, *std::move(identity));
    ASSERT_THAT(team, IsOk());
    auto submitted = (*team)->Submit(SyntheticRecord("reshare"), "reshare-record-1");
    ASSERT_THAT(submitted, IsOk());
    record_id = submitted->record_id();

    // Bad input: refused, named, and counts for nothing.
    EXPECT_EQ(Reshare(old_shares[0], 3, 2, nullptr, "case_officer").error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Reshare(old_shares[0], 3, 1).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(Reshare(old_shares[0], 2, 3).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(Reshare(old_shares[0], 256, 3).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(Reshare("", 3, 2).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    grpc::Status refused = Reshare(WithTypo(old_shares[0]), 3, 2);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(refused.error_message(), HasSubstr("typo"));
    v1::ReshareResponse progress;
    ASSERT_TRUE(Reshare(old_shares[0], 3, 2, &progress).ok());
    EXPECT_EQ(progress.shares_received(), 1u);
    EXPECT_EQ(progress.threshold(), 3u);
    EXPECT_EQ(progress.shares_size(), 0);
    refused = Reshare(old_shares[0], 3, 2);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(refused.error_message(), HasSubstr("already given"));
    ASSERT_TRUE(Reshare(old_shares[1], 3, 2, &progress).ok());
    EXPECT_EQ(progress.shares_received(), 2u);
    EXPECT_EQ(progress.shares_size(), 0) << "re-keyed below the threshold";
    {
      grpc::ClientContext context;
      SetTestDeadline(context);
      ASSERT_TRUE(Operator()->ResetReshare(&context, {}, &progress).ok());
      EXPECT_EQ(progress.shares_received(), 0u);
    }
    // The real re-share: two shares over the RPC, the third through the CLI.
    ASSERT_TRUE(Reshare(old_shares[4], 3, 2, &progress).ok());
    ASSERT_TRUE(Reshare(old_shares[2], 3, 2, &progress).ok());
    EXPECT_EQ(progress.shares_received(), 2u);
    const CommandResult cli = CliReshare(old_shares[3], 3, 2);
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    EXPECT_THAT(cli.out, HasSubstr("share set " + old_set + " no longer opens the vault"));
    for (absl::string_view line : absl::StrSplit(cli.out, '\n')) {
      if (absl::StartsWith(line, "confidant-share-v1:")) {
        new_shares.emplace_back(line.data(), line.size());
      }
    }
    ASSERT_EQ(new_shares.size(), 3u) << cli.out;
    v1::VaultStatus status;
    {
      grpc::ClientContext context;
      SetTestDeadline(context);
      ASSERT_TRUE(Operator()->GetStatus(&context, {}, &status).ok());
    }
    EXPECT_FALSE(status.sealed()) << "the vault keeps serving through a re-share";
    EXPECT_EQ(status.threshold(), 2u);
    EXPECT_EQ(status.shares(), 3u);
    new_set = status.share_set_id();
    EXPECT_NE(new_set, old_set);

    // One entry names both share sets and no share.
    std::vector<v1::AuditEvent> reshared = Events("master_key_reshared");
    ASSERT_EQ(reshared.size(), 1u);
    EXPECT_THAT(reshared[0].detail(), HasSubstr("share set " + new_set));
    EXPECT_THAT(reshared[0].detail(), HasSubstr("replaces share set " + old_set));
    EXPECT_EQ(reshared[0].decision(), v1::ALLOW);
    for (const std::string& share : new_shares) {
      EXPECT_THAT(reshared[0].detail(), Not(HasSubstr(share.substr(share.size() - 61, 52))));
    }
    // Every attempt is audited, refusals included.
    int allowed = 0, invalid = 0, not_custodian = 0;
    for (const v1::AuditEvent& e : Events("master_key_reshare")) {
      if (e.decision() == v1::ALLOW) ++allowed;
      if (e.status_code() == "INVALID_ARGUMENT") ++invalid;
      if (e.status_code() == "PERMISSION_DENIED") ++not_custodian;
    }
    EXPECT_EQ(allowed, 4);
    EXPECT_GE(invalid, 1);  // identical refusals may be merged into one entry
    EXPECT_EQ(not_custodian, 1);
    EXPECT_EQ(Events("master_key_reshare_reset").size(), 1u);
  }

  // Neither key is in any file: not the new master key, not a new share.
  const std::string master = Recombine(new_shares, 2);
  ASSERT_EQ(master.size(), 32u);
  EXPECT_NE(master, Recombine(old_shares, 3));
  std::vector<std::string> needles = {master, absl::BytesToHexString(master),
                                      absl::Base64Escape(master)};
  for (const std::string& share : new_shares) {
    needles.push_back(share.substr(share.size() - 61, 52));
  }
  for (const std::string& file : FilesBelow(dev_->root())) {
    absl::StatusOr<std::string> bytes = ReadFile(file, 1 << 30);
    if (!bytes.ok()) continue;
    for (const std::string& needle : needles) {
      EXPECT_EQ(bytes->find(needle), std::string::npos) << "key material in " << file;
    }
  }

  Daemon daemon;
  StartProduction(daemon);
  // Sealed after the restart: no re-share, and the old shares are refused by name.
  EXPECT_EQ(Reshare(new_shares[0], 3, 2).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  for (const std::string& share : old_shares) {
    grpc::Status refused = Unseal(share);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(refused.error_message(), HasSubstr("different inits"));
  }
  v1::VaultStatus status;
  ASSERT_TRUE(Unseal(new_shares[2], &status).ok());
  EXPECT_TRUE(status.sealed());
  EXPECT_EQ(status.shares_received(), 1u);
  ASSERT_TRUE(Unseal(new_shares[1], &status).ok());
  EXPECT_FALSE(status.sealed());

  v1::GetRecordResponse record;
  ASSERT_TRUE(ReadAs(record_id, "case_officer", &record).ok());
  EXPECT_EQ(record.interview().narrative(), "reshare narrative");

  // The auditor pins this vault's identity key (the same before and after the re-share).
  const std::string auditor = dev_->root() + "/prod-auditor";
  std::filesystem::create_directory(auditor);
  for (const char* file : {"ca.crt", "client.crt", "client.key"}) {
    std::filesystem::copy_file(dev_->identity_dir("auditor") + "/" + file,
                               auditor + "/" + file);
  }
  ASSERT_THAT(WriteFileAtomically(auditor + "/vault.pub", absl::Base64Escape(vault_key), 0600),
              IsOk());
  const CommandResult verified = RunCommand(
      {CONFIDANT_CLI_PATH, "--identity", auditor, "--server", address_, "audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

// The wrapped bytes of every stored key (the keys space as it is on disk). The server must be
// stopped.
std::vector<std::string> StoredWraps(const std::string& data_dir) {
  std::vector<std::string> wraps;
  absl::StatusOr<std::unique_ptr<store::RocksDbStore>> db = store::RocksDbStore::Open(data_dir);
  EXPECT_THAT(db, IsOk());
  if (!db.ok()) return wraps;
  EXPECT_THAT((*db)->Scan(store::Space::kKeys, "",
                          [&](std::string_view, std::string_view value) {
                            storage::v1::StoredKey stored;
                            EXPECT_TRUE(stored.ParseFromArray(value.data(),
                                                              static_cast<int>(value.size())));
                            wraps.push_back(stored.wrapped());
                            return true;
                          }),
              IsOk());
  return wraps;
}

TEST_F(ReshareE2eTest, TheOldWrapsLeaveTheDataFilesSoOldSharesOpenNoStoredKey) {
  std::vector<std::string> old_shares;
  InitAndStop(3, 2, old_shares);
  const std::vector<std::string> old_wraps = StoredWraps(data_dir_);
  ASSERT_GE(old_wraps.size(), 8u);
  {
    Daemon daemon;
    StartProduction(daemon);
    ASSERT_TRUE(Unseal(old_shares[0]).ok());
    ASSERT_TRUE(Unseal(old_shares[2]).ok());
    v1::ReshareResponse done;
    ASSERT_TRUE(Reshare(old_shares[1], 2, 2).ok());
    ASSERT_TRUE(Reshare(old_shares[0], 2, 2, &done).ok());
    ASSERT_EQ(done.shares_size(), 2);
  }
  std::vector<std::string> found;
  for (const std::string& file : FilesBelow(data_dir_)) {
    absl::StatusOr<std::string> bytes = ReadFile(file, 1 << 30);
    if (!bytes.ok()) continue;
    for (const std::string& wrap : old_wraps) {
      // 32 bytes of the wrapped key's ciphertext, after its 24-byte nonce.
      if (bytes->find(wrap.substr(24, 32)) != std::string::npos) {
        found.push_back(file);
        break;
      }
    }
  }
  EXPECT_TRUE(found.empty()) << "an old wrap is still in " << found.front();
  EXPECT_EQ(StoredWraps(data_dir_).size(), old_wraps.size());
}

TEST_F(ReshareE2eTest, AVaultWithoutSharesHasNothingToReshare) {
  {
    // A new vault, before init: sealed.
    Daemon daemon;
    StartProduction(daemon);
    EXPECT_EQ(Reshare("confidant-share-v1:x", 3, 2).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  // A dev vault is keyed by its key file: unsealed, but there are no shares to re-key.
  ASSERT_THAT(dev_->Restart(), IsOk());
  auto stub = v1::OperatorService::NewStub(ChannelAs(*dev_, "custodian"));
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::ReshareRequest request;
  request.set_share("confidant-share-v1:x");
  request.set_shares(3);
  request.set_threshold(2);
  v1::ReshareResponse response;
  const grpc::Status refused = stub->Reshare(&context, request, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("no unseal shares"));
}

}  // namespace
}  // namespace confidant::testing
