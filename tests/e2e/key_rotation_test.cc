// Rotating the vault identity, checkpoint and release keys over real mTLS, with a real witness
// (confidant-witness) pinned to the log's first key: after `operator rotate` the witness keeps
// cosigning (following the checkpoint key chain), `confidant audit verify` passes online and
// offline, a client pinned to the old vault.pub still submits (the intake key is signed by the
// new identity key, reached through the identity chain), and so after a restart; a forged chain
// in an export is refused with DATA_LOSS naming the link; only a custodian may rotate.
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "client/audit_commands.h"
#include "client/audit_export.h"
#include "client/log_client.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "client/intake_key_cache.h"
#include "crypto/key_transition.h"
#include "crypto/merkle.h"
#include "server/store/rocksdb_store.h"
#include "crypto/signed_note.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/e2e/witnessed_vault.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kWitnessName[] = "witness.test/keyrotate";

class KeyRotationTest : public WitnessedVaultTest {
 protected:
  KeyRotationTest() : WitnessedVaultTest(kWitnessName) {}
  void SetUp() override {
    WitnessedVaultTest::SetUp();
    if (HasFatalFailure()) return;
    // The vault.pub every dev identity pins now; a restart after a rotation re-pins dev ones.
    team_ = vault_->ClientAs("visit_team")->identity();
    auditor_ = vault_->ClientAs("auditor")->identity();
  }

  grpc::Status RotateAs(const std::string& role, v1::RotateResponse* response) {
    grpc::ClientContext context;
    SetTestDeadline(context, 30);
    return v1::OperatorService::NewStub(ChannelAs(*vault_, role))
        ->Rotate(&context, {}, response);
  }

  // Submits as a visit team member pinned to the first vault.pub; the log size its receipt
  // vouches for, after checking the receipt under the key the client reached.
  uint64_t SubmitPinnedToFirstKey() {
    std::unique_ptr<client::VaultClient> team = vault_->ClientWith(team_);
    absl::StatusOr<v1::SubmitRecordResponse> receipt =
        team->Submit(SyntheticRecord("keyrotate"), absl::StrCat("keyrotate-", ++submissions_));
    EXPECT_THAT(receipt, IsOk());
    if (!receipt.ok()) return 0;
    EXPECT_THAT(client::VerifyReceipt(team->vault_key(), *receipt), IsOk());
    return receipt->audit_index() + 1;
  }

  // `confidant submit` as the visit team, with its identity folder (and vault.pub) on disk.
  CommandResult CliSubmit(const std::string& text) {
    std::string json;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(SyntheticRecord(text), &json).ok());
    const std::string path = absl::StrCat(tmp_, "/record-", ++submissions_, ".json");
    EXPECT_THAT(WriteFileAtomically(path, json, 0600), IsOk());
    return RunCommand({CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir("visit_team"),
                       "--server", vault_->address(), "submit", path});
  }

  std::unique_ptr<client::LogClient> AuditorLog(const std::string& state = "") {
    return std::make_unique<client::LogClient>(vault_->ClientWith(auditor_)->channel(), auditor_,
                                               state);
  }

  absl::Status VerifyOnline() {
    std::ostringstream out, progress;
    return client::AuditVerifyCommand(*AuditorLog(), {witness_->Trusted()}, out, progress);
  }

  client::ClientIdentity team_;
  client::ClientIdentity auditor_;
  int submissions_ = 0;
};

TEST_F(KeyRotationTest, AfterRotationWitnessAuditVerifyAndOldPinsFollowTheChains) {
  ASSERT_THAT(WaitForCosigned(*AuditorLog(), witness_->Trusted(), SubmitPinnedToFirstKey()),
              IsOk());
  const std::string state = tmp_ + "/auditor-checkpoint";
  ASSERT_THAT(AuditorLog(state)->Refresh(), IsOk());  // kept: signed by the first log key
  const CommandResult before = CliSubmit("cli before rotation");  // the CLI keeps one too
  ASSERT_EQ(before.exit_code, 0) << before.out << before.err;
  // What an impostor holding the retired identity key could serve: an intake key it signed.
  absl::StatusOr<v1::IntakeKey> signed_by_retired = vault_->ClientWith(team_)->FetchIntakeKey();
  ASSERT_THAT(signed_by_retired, IsOk());

  v1::RotateResponse rotated;
  ASSERT_TRUE(RotateAs("custodian", &rotated).ok());
  EXPECT_EQ(rotated.identity_key_version(), 2u);
  EXPECT_EQ(rotated.checkpoint_key_version(), 2u);
  EXPECT_EQ(rotated.release_key_version(), 2u);

  // A client pinned to the old vault.pub submits; its intake key is signed by the new key.
  const uint64_t size = SubmitPinnedToFirstKey();
  ASSERT_GT(size, 0u);
  std::unique_ptr<client::VaultClient> team = vault_->ClientWith(team_);
  ASSERT_THAT(team->FetchIntakeKey(), IsOk());
  EXPECT_NE(team->vault_key(), team_.vault_public_key);
  // The CLI too: its vault.pub is the first one, its kept checkpoint signed by the first log key,
  // and the receipt it checks is signed by the new identity key.
  const CommandResult after = CliSubmit("cli after rotation");
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
  // The key reached is now the identity folder's anchor (client/vault_key_pin.h): vault.pub
  // alone would still believe the retired key, the folder no longer does.
  absl::StatusOr<client::ClientIdentity> reloaded =
      client::ClientIdentity::Load(vault_->identity_dir("visit_team"));
  ASSERT_THAT(reloaded, IsOk());
  EXPECT_EQ(reloaded->pinned_vault_key, team_.vault_public_key);
  EXPECT_EQ(reloaded->vault_public_key, team->vault_key());
  EXPECT_THAT(client::VerifyIntakeKey(*signed_by_retired, team_.vault_public_key), IsOk());
  EXPECT_THAT(client::VerifyIntakeKey(*signed_by_retired, reloaded->vault_public_key),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // The witness, pinned to the first log key, cosigns checkpoints signed by the new one.
  absl::StatusOr<client::VerifiedCheckpoint> cosigned =
      WaitForCosigned(*AuditorLog(), witness_->Trusted(), size);
  ASSERT_THAT(cosigned, IsOk());
  ASSERT_EQ(cosigned->checkpoint_transitions.size(), 1u);
  EXPECT_NE(cosigned->log_public_key, cosigned->checkpoint_keys.front().public_key);
  EXPECT_THAT(AuditorLog(state)->Refresh(), IsOk());  // the kept checkpoint's key is on the chain
  EXPECT_THAT(VerifyOnline(), IsOk());
  // The CLI, with the auditor's vault.pub still the first one.
  const CommandResult cli = RunCommand({CONFIDANT_CLI_PATH, "--identity",
                                        vault_->identity_dir("auditor"), "--server",
                                        vault_->address(), "audit", "verify"});
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_THAT(cli.out, StartsWith("verified "));

  // Offline: the export carries the chains.
  std::ostringstream out, progress;
  const std::string dir = tmp_ + "/export";
  ASSERT_THAT(client::AuditExportCommand(*AuditorLog(), dir, out, progress), IsOk());
  EXPECT_THAT(client::AuditVerifyOfflineCommand(auditor_, dir, {witness_->Trusted()}, out,
                                                progress),
              IsOk());

  // A restart opens the rotated keys and the log signed by the new checkpoint key.
  ASSERT_THAT(vault_->Restart(), IsOk());
  const uint64_t after_restart = SubmitPinnedToFirstKey();
  ASSERT_GT(after_restart, size);
  EXPECT_THAT(WaitForCosigned(*AuditorLog(), witness_->Trusted(), after_restart), IsOk());
  EXPECT_THAT(VerifyOnline(), IsOk());

  // A second rotation extends both chains.
  ASSERT_TRUE(RotateAs("custodian", &rotated).ok());
  EXPECT_EQ(rotated.identity_key_version(), 3u);
  const uint64_t after_second = SubmitPinnedToFirstKey();
  absl::StatusOr<client::VerifiedCheckpoint> twice =
      WaitForCosigned(*AuditorLog(), witness_->Trusted(), after_second);
  ASSERT_THAT(twice, IsOk());
  EXPECT_EQ(twice->identity_transitions.size(), 2u);
  EXPECT_THAT(VerifyOnline(), IsOk());
}

TEST_F(KeyRotationTest, ForgedCheckpointChainInAnExportIsRefused) {
  SubmitPinnedToFirstKey();
  v1::RotateResponse rotated;
  ASSERT_TRUE(RotateAs("custodian", &rotated).ok());
  SubmitPinnedToFirstKey();
  std::ostringstream out, progress;
  const std::string dir = tmp_ + "/export";
  ASSERT_THAT(client::AuditExportCommand(*AuditorLog(), dir, out, progress), IsOk());
  ASSERT_THAT(client::AuditVerifyOfflineCommand(auditor_, dir, {}, out, progress), IsOk());

  // The transition re-signed by a key that is not the old one.
  absl::StatusOr<std::string> saved = ReadFile(dir + "/checkpoint.binpb");
  ASSERT_THAT(saved, IsOk());
  v1::GetCheckpointResponse response;
  ASSERT_TRUE(response.ParseFromString(*saved));
  ASSERT_EQ(response.checkpoint_transitions_size(), 1);
  absl::StatusOr<crypto::SplitNote> split =
      crypto::SplitSignedNote(response.checkpoint_transitions(0));
  ASSERT_THAT(split, IsOk());
  absl::StatusOr<crypto::KeyTransition> transition = crypto::ParseKeyTransitionBody(split->body);
  ASSERT_THAT(transition, IsOk());
  const crypto::Ed25519KeyPair forger = crypto::Ed25519KeyPair::Generate();
  response.set_checkpoint_transitions(
      0, crypto::SignNote(split->body, transition->origin, forger));
  ASSERT_THAT(WriteFileAtomically(dir + "/checkpoint.binpb", response.SerializeAsString(), 0600),
              IsOk());
  // The identity key's statement covers the chain as served: any change to it is refused.
  EXPECT_THAT(client::AuditVerifyOfflineCommand(auditor_, dir, {}, out, progress),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not vouched for")));

}

// A transition proves only that its old key handed over: a key put in front of the chain by a
// forger, with a head it signs over edited leaves, must not pass. The identity key's statement
// covers the whole chain.
TEST_F(KeyRotationTest, AKeyPutInFrontOfTheChainCannotVouchForAForgedExport) {
  SubmitPinnedToFirstKey();
  SubmitPinnedToFirstKey();
  std::ostringstream out, progress;
  const std::string dir = tmp_ + "/front";
  ASSERT_THAT(client::AuditExportCommand(*AuditorLog(), dir, out, progress), IsOk());
  absl::StatusOr<std::string> saved = ReadFile(dir + "/checkpoint.binpb");
  ASSERT_THAT(saved, IsOk());
  v1::GetCheckpointResponse response;
  ASSERT_TRUE(response.ParseFromString(*saved));
  absl::StatusOr<crypto::SplitNote> head = crypto::SplitSignedNote(response.checkpoint().note());
  ASSERT_THAT(head, IsOk());
  absl::StatusOr<crypto::CheckpointBody> body = crypto::ParseCheckpointBody(head->body);
  ASSERT_THAT(body, IsOk());

  // Keep the first half of the leaves (the rest "never happened").
  absl::StatusOr<std::string> leaves = ReadFile(dir + "/leaves.bin", 1 << 26);
  ASSERT_THAT(leaves, IsOk());
  auto u32 = [](std::string_view b, size_t at) {
    return (uint32_t{static_cast<uint8_t>(b[at])} << 24) |
           (uint32_t{static_cast<uint8_t>(b[at + 1])} << 16) |
           (uint32_t{static_cast<uint8_t>(b[at + 2])} << 8) | uint32_t{static_cast<uint8_t>(b[at + 3])};
  };
  const uint64_t keep = body->tree_size / 2;
  ASSERT_GT(keep, 0u);
  crypto::MerkleFrontier frontier;
  size_t at = 0;
  for (uint64_t i = 0; i < keep; ++i) {
    const uint32_t leaf_size = u32(*leaves, at);
    frontier.Append(crypto::LeafHash(std::string_view(*leaves).substr(at + 4, leaf_size)));
    at += 4 + leaf_size;
    at += 4 + u32(*leaves, at);
  }
  ASSERT_THAT(WriteFileAtomically(dir + "/leaves.bin", leaves->substr(0, at), 0600), IsOk());

  const crypto::Ed25519KeyPair forger = crypto::Ed25519KeyPair::Generate();
  crypto::KeyTransition handover{body->origin, std::string(crypto::kCheckpointKeyPurpose), 2,
                                 forger.public_key, response.log_public_key(), body->time_unix_seconds,
                                 uint64_t{1} << 62};
  absl::StatusOr<std::string> note = crypto::SignKeyTransition(handover, forger);
  ASSERT_THAT(note, IsOk());
  response.clear_checkpoint_transitions();
  response.add_checkpoint_transitions(*note);
  crypto::CheckpointBody forged{body->origin, keep, frontier.Root(), body->time_unix_seconds};
  response.mutable_checkpoint()->set_note(
      crypto::SignNote(crypto::FormatCheckpointBody(forged), body->origin, forger));
  response.mutable_checkpoint()->set_tree_size(keep);
  response.mutable_checkpoint()->set_root_hash(crypto::HashToString(forged.root));
  ASSERT_THAT(WriteFileAtomically(dir + "/checkpoint.binpb", response.SerializeAsString(), 0600),
              IsOk());
  EXPECT_THAT(client::AuditVerifyOfflineCommand(auditor_, dir, {}, out, progress),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not vouched for")));
}

// The rotated-away private keys (wrapped) leave every file of the data directory: the keys space
// is compacted after the rotation.
TEST_F(KeyRotationTest, RotatedAwayPrivateKeysLeaveTheDataFiles) {
  auto keys_space = [this]() {
    std::map<std::string, std::string> entries;
    absl::StatusOr<std::unique_ptr<store::RocksDbStore>> store =
        store::RocksDbStore::Open(vault_->data_dir());
    EXPECT_THAT(store, IsOk());
    if (!store.ok()) return entries;
    EXPECT_THAT((*store)->Scan(store::Space::kKeys, "",
                               [&](std::string_view k, std::string_view v) {
                                 entries.emplace(std::string(k), std::string(v));
                                 return true;
                               }),
                IsOk());
    return entries;
  };
  vault_->Stop();
  const std::map<std::string, std::string> before = keys_space();
  ASSERT_THAT(vault_->Restart(), IsOk());
  v1::RotateResponse rotated;
  ASSERT_TRUE(RotateAs("custodian", &rotated).ok());
  vault_->Stop();
  const std::map<std::string, std::string> after = keys_space();
  int deleted = 0;
  for (const auto& [name, wrapped] : before) {
    if (after.count(name) != 0) continue;
    ++deleted;
    for (const std::string& file : FilesBelow(vault_->data_dir())) {
      absl::StatusOr<std::string> bytes = ReadFile(file, 1 << 30);
      if (!bytes.ok()) continue;
      EXPECT_EQ(bytes->find(wrapped), std::string::npos) << name << " in " << file;
    }
  }
  EXPECT_GE(deleted, 3) << "identity, checkpoint and release v1";
  ASSERT_THAT(vault_->Restart(), IsOk());
}

TEST_F(KeyRotationTest, OnlyACustodianRotatesAndARefusalChangesNoKey) {
  v1::RotateResponse rotated;
  const grpc::Status refused = RotateAs("auditor", &rotated);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  std::unique_ptr<client::VaultClient> team = vault_->ClientWith(team_);
  ASSERT_THAT(team->FetchIntakeKey(), IsOk());
  EXPECT_EQ(team->vault_key(), team_.vault_public_key);  // no identity transition happened
  absl::StatusOr<client::VerifiedCheckpoint> checkpoint = AuditorLog()->FetchCheckpoint();
  ASSERT_THAT(checkpoint, IsOk());
  EXPECT_TRUE(checkpoint->checkpoint_transitions.empty());
  EXPECT_TRUE(checkpoint->identity_transitions.empty());
}

}  // namespace
}  // namespace confidant::testing
