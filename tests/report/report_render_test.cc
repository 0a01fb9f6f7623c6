#include "client/report/report_render.h"

#include <sstream>
#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/report/sample_release.h"
#include "tests/testing/status_matchers.h"

namespace confidant::report {
namespace {

using ::confidant::report::testing::SampleRelease;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Render(absl::string_view format) {
  std::ostringstream out;
  EXPECT_TRUE(RenderRelease(SampleRelease(), format, out).ok());
  return out.str();
}

TEST(EpsilonTextTest, ThousandthsWithoutTrailingZeros) {
  EXPECT_EQ(EpsilonText(250), "0.25");
  EXPECT_EQ(EpsilonText(55), "0.055");
  EXPECT_EQ(EpsilonText(1000), "1");
  EXPECT_EQ(EpsilonText(3980), "3.98");
  EXPECT_EQ(EpsilonText(0), "0");
}

TEST(RenderTableTest, ShowsEveryCellWithLabelsValueAndShare) {
  const std::string table = Render("table");
  EXPECT_THAT(table, HasSubstr("Persons interviewed by facility"));
  EXPECT_THAT(table, HasSubstr("on-tor-ihc"));
  EXPECT_THAT(table, HasSubstr("125"));
  EXPECT_THAT(table, HasSubstr("35%"));
  EXPECT_THAT(table, HasSubstr("<10"));
}

TEST(RenderTableTest, FooterStatesEpsilonKNoiseIntervalVersionAndPeriod) {
  const std::string table = Render("table");
  EXPECT_THAT(table, HasSubstr("epsilon 0.25"));
  EXPECT_THAT(table, HasSubstr("K = 3"));
  EXPECT_THAT(table, HasSubstr("noise scale 12"));
  EXPECT_THAT(table, HasSubstr("true count within +-36 of the noisy value, 95%"));
  EXPECT_THAT(table, HasSubstr("release version 1"));
  EXPECT_THAT(table, HasSubstr("period 2026Q3"));
  EXPECT_THAT(table, HasSubstr("How to read"));
}

TEST(RenderCsvTest, HeaderThenOneRowPerCellWithQuoting) {
  const std::string csv = Render("csv");
  std::vector<std::string> rows = absl::StrSplit(csv, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], "facility,quarter,value,share,suppressed");
  EXPECT_EQ(rows[1], "on-tor-ihc,2026Q3,125,35%,false");
  EXPECT_EQ(rows[2], "on-pooled,2026Q3,<10,,true");
  EXPECT_EQ(rows[3], "\"A<&\"\"B'\",2026Q3,40,,false");
}

TEST(RenderJsonTest, StableObjectWithEscapedStrings) {
  const std::string json = Render("json");
  EXPECT_EQ(json.front(), '{');
  EXPECT_THAT(json, HasSubstr("\"table_id\": \"persons_by_facility_quarter\""));
  EXPECT_THAT(json, HasSubstr("\"epsilon\": \"0.25\""));
  EXPECT_THAT(json, HasSubstr("\"interval95\": 36"));
  EXPECT_THAT(json, HasSubstr("{\"labels\": [\"on-pooled\", \"2026Q3\"], \"value\": \"<10\", "
                              "\"share\": \"\", \"suppressed\": true, \"rounded\": 0}"));
  EXPECT_THAT(json, HasSubstr("[\"A<&\\\"B'\", \"2026Q3\"]"));
  EXPECT_EQ(json, Render("json"));  // stable
}

TEST(RenderJsonTest, EscapesControlCharactersAndBackslashes) {
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
}

TEST(RenderReleaseTest, UnknownFormatIsRefused) {
  std::ostringstream out;
  EXPECT_THAT(RenderRelease(SampleRelease(), "xml", out),
              confidant::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(out.str().empty());
}

TEST(RenderCatalogueTest, ListsTablesAndBudget) {
  v1::Catalogue catalogue;
  v1::CatalogueEntry* table = catalogue.add_tables();
  table->set_id("medical_by_region_year");
  table->set_title("Medical care by region");
  table->add_dimensions("region");
  table->add_dimensions("answer");
  table->set_measure("persons with concern lacks_medical_care");
  table->set_period("year");
  table->set_epsilon_millis(500);
  table->add_released_periods("2026");
  catalogue.set_max_pseudonyms_per_person(3);
  catalogue.set_epsilon_cap_millis(4000);
  catalogue.set_worst_case_epsilon_millis(3980);
  std::ostringstream out;
  RenderCatalogue(catalogue, out);
  EXPECT_THAT(out.str(), HasSubstr("medical_by_region_year  Medical care by region"));
  EXPECT_THAT(out.str(), HasSubstr("region, answer"));
  EXPECT_THAT(out.str(), HasSubstr("epsilon 0.5"));
  EXPECT_THAT(out.str(), HasSubstr("released: 2026"));
  EXPECT_THAT(out.str(), HasSubstr("K = 3"));
  EXPECT_THAT(out.str(), HasSubstr("worst case 3.98"));
}

TEST(RenderLedgerTest, ListsEntriesAndHexHead) {
  v1::Ledger ledger;
  v1::LedgerEntry* entry = ledger.add_entries();
  entry->set_table_id("persons_by_facility_quarter");
  entry->set_period("2026Q3");
  entry->set_version(1);
  entry->set_epsilon_millis(250);
  entry->set_kind("release");
  entry->set_release_hash(std::string(32, '\x01'));
  ledger.set_head(std::string(32, '\xab'));
  std::ostringstream out;
  RenderLedger(ledger, out);
  EXPECT_THAT(out.str(), HasSubstr("#0  release  persons_by_facility_quarter  2026Q3  v1"));
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "ab";
  EXPECT_THAT(out.str(), HasSubstr("head " + hex));
  EXPECT_THAT(out.str(), Not(HasSubstr("\xab")));
}

}  // namespace
}  // namespace confidant::report
