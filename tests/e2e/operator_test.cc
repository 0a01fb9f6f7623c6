// Key custody over real mTLS with a production confidantd (no --dev, no key file): a new vault
// is initialised by a custodian (N shares, threshold K), restarts sealed, and opens only when K
// valid shares arrive one at a time; wrong, corrupted and repeated shares are named and do not
// count; progress can be reset; seal wipes the keys; an emergency seal demands different
// custodians, across restarts. The master key is in no file of the data directory, and every
// operator call lands in the audit log (those made while sealed once it opens again).
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "crypto/shamir.h"
#include "crypto/share_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/canary_scanner.h"
#include "tests/e2e/daemon.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/production_vault.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

class OperatorTest : public ProductionVaultTest {};

TEST_F(OperatorTest, InitThenRestartSealedThenUnsealWithSharesOneAtATime) {
  std::vector<std::string> shares;
  std::string record_id;
  {
    Daemon daemon;
    StartProduction(daemon);
    v1::VaultStatus status;
    ASSERT_TRUE(Status(&status).ok());
    EXPECT_FALSE(status.initialised());
    EXPECT_TRUE(status.sealed());
    EXPECT_EQ(ListCode(), grpc::StatusCode::FAILED_PRECONDITION);
    // Only custodians; one person must never hold the vault alone.
    v1::InitResponse init;
    EXPECT_EQ(Status(&status, "case_officer").error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Init(5, 3, &init, "auditor").error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Init(5, 1, &init).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(Init(3, 4, &init).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(Init(256, 3, &init).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

    ASSERT_TRUE(Init(5, 3, &init).ok());
    ASSERT_EQ(init.shares_size(), 5);
    EXPECT_FALSE(init.status().sealed());
    EXPECT_EQ(init.status().threshold(), 3u);
    EXPECT_EQ(HealthCheck(Channel("case_officer")), kServing);
    EXPECT_EQ(Init(5, 3, &init).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    shares.assign(init.shares().begin(), init.shares().end());

    // The visit team pins this vault's identity key, as published by its operators.
    absl::StatusOr<client::ClientIdentity> identity =
        client::ClientIdentity::Load(dev_->identity_dir("visit_team"));
    ASSERT_THAT(identity, IsOk());
    ASSERT_EQ(init.status().vault_public_key().size(), 32u);
    identity->vault_public_key = init.status().vault_public_key();
    absl::StatusOr<std::unique_ptr<client::VaultClient>> team =
        client::VaultClient::Connect(address_, *std::move(identity));
    ASSERT_THAT(team, IsOk());
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        (*team)->Submit(SyntheticRecord("custody"), "custody-record-1");
    ASSERT_THAT(submitted, IsOk());
    record_id = submitted->record_id();
  }

  // The master key (recombined here from the shares) and the shares are in no file.
  const std::string raw = Recombine(shares, 3);
  ASSERT_EQ(raw.size(), 32u);
  std::vector<std::string> needles = {raw, absl::BytesToHexString(raw), absl::Base64Escape(raw)};
  for (const std::string& share : shares) needles.push_back(share.substr(share.size() - 61, 52));
  for (const std::string& file : FilesBelow(dev_->root())) {
    absl::StatusOr<std::string> bytes = ReadFile(file, 1 << 30);
    if (!bytes.ok()) continue;
    for (const std::string& needle : needles) {
      EXPECT_EQ(bytes->find(needle), std::string::npos) << "key material in " << file;
    }
  }

  Daemon daemon;
  StartProduction(daemon);
  v1::VaultStatus status;
  ASSERT_TRUE(Status(&status).ok());
  EXPECT_TRUE(status.initialised());
  EXPECT_TRUE(status.sealed());
  EXPECT_EQ(HealthCheck(Channel("case_officer")), kNotServing);
  EXPECT_EQ(ListCode(), grpc::StatusCode::FAILED_PRECONDITION);

  grpc::Status refused = Unseal("not a share");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  refused = Unseal(WithTypo(shares[0]));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("typo"));
  EXPECT_EQ(Unseal(shares[0], nullptr, "case_officer").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Unseal(shares[0], &status).ok());
  EXPECT_EQ(status.shares_received(), 1u);
  refused = Unseal(shares[0]);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("already given"));
  {
    grpc::ClientContext context;
    SetTestDeadline(context);
    ASSERT_TRUE(Operator()->ResetUnseal(&context, {}, &status).ok());
    EXPECT_EQ(status.shares_received(), 0u);
  }
  ASSERT_TRUE(Unseal(shares[4], &status).ok());
  ASSERT_TRUE(Unseal(shares[2], &status).ok());
  EXPECT_TRUE(status.sealed());
  EXPECT_EQ(status.shares_received(), 2u);
  ASSERT_TRUE(Unseal(shares[1], &status).ok());
  EXPECT_FALSE(status.sealed());
  EXPECT_EQ(HealthCheck(Channel("case_officer")), kServing);
  EXPECT_EQ(ListCode(), grpc::StatusCode::OK);
  EXPECT_EQ(Unseal(shares[3]).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // The calls made while sealed were held and are now in the log, refusals included.
  std::vector<std::string> unseals;
  for (const v1::AuditEntry& entry : Entries()) {
    const v1::AuditEvent& e = entry.event();
    if (e.action() == "vault_unseal" || e.action() == "vault_unseal_reset") {
      unseals.push_back(absl::StrCat(e.action(), " ", e.rule(), " ", e.status_code()));
    }
  }
  EXPECT_THAT(unseals, ::testing::ElementsAre(
                           "vault_unseal deny:invalid/INVALID_ARGUMENT INVALID_ARGUMENT",
                           "vault_unseal deny:invalid/INVALID_ARGUMENT INVALID_ARGUMENT",
                           "vault_unseal deny:no-grant/operate_vault PERMISSION_DENIED",
                           "vault_unseal allow:grant/custodian OK",
                           "vault_unseal deny:invalid/INVALID_ARGUMENT INVALID_ARGUMENT",
                           "vault_unseal_reset allow:grant/custodian OK",
                           "vault_unseal allow:grant/custodian OK",
                           "vault_unseal allow:grant/custodian OK",
                           "vault_unseal allow:grant/custodian OK",
                           "vault_unseal allow:grant/custodian FAILED_PRECONDITION"));

  // Seal wipes the keys: nothing is served until K shares come again.
  ASSERT_TRUE(Seal(false).ok());
  EXPECT_EQ(ListCode(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(HealthCheck(Channel("case_officer")), kNotServing);
  EXPECT_EQ(Seal(false).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  for (int i : {0, 1, 2}) ASSERT_TRUE(Unseal(shares[i], &status).ok()) << i;
  EXPECT_FALSE(status.sealed());
  v1::GetRecordResponse record;
  ASSERT_TRUE(ReadAs(record_id, "case_officer", &record).ok());
  EXPECT_EQ(record.interview().narrative(), "custody narrative");
}

// A new production vault's operator learns its identity key from the CLI: a custodian's
// folder needs no vault.pub for operator commands; init and status print the key to pin; every
// other command without vault.pub says where to get it.
TEST_F(OperatorTest, TheCliPrintsTheVaultKeyToPinAndOperatorCommandsNeedNone) {
  Daemon daemon;
  StartProduction(daemon);
  const std::string custodian = dev_->root() + "/custodian-without-vault-pub";
  std::filesystem::create_directories(custodian);
  for (const char* file : {"ca.crt", "client.crt", "client.key"}) {
    std::filesystem::copy_file(dev_->identity_dir("custodian") + "/" + file,
                               custodian + "/" + file);
  }
  const auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {CONFIDANT_CLI_PATH, "--identity", custodian, "--server", address_});
    return RunCommand(args);
  };
  const CommandResult before = cli({"operator", "status"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_THAT(before.out, HasSubstr("initialised: no"));
  const CommandResult init = cli({"operator", "init", "--shares", "3", "--threshold", "2"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_THAT(init.out, HasSubstr("The vault's identity key"));
  const CommandResult status = cli({"operator", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const std::string marker = "vault identity key (clients pin it as vault.pub): ";
  const size_t at = status.out.find(marker);
  ASSERT_NE(at, std::string::npos) << status.out;
  const std::string key_b64 = status.out.substr(at + marker.size(), 44);
  std::string key;
  ASSERT_TRUE(absl::Base64Unescape(key_b64, &key));
  EXPECT_EQ(key.size(), 32u);
  EXPECT_THAT(init.out, HasSubstr(key_b64)) << "init and status print the same key";
  const CommandResult list = cli({"list"});
  EXPECT_NE(list.exit_code, 0);
  EXPECT_THAT(list.err, HasSubstr("vault.pub"));
  EXPECT_THAT(list.err, HasSubstr("confidant operator status"));
}

TEST_F(OperatorTest, EmergencySealNeedsDifferentCustodiansAcrossRestarts) {
  std::vector<std::string> shares;
  {
    Daemon daemon;
    StartProduction(daemon);
    v1::InitResponse init;
    ASSERT_TRUE(Init(3, 2, &init).ok());
    shares.assign(init.shares().begin(), init.shares().end());
    ASSERT_TRUE(Seal(true).ok());
    v1::VaultStatus status;
    ASSERT_TRUE(Status(&status).ok());
    EXPECT_TRUE(status.sealed());
    EXPECT_TRUE(status.emergency());
  }
  Daemon daemon;
  StartProduction(daemon);
  v1::VaultStatus status;
  ASSERT_TRUE(Status(&status).ok());
  EXPECT_TRUE(status.emergency());
  ASSERT_TRUE(Unseal(shares[0], &status).ok());
  // The same custodian (the dev policy has one) cannot give the second share.
  grpc::Status refused = Unseal(shares[1], &status);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("different custodian"));
  ASSERT_TRUE(Status(&status).ok());
  EXPECT_TRUE(status.sealed());
  EXPECT_EQ(ListCode(), grpc::StatusCode::FAILED_PRECONDITION);
}

// Review finding: anyone with a certificate of the CA could fill the queue of entries held while
// sealed and push the custodians' unseal entries out. Refusals now have their own allowance.
TEST_F(OperatorTest, RefusedCallsWhileSealedCannotCrowdOutTheCustodiansEntries) {
  std::vector<std::string> shares;
  ASSERT_NO_FATAL_FAILURE(InitAndStop(3, 2, shares));
  Daemon daemon;
  StartProduction(daemon);
  v1::VaultStatus status;
  auto flooder = Operator("visit_team");
  for (int i = 0; i < 150; ++i) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    ASSERT_EQ(flooder->GetStatus(&context, {}, &status).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  ASSERT_TRUE(Unseal(shares[0], &status).ok());
  ASSERT_TRUE(Unseal(shares[1], &status).ok());
  ASSERT_FALSE(status.sealed());
  int refused = 0, unseals = 0;
  uint32_t dropped = 0;
  for (const v1::AuditEntry& entry : Entries()) {
    const v1::AuditEvent& e = entry.event();
    if (e.action() == "vault_status" && e.decision() == v1::DENY) ++refused;
    if (e.action() == "vault_unseal" && e.decision() == v1::ALLOW) ++unseals;
    if (e.action() == "held_entries_dropped") dropped = e.count();
  }
  EXPECT_EQ(refused, 100);
  EXPECT_EQ(dropped, 50u);
  EXPECT_EQ(unseals, 2);
}

TEST_F(OperatorTest, EmergencyCanBeDeclaredOnASealedVault) {
  std::vector<std::string> shares;
  ASSERT_NO_FATAL_FAILURE(InitAndStop(3, 2, shares));
  Daemon daemon;
  StartProduction(daemon);  // sealed after the restart
  EXPECT_EQ(Seal(false).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Seal(true).error_code(), grpc::StatusCode::OK);
  v1::VaultStatus status;
  ASSERT_TRUE(Status(&status).ok());
  EXPECT_TRUE(status.emergency());
  ASSERT_TRUE(Unseal(shares[0], &status).ok());
  EXPECT_THAT(Unseal(shares[1], &status).error_message(), HasSubstr("different custodian"));
}

TEST_F(OperatorTest, SharesOfAnotherVaultAreNamedAndDoNotCount) {
  std::vector<std::string> first;
  ASSERT_NO_FATAL_FAILURE(InitAndStop(3, 2, first));
  // A second vault beside the first.
  std::filesystem::rename(data_dir_, data_dir_ + "-first");
  ASSERT_EQ(::mkdir(data_dir_.c_str(), 0700), 0);
  std::vector<std::string> second;
  ASSERT_NO_FATAL_FAILURE(InitAndStop(3, 2, second));
  Daemon daemon;
  StartProduction(daemon);
  grpc::Status refused = Unseal(first[0]);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("different inits"));
  v1::VaultStatus status;
  ASSERT_TRUE(Status(&status).ok());
  EXPECT_EQ(status.shares_received(), 0u);
  ASSERT_TRUE(Unseal(second[2], &status).ok());
  ASSERT_TRUE(Unseal(second[0], &status).ok());
  EXPECT_FALSE(status.sealed());
}

// Rotating the signing keys needs an open vault; once open, the vault identity key reported by
// status is the rotated one.
TEST_F(OperatorTest, RotateWhileSealedIsRefusedAndOnceOpenReplacesTheIdentityKey) {
  std::vector<std::string> shares;
  ASSERT_NO_FATAL_FAILURE(InitAndStop(3, 2, shares));
  Daemon daemon;
  StartProduction(daemon);  // sealed after the restart
  auto rotate = [&](v1::RotateResponse* response) {
    grpc::ClientContext context;
    SetTestDeadline(context, 30);
    return Operator()->Rotate(&context, {}, response);
  };
  v1::RotateResponse rotated;
  const grpc::Status sealed = rotate(&rotated);
  EXPECT_EQ(sealed.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(sealed.error_message(), HasSubstr("sealed"));
  v1::VaultStatus status;
  ASSERT_TRUE(Unseal(shares[0], &status).ok());
  ASSERT_TRUE(Unseal(shares[1], &status).ok());
  ASSERT_FALSE(status.sealed());
  ASSERT_TRUE(Status(&status).ok());
  const std::string before = status.vault_public_key();
  ASSERT_EQ(before.size(), 32u);
  ASSERT_TRUE(rotate(&rotated).ok());
  EXPECT_EQ(rotated.identity_key_version(), 2u);
  ASSERT_TRUE(Status(&status).ok());
  EXPECT_NE(status.vault_public_key(), before);
  EXPECT_EQ(status.vault_public_key().size(), 32u);
}

}  // namespace
}  // namespace confidant::testing
