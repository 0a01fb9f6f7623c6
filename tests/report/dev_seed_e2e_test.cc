// `confidant dev seed` against a real confidantd --dev: every synthetic record goes through the
// sealed submit path and is stored, and the summary counts what the generator made.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/synthetic_population.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "base/files.h"
#include "pki/certificates.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

// Last year and this one: the quarters not yet begun are skipped by the generator.
std::string RecentQuarters() {
  const int64_t year = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()).year();
  return absl::StrCat(year - 1, "Q1..", year, "Q4");
}

TEST(DevSeedTest, SubmitsEveryGeneratedRecordAsTheBenchVisitTeam) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::Start();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  const CommandResult seeded =
      RunCommand({CONFIDANT_CLI_PATH, "--identity", vault.identity_dir("bench_visit_team"),
                  "--server", vault.address(), "dev", "seed", "--persons", "40", "--quarters",
                  RecentQuarters(), "--seed", "5"});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;

  client::SeedOptions options;
  options.persons = 40;
  options.quarters = *client::ParseQuarterRange(RecentQuarters());
  options.seed = 5;
  options.today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  absl::StatusOr<client::SyntheticPopulation> expected = client::SyntheticRecords(options);
  ASSERT_THAT(expected, IsOk());
  const size_t n = expected->records.size();
  EXPECT_THAT(seeded.out, HasSubstr(absl::StrCat("seeded ", n, " records for 40 persons")));
  EXPECT_THAT(seeded.err, HasSubstr(absl::StrCat("seeded ", n, "/", n, " records")));

  auto reader = vault.ClientAs("case_officer");
  v1::ListRecordsRequest request;
  request.set_page_size(1000);
  size_t listed = 0;
  for (;;) {
    absl::StatusOr<v1::ListRecordsResponse> page = reader->List(request);
    ASSERT_THAT(page, IsOk());
    listed += static_cast<size_t>(page->records_size());
    if (page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  EXPECT_EQ(listed, n);
}

TEST(DevSeedTest, AFailedSubmissionStopsTheRunWithExitOne) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::Start();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  // An auditor may not submit: the first submission fails and the run stops.
  const CommandResult refused =
      RunCommand({CONFIDANT_CLI_PATH, "--identity", vault.identity_dir("auditor"), "--server",
                  vault.address(), "dev", "seed", "--persons", "5", "--quarters",
                  RecentQuarters()});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("seeded 0/"));
  EXPECT_THAT(refused.err, HasSubstr("submission 1 of"));
}

// Synthetic records never reach a real vault: an identity that is not a dev one is refused
// before anything is sent, even one the vault would accept.
TEST(DevSeedTest, OnlyADevIdentityMaySeed) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::Start();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  absl::StatusOr<pki::KeyAndCertificate> ca = LoadDevCa(vault);
  ASSERT_THAT(ca, IsOk());
  absl::StatusOr<pki::KeyAndCertificate> leaf =
      pki::IssueCertificate(*ca, ClientSpec({"spiffe://programme.example/visit/alice"}));
  ASSERT_THAT(leaf, IsOk());
  const std::string dir = vault.root() + "/alice";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(vault.identity_dir("bench_visit_team") + "/ca.crt", dir + "/ca.crt");
  std::filesystem::copy_file(vault.identity_dir("bench_visit_team") + "/vault.pub", dir + "/vault.pub");
  ASSERT_THAT(WriteFileAtomically(dir + "/client.crt", leaf->certificate_pem, 0644), IsOk());
  ASSERT_THAT(WriteFileAtomically(dir + "/client.key", leaf->private_key_pem, 0600), IsOk());
  const CommandResult refused =
      RunCommand({CONFIDANT_CLI_PATH, "--identity", dir, "--server", vault.address(), "dev",
                  "seed", "--persons", "5", "--quarters", RecentQuarters()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("dev identity only"));
}

}  // namespace
}  // namespace confidant::testing
