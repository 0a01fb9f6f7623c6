// WitnessedVaultTest: a real confidantd (--dev) pushing its checkpoints to one real
// confidant-witness pinned to its log. The vault's flags come from a flag file so that the
// witness (which needs the log's origin and key) can be added after the first start.
#ifndef CONFIDANT_TESTS_E2E_WITNESSED_VAULT_H_
#define CONFIDANT_TESTS_E2E_WITNESSED_VAULT_H_

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "base/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {

class WitnessedVaultTest : public ::testing::Test {
 protected:
  explicit WitnessedVaultTest(std::string witness_name) : witness_name_(std::move(witness_name)) {}

  void SetUp() override {
    char pattern[] = "/tmp/confidant-wv-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    tmp_ = pattern;
    const std::string flags = tmp_ + "/vault.flags";
    ASSERT_THAT(WriteFileAtomically(flags, "--max_connection_age=300\n", 0600), IsOk());
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault =
        VaultProcess::Start({"--flagfile=" + flags});
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    absl::StatusOr<LogPin> pin = ParseLogPin(vault_->log());
    ASSERT_THAT(pin, IsOk());
    pin_ = *pin;
    absl::StatusOr<std::unique_ptr<WitnessProcess>> witness =
        WitnessProcess::Start(witness_name_, pin_, vault_->dev_dir());
    ASSERT_THAT(witness, IsOk());
    witness_ = *std::move(witness);
    ASSERT_THAT(WriteFileAtomically(flags, witness_->VaultFlag() + "\n", 0600), IsOk());
    ASSERT_THAT(vault_->Restart(), IsOk());
  }

  void TearDown() override {
    vault_.reset();
    witness_.reset();
    std::error_code ec;
    if (!tmp_.empty()) std::filesystem::remove_all(tmp_, ec);
  }

  const std::string witness_name_;
  std::string tmp_;
  std::unique_ptr<VaultProcess> vault_;
  std::unique_ptr<WitnessProcess> witness_;
  LogPin pin_;  // the log's origin and first checkpoint key, as the witness pins them
};

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_WITNESSED_VAULT_H_
