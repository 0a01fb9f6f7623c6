// Issue 5's repeat attack at full size (label slow, `make test-slow`): 3000 synthetic persons;
// 1000 release requests from two reporting identities, half before and half after a restart of
// the vault, all get byte-identical releases and leave the ledger unchanged. Averaging repeated
// answers therefore learns nothing; the control (fresh noise per call converges to the truth)
// is tests/reporting/attack_test.cc's AveragingFreshNoiseRecoversTrueCount.
#include <map>

#include "absl/strings/numbers.h"
#include "tests/e2e/reporting_fixture.h"

namespace confidant::testing {
namespace {

class ReportingSlowTest : public ReportingVaultTest {
 protected:
  static void SetUpTestSuite() { StartSeeded(3000); }
};

TEST_F(ReportingSlowTest, AThousandCallsAcrossARestartGetTheSameBytesAndTheLedgerStays) {
  const std::vector<std::pair<std::string, std::string>> asked = {
      {"persons-by-facility", "2026Q1"}, {"persons-by-facility", "2026Q3"},
      {"concern-lacks-medical-care", "2026Q2"}, {"concern-restraints", "2026Q3"}};
  std::map<std::pair<std::string, std::string>, std::string> first;
  for (const auto& key : asked) {
    absl::StatusOr<std::string> bytes = Release(key.first, key.second);
    ASSERT_THAT(bytes, IsOk());
    first[key] = *bytes;
  }
  absl::StatusOr<v1::Ledger> ledger = Ledger();
  ASSERT_THAT(ledger, IsOk());
  constexpr int kCalls = 1000;
  std::unique_ptr<v1::ReportingService::Stub> stubs[2];
  for (int i = 0; i < kCalls; ++i) {
    if (i == kCalls / 2) {
      ASSERT_THAT(vault_->Restart(), IsOk());
    }
    if (i == 0 || i == kCalls / 2) {
      stubs[0] = ReportingAs("reporting");
      stubs[1] = ReportingAs("reporting_2");
    }
    const auto& key = asked[i % asked.size()];
    v1::GetReleaseRequest request;
    request.set_table_id(key.first);
    request.set_period(key.second);
    absl::StatusOr<std::string> bytes = Release(*stubs[i % 2], request);
    ASSERT_THAT(bytes, IsOk()) << "call " << i;
    ASSERT_EQ(*bytes, first[key]) << "call " << i;
  }
  absl::StatusOr<v1::Ledger> after = Ledger();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->head(), ledger->head());
  EXPECT_EQ(after->entries_size(), ledger->entries_size());
}

TEST_F(ReportingSlowTest, NoDisplayedValueLiesBetweenOneAndNine) {
  absl::StatusOr<v1::Catalogue> catalogue = Catalogue();
  ASSERT_THAT(catalogue, IsOk());
  int shown = 0, suppressed = 0;
  for (const v1::CatalogueEntry& table : catalogue->tables()) {
    for (const std::string& period : table.released_periods()) {
      absl::StatusOr<std::string> bytes = Release(table.id(), period);
      ASSERT_THAT(bytes, IsOk());
      v1::SignedRelease signed_release;
      v1::Release release;
      ASSERT_TRUE(signed_release.ParseFromString(*bytes));
      ASSERT_TRUE(release.ParseFromString(signed_release.release()));
      for (const v1::ReleaseCell& cell : release.cells()) {
        if (cell.value() == "<10") {
          ++suppressed;
          continue;
        }
        int64_t value = 0;
        ASSERT_TRUE(absl::SimpleAtoi(cell.value(), &value));
        EXPECT_GE(value, 10);
        EXPECT_EQ(value % 5, 0);
        ++shown;
      }
    }
  }
  EXPECT_GT(shown, 30) << "3000 persons fill the large facilities' cells";
  EXPECT_GE(shown + suppressed, 3 * (10 + 9 * 2));
}

}  // namespace
}  // namespace confidant::testing
