// The coverage rule end to end (issue: a signed policy could crypto-shred testimony): a validly
// signed policy that lets no role read a section is refused at start and at unseal, as at
// reload (tests/e2e/policy_wraps_test.cc); the vault does not serve under it, and a good policy
// opens it again with every record intact.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/policy_helpers.h"
#include "tests/e2e/production_vault.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

class SectionCoverageTest : public ProductionVaultTest {
 protected:
  std::string DevPolicy() const {
    absl::StatusOr<std::string> text = ReadFile(DevPolicyPath(*dev_));
    EXPECT_THAT(text, IsOk());
    return text.ok() ? *text : "";
  }
  // The dev policy at `version`, with LEGAL taken from every role that reads it.
  std::string Orphaning(const std::string& good, int version) const {
    std::string text = absl::StrReplaceAll(
        good, {{"\nversion: 1\n", absl::StrCat("\nversion: ", version, "\n")}, {", LEGAL]", "]"},
               {"LEGAL, ", ""}});
    return text;
  }
  void Install(const std::string& text) {
    absl::StatusOr<std::string> signatures = SignedByDevKeys(*dev_, text, {1, 2});
    ASSERT_THAT(signatures, IsOk());
    ASSERT_THAT(InstallDevPolicy(*dev_, text, *signatures), IsOk());
  }
};

TEST_F(SectionCoverageTest, AStartUnderAPolicyLeavingASectionUnreadIsRefused) {
  const std::string good = DevPolicy();
  ASSERT_THAT(good, HasSubstr("LEGAL"));
  Install(Orphaning(good, 1));
  Daemon daemon;
  LaunchProduction(daemon, {});
  EXPECT_LE(daemon.pid, 0) << "it must not serve";
  EXPECT_THAT(daemon.log(), HasSubstr("no role may read the legal section"));
}

TEST_F(SectionCoverageTest, AnUnsealUnderAPolicyLeavingASectionUnreadLeavesTheVaultSealed) {
  const std::string good = DevPolicy();
  std::vector<std::string> shares;
  InitAndStop(3, 2, shares);
  ASSERT_EQ(shares.size(), 3u);

  Daemon daemon;
  StartProduction(daemon);  // sealed, under the good policy
  Install(Orphaning(good, 2));  // put in place while sealed, as by a restart's admin
  ASSERT_TRUE(Unseal(shares[0]).ok());
  const grpc::Status unsealed = Unseal(shares[1]);
  EXPECT_FALSE(unsealed.ok());
  EXPECT_THAT(unsealed.error_message(), HasSubstr("no role may read the legal section"));
  v1::VaultStatus status;
  ASSERT_TRUE(Status(&status).ok());
  EXPECT_TRUE(status.sealed()) << "the vault serves nothing under that policy";
  EXPECT_EQ(ListCode(), grpc::StatusCode::FAILED_PRECONDITION);

  // The same version, fixed: the vault opens.
  Install(absl::StrReplaceAll(good, {{"\nversion: 1\n", "\nversion: 2\n"}}));
  ASSERT_TRUE(Unseal(shares[0]).ok());
  ASSERT_TRUE(Status(&status).ok());
  if (status.sealed()) {
    ASSERT_TRUE(Unseal(shares[1]).ok());
  }
  ASSERT_TRUE(Status(&status).ok());
  EXPECT_FALSE(status.sealed());
  EXPECT_EQ(ListCode(), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace confidant::testing
