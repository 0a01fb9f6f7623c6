// A witness makes a rolled-back, restarted or forked audit log visible (docs/ARCHITECTURE.md "Audit log",
// threat 5): a real confidantd pushes its checkpoints to a real confidant-witness over mTLS; when
// the operator puts an old or empty data directory in place, the witness refuses to cosign and
// clients that kept the last checkpoint they saw report DATA_LOSS.
#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "client/audit_commands.h"
#include "client/audit_export.h"
#include "client/log_client.h"
#include "crypto/asymmetric.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/e2e/witnessed_vault.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Lt;
using ::testing::Ne;
using ::testing::StartsWith;

constexpr char kWitnessName[] = "witness.test/rollback";

class WitnessRollbackTest : public WitnessedVaultTest {
 protected:
  WitnessRollbackTest() : WitnessedVaultTest(kWitnessName) {}

  // Submits `count` records as the visit team; the log size the last receipt vouches for.
  uint64_t Submit(int count) {
    uint64_t size = 0;
    for (int i = 0; i < count; ++i) {
      absl::StatusOr<v1::SubmitRecordResponse> receipt =
          vault_->ClientAs("visit_team")
              ->Submit(SyntheticRecord("witnessed"),
                       absl::StrCat("witness-rollback-", ++submissions_));
      EXPECT_THAT(receipt, IsOk());
      if (receipt.ok()) size = receipt->audit_index() + 1;
    }
    return size;
  }

  // A log client of `role`'s dev identity as it is on disk now; `state` = "" keeps no state.
  std::unique_ptr<client::LogClient> LogAs(const std::string& role, const std::string& state) {
    std::unique_ptr<client::VaultClient> c = vault_->ClientAs(role);
    if (c == nullptr) return nullptr;
    return std::make_unique<client::LogClient>(c->channel(), c->identity(), state);
  }

  absl::StatusOr<client::VerifiedCheckpoint> WaitCosigned(uint64_t min_size) {
    return WaitForCosigned(*LogAs("auditor", ""), witness_->Trusted(), min_size);
  }

  // `confidant audit verify` as the auditor, requiring `witness`'s cosignature.
  absl::Status VerifyWith(const client::TrustedWitness& witness, std::string* out = nullptr) {
    std::ostringstream lines, progress;
    absl::Status status =
        client::AuditVerifyCommand(*LogAs("auditor", ""), {witness}, lines, progress);
    if (out != nullptr) *out = lines.str();
    return status;
  }

  // Stops the vault, puts a copy of `saved` (or nothing) in place of its data directory and
  // starts it again. Returns where the vault's output of the new run begins.
  size_t ReplaceDataAndRestart(const std::string& saved) {
    vault_->Stop();
    const size_t mark = vault_->log().size();
    std::filesystem::remove_all(vault_->data_dir());
    if (!saved.empty()) {
      std::filesystem::copy(saved, vault_->data_dir(), std::filesystem::copy_options::recursive);
    }
    EXPECT_THAT(vault_->Restart(), IsOk());
    return mark;
  }

  std::string SaveData(const std::string& name) {
    vault_->Stop();
    const std::string saved = tmp_ + "/" + name;
    std::filesystem::copy(vault_->data_dir(), saved, std::filesystem::copy_options::recursive);
    EXPECT_THAT(vault_->Restart(), IsOk());
    return saved;
  }

  // Polls (up to 10 s) until the vault's output after `mark` matches `regex`; returns that output.
  std::string WaitForLog(size_t mark, const std::string& regex) {
    std::string since;
    for (int i = 0; i < 100; ++i) {
      since = vault_->log().substr(mark);
      if (::testing::Matches(ContainsRegex(regex))(since)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return since;
  }

  // The real `confidant` CLI as `role`, e.g. Cli("auditor", "audit", "verify").
  CommandResult Cli(const std::string& role, const std::string& command,
                    const std::string& operand = "") {
    std::vector<std::string> args = {CONFIDANT_CLI_PATH,         "--identity",
                                     vault_->identity_dir(role), "--server",
                                     vault_->address(),          command};
    if (!operand.empty()) args.push_back(operand);
    return RunCommand(args);
  }

  CommandResult CliArgs(const std::string& role, const std::vector<std::string>& words) {
    std::vector<std::string> args = {CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir(role),
                                     "--server", vault_->address()};
    args.insert(args.end(), words.begin(), words.end());
    return RunCommand(args);
  }

  int submissions_ = 1000;
};

TEST_F(WitnessRollbackTest, CheckpointIsCosignedAndVerifiesOnlyWithTheWitnessKey) {
  const uint64_t size = Submit(1);
  absl::StatusOr<client::VerifiedCheckpoint> cosigned = WaitCosigned(size);
  ASSERT_THAT(cosigned, IsOk());
  EXPECT_EQ(cosigned->body.origin, pin_.origin);

  std::string out;
  EXPECT_THAT(VerifyWith(witness_->Trusted(), &out), IsOk());
  EXPECT_THAT(out, StartsWith("verified "));

  const std::string other_key = crypto::Ed25519KeyPair::Generate().public_key;
  EXPECT_THAT(VerifyWith({kWitnessName, other_key}, &out),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(kWitnessName)));
  EXPECT_THAT(out, HasSubstr("NOT verified"));
  EXPECT_THAT(VerifyWith({"witness.test/other", witness_->public_key()}),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // An export keeps the cosignature: offline verification can require the witness too.
  std::ostringstream lines, progress;
  const std::string dir = tmp_ + "/export";
  ASSERT_THAT(client::AuditExportCommand(*LogAs("auditor", ""), dir, lines, progress), IsOk());
  absl::StatusOr<client::ClientIdentity> identity =
      client::ClientIdentity::Load(vault_->identity_dir("auditor"));
  ASSERT_THAT(identity, IsOk());
  EXPECT_THAT(
      client::AuditVerifyOfflineCommand(*identity, dir, {witness_->Trusted()}, lines, progress),
      IsOk());
  EXPECT_THAT(client::AuditVerifyOfflineCommand(*identity, dir, {{kWitnessName, other_key}}, lines,
                                                progress),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(WitnessRollbackTest, RolledBackDataIsRefusedByWitnessAndDetectedByClients) {
  ASSERT_THAT(WaitCosigned(Submit(1)), IsOk());
  const std::string old_data = SaveData("data-old");
  // The log grows well past the saved copy, and a case officer sees it grow.
  const uint64_t newer = Submit(6);
  ASSERT_THAT(WaitCosigned(newer), IsOk());
  const std::string officer_state = tmp_ + "/officer-checkpoint";
  absl::StatusOr<client::VerifiedCheckpoint> held = LogAs("case_officer", officer_state)->Refresh();
  ASSERT_THAT(held, IsOk());
  ASSERT_GE(held->body.tree_size, newer);
  const CommandResult listed = Cli("case_officer", "list");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const CommandResult verified = Cli("auditor", "audit", "verify");
  ASSERT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  // Operator, policy and export commands keep the newest checkpoint too (issue 13, item 5).
  const CommandResult status = Cli("custodian", "operator", "status");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const CommandResult exported = CliArgs("auditor", {"audit", "export", tmp_ + "/export-before"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;

  const size_t mark = ReplaceDataAndRestart(old_data);

  // A client that kept its last checkpoint reports the rollback, library and CLI alike.
  EXPECT_THAT(LogAs("case_officer", officer_state)->Refresh(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("rollback")));
  const CommandResult after = Cli("case_officer", "list");
  EXPECT_NE(after.exit_code, 0);
  EXPECT_THAT(after.err, HasSubstr("the vault's audit log failed this client's check: rollback"));
  const CommandResult audited = Cli("auditor", "audit", "verify");
  EXPECT_NE(audited.exit_code, 0);
  EXPECT_THAT(audited.out + audited.err, HasSubstr("rollback"));
  for (const CommandResult& later :
       {Cli("custodian", "operator", "status"),
        CliArgs("auditor", {"audit", "export", tmp_ + "/export-after"})}) {
    EXPECT_NE(later.exit_code, 0);
    EXPECT_THAT(later.err, HasSubstr("rollback"));
  }

  // The witness refuses the smaller tree, so nothing the vault serves is cosigned any more.
  EXPECT_THAT(WaitForLog(mark, "witness_refused[^\n]*code=(9|15)"),
              ContainsRegex("witness_refused[^\n]*code=(9|15)"));
  absl::StatusOr<client::VerifiedCheckpoint> served = LogAs("auditor", "")->FetchCheckpoint();
  ASSERT_THAT(served, IsOk());
  EXPECT_THAT(served->body.tree_size, Lt(held->body.tree_size));
  EXPECT_THAT(crypto::VerifyCosignature(served->note, kWitnessName, witness_->public_key()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(VerifyWith(witness_->Trusted()), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(WitnessRollbackTest, WipedLogRestartsUnderNewOriginAndIsRefused) {
  ASSERT_THAT(WaitCosigned(Submit(2)), IsOk());
  const std::string state = tmp_ + "/auditor-checkpoint";
  ASSERT_THAT(LogAs("auditor", state)->Refresh(), IsOk());
  const client::ClientIdentity pinned = vault_->ClientAs("auditor")->identity();  // old vault.pub

  const size_t mark = ReplaceDataAndRestart("");

  absl::StatusOr<LogPin> pin = ParseLogPin(vault_->log().substr(mark));
  ASSERT_THAT(pin, IsOk());
  EXPECT_THAT(pin->origin, Ne(pin_.origin));
  EXPECT_THAT(WaitForLog(mark, "witness_refused"), HasSubstr("witness_refused"));
  EXPECT_THAT(VerifyWith(witness_->Trusted()), StatusIs(absl::StatusCode::kUnauthenticated));
  // A client still pinning the old vault key rejects the new log key outright; one that took the
  // new vault.pub (dev rewrites it) still sees that the log it knew is gone.
  std::unique_ptr<client::VaultClient> old_pin = vault_->ClientWith(pinned);
  ASSERT_NE(old_pin, nullptr);
  EXPECT_THAT(client::LogClient(old_pin->channel(), pinned, state).Refresh(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(LogAs("auditor", state)->Refresh(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("another origin")));
}

TEST_F(WitnessRollbackTest, ForkedLogIsRefusedByWitnessAndDetectedByClients) {
  ASSERT_THAT(WaitCosigned(Submit(1)), IsOk());
  const std::string fork_point = SaveData("data-fork-point");
  // Branch one: the witness and a case officer see it.
  ASSERT_THAT(WaitCosigned(Submit(2)), IsOk());
  const std::string officer_state = tmp_ + "/officer-checkpoint";
  absl::StatusOr<client::VerifiedCheckpoint> held = LogAs("case_officer", officer_state)->Refresh();
  ASSERT_THAT(held, IsOk());

  // Branch two: the same prefix, extended differently until it is longer than branch one.
  const size_t mark = ReplaceDataAndRestart(fork_point);
  uint64_t size = 0;
  for (int i = 0; i < 30 && size <= held->body.tree_size; ++i) size = Submit(1);
  ASSERT_GT(size, held->body.tree_size);

  EXPECT_THAT(WaitForLog(mark, "witness_refused[^\n]*code=15"),
              ContainsRegex("witness_refused[^\n]*code=15"));
  EXPECT_THAT(LogAs("case_officer", officer_state)->Refresh(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("fork")));
  EXPECT_THAT(VerifyWith(witness_->Trusted()), StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace confidant::testing
