#include "client/report/report_chart.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "client/report/report_render.h"

namespace confidant::report {
namespace {

constexpr int kWidth = 880;
constexpr int kRowHeight = 24;
constexpr int kBarHeight = 16;
constexpr int kTop = 76;       // first bar row
constexpr int kValueRoom = 80;  // right of the longest bar, for its value label
constexpr int kCharWidth = 7;   // rough width of a 12px sans-serif character

int LabelColumnWidth(const v1::Release& release) {
  size_t longest = 0;
  for (const v1::ReleaseCell& cell : release.cells()) {
    longest = std::max(longest, CellLabel(cell).size());
  }
  return std::clamp(static_cast<int>(longest) * kCharWidth + 16, 120, 420);
}

std::string Text(int x, int y, absl::string_view anchor, absl::string_view style,
                 absl::string_view content) {
  return absl::StrCat("  <text x=\"", x, "\" y=\"", y, "\" text-anchor=\"", anchor, "\" ", style,
                      ">", XmlEscape(content), "</text>\n");
}

std::string Bar(const v1::ReleaseCell& cell, int row, int left, int bar_room, int64_t max_value) {
  const int y = kTop + row * kRowHeight;
  // A suppressed cell is drawn up to its bound (10), hatched and outlined: "somewhere under 10".
  const int64_t value = cell.suppressed() ? 10 : std::max<int64_t>(cell.rounded(), 0);
  const int width = std::max(1, static_cast<int>(value * bar_room / max_value));
  std::string out = Text(left - 8, y + 12, "end", "class=\"label\"", CellLabel(cell));
  absl::StrAppend(&out, "  <rect x=\"", left, "\" y=\"", y, "\" width=\"", width,
                  "\" height=\"", kBarHeight, "\" ",
                  cell.suppressed() ? "fill=\"url(#hatch)\" stroke=\"#777\" stroke-dasharray=\"3 2\""
                                    : "fill=\"#2f6fa7\"",
                  "/>\n");
  const std::string value_text = cell.suppressed() ? "<10" : cell.value();
  const std::string shown =
      cell.share().empty() ? value_text : absl::StrCat(value_text, " (", cell.share(), ")");
  absl::StrAppend(&out, Text(left + width + 6, y + 12, "start", "class=\"value\"", shown));
  return out;
}

}  // namespace

std::string XmlEscape(absl::string_view text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n') escaped += c;
    }
  }
  return escaped;
}

std::string RenderChartSvg(const v1::Release& release) {
  const int left = LabelColumnWidth(release);
  const int bar_room = kWidth - left - kValueRoom - 20;
  int64_t max_value = 10;
  for (const v1::ReleaseCell& cell : release.cells()) {
    if (!cell.suppressed()) max_value = std::max(max_value, cell.rounded());
  }
  const int footer = kTop + release.cells_size() * kRowHeight + 20;
  const int height = footer + 40;
  const std::string title = absl::StrCat(release.title(), " — ", release.period());
  std::string svg = absl::StrCat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", kWidth, "\" height=\"", height,
      "\" viewBox=\"0 0 ", kWidth, " ", height, "\" font-family=\"sans-serif\">\n",
      "  <title>", XmlEscape(title), "</title>\n",
      "  <defs>\n    <pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(45)\">\n      <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" "
      "stroke=\"#999\" stroke-width=\"2\"/>\n    </pattern>\n  </defs>\n",
      "  <style>.label{font-size:12px;fill:#222}.value{font-size:12px;fill:#222}"
      ".title{font-size:16px;font-weight:bold;fill:#111}.note{font-size:11px;fill:#555}</style>\n",
      "  <rect x=\"0\" y=\"0\" width=\"", kWidth, "\" height=\"", height, "\" fill=\"#fff\"/>\n");
  absl::StrAppend(&svg, Text(16, 28, "start", "class=\"title\"", title));
  absl::StrAppend(&svg, Text(16, 50, "start", "class=\"note\"",
                             absl::StrCat(release.measure(), " · period ", release.period(),
                                          " · release version ", release.version())));
  for (int i = 0; i < release.cells_size(); ++i) {
    absl::StrAppend(&svg, Bar(release.cells(i), i, left, bar_room, max_value));
  }
  absl::StrAppend(
      &svg, Text(16, footer, "start", "class=\"note\"",
                 absl::StrCat("epsilon ", EpsilonText(release.epsilon_millis()), " · K = ",
                              release.max_pseudonyms_per_person(),
                              " · values are noisy, rounded to 5 · \"<10\": under 10 after noise")));
  absl::StrAppend(
      &svg, Text(16, footer + 18, "start", "class=\"note\"",
                 absl::StrCat("95%: the true count is within +-", release.interval95(),
                              " of the noisy value · Confidant de-identified release")));
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

absl::Status WriteChartSvg(const std::string& path, const v1::Release& release) {
  return WriteFileAtomically(path, RenderChartSvg(release), 0644);
}

}  // namespace confidant::report
