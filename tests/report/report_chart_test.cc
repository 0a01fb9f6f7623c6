#include "client/report/report_chart.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "base/files.h"
#include "client/report/report_render.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/report/sample_release.h"

namespace confidant::report {
namespace {

using ::confidant::report::testing::SampleRelease;
using ::testing::HasSubstr;
using ::testing::Not;

// Checks that every element opened is closed in order (self-closing tags count as both), and
// that no raw '<' or '&' appears in text. Enough for the SVG we emit; not a full XML parser.
bool WellFormed(const std::string& xml) {
  std::vector<std::string> open;
  size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] == '&') {
      const size_t semi = xml.find(';', i);
      if (semi == std::string::npos || semi - i > 6) return false;
      i = semi + 1;
      continue;
    }
    if (xml[i] != '<') {
      ++i;
      continue;
    }
    const size_t end = xml.find('>', i);
    if (end == std::string::npos) return false;
    std::string tag = xml.substr(i + 1, end - i - 1);
    if (tag.find('<') != std::string::npos) return false;
    if (tag.front() == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return false;
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
    i = end + 1;
  }
  return open.empty();
}

TEST(ChartTest, StartsWithSvgAndIsWellFormed) {
  const std::string svg = RenderChartSvg(SampleRelease());
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_TRUE(WellFormed(svg)) << svg;
  EXPECT_THAT(svg, HasSubstr("</svg>"));
}

TEST(ChartTest, ContainsTitlePeriodAndEveryCellLabel) {
  const v1::Release release = SampleRelease();
  const std::string svg = RenderChartSvg(release);
  EXPECT_THAT(svg, HasSubstr("Persons interviewed by facility"));
  EXPECT_THAT(svg, HasSubstr("2026Q3"));
  EXPECT_THAT(svg, HasSubstr("on-tor-ihc · 2026Q3"));
  EXPECT_THAT(svg, HasSubstr("on-pooled · 2026Q3"));
  EXPECT_THAT(svg, HasSubstr("125 (35%)"));
}

TEST(ChartTest, LabelsAreXmlEscaped) {
  const std::string svg = RenderChartSvg(SampleRelease());
  EXPECT_THAT(svg, HasSubstr("A&lt;&amp;&quot;B&apos; · 2026Q3"));
  EXPECT_THAT(svg, Not(HasSubstr("A<&")));
}

TEST(ChartTest, XmlEscapeHandlesEveryMetacharacterAndDropsControls) {
  EXPECT_EQ(XmlEscape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
  EXPECT_EQ(XmlEscape(std::string("a\x01" "b\x1f" "c", 5)), "abc");
}

TEST(ChartTest, SuppressedCellIsHatchedAndLabelledUnderTen) {
  const std::string svg = RenderChartSvg(SampleRelease());
  EXPECT_THAT(svg, HasSubstr("<pattern id=\"hatch\""));
  EXPECT_THAT(svg, HasSubstr("fill=\"url(#hatch)\""));
  EXPECT_THAT(svg, HasSubstr(">&lt;10</text>"));
}

TEST(ChartTest, FooterStatesEpsilonAndNoisyRoundedValues) {
  const std::string svg = RenderChartSvg(SampleRelease());
  EXPECT_THAT(svg, HasSubstr("epsilon 0.25"));
  EXPECT_THAT(svg, HasSubstr("values are noisy, rounded to 5"));
}

TEST(ChartTest, EmptyReleaseStillWellFormed) {
  v1::Release release = SampleRelease();
  release.clear_cells();
  EXPECT_TRUE(WellFormed(RenderChartSvg(release)));
}

TEST(ChartTest, WriteChartReplacesTheFileWhole) {
  const std::string path = ::testing::TempDir() + "/chart_" + std::to_string(::getpid()) + ".svg";
  ASSERT_TRUE(WriteFileAtomically(path, "old", 0644).ok());
  ASSERT_TRUE(WriteChartSvg(path, SampleRelease()).ok());
  absl::StatusOr<std::string> written = ReadFile(path);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, RenderChartSvg(SampleRelease()));
  EXPECT_EQ(::access((path + ".tmp").c_str(), F_OK), -1);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace confidant::report
