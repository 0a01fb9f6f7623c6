// SharedVaultTest: one real confidantd --dev for every test of a suite, started once (tests use
// distinct submission ids, so they do not see each other's records). Header-only.
#ifndef CONFIDANT_TESTS_E2E_SHARED_VAULT_TEST_H_
#define CONFIDANT_TESTS_E2E_SHARED_VAULT_TEST_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {

class SharedVaultTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = vault->release();
  }
  void SetUp() override { ASSERT_NE(vault_, nullptr) << "the vault did not start"; }
  static void TearDownTestSuite() {
    delete vault_;
    vault_ = nullptr;
  }

  // A new SyntheticRecord (Quebec) with `text` in every free-text field, submitted by the dev
  // visit team; its id, or "" (and a test failure) if the submission failed.
  static std::string SubmitRecord(const std::string& text, const std::string& submission_id) {
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        vault_->ClientAs("visit_team")->Submit(SyntheticRecord(text), submission_id);
    EXPECT_THAT(submitted, IsOk());
    return submitted.ok() ? submitted->record_id() : "";
  }

  static inline VaultProcess* vault_ = nullptr;
};

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_SHARED_VAULT_TEST_H_
