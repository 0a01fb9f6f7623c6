// A release drawn as a self-contained SVG horizontal bar chart that can be pasted into a report:
// title, period, one labelled bar per cell, suppressed cells hatched and labelled "<10", and a
// footer stating epsilon and that values are noisy and rounded.
#ifndef CONFIDANT_CLIENT_REPORT_REPORT_CHART_H_
#define CONFIDANT_CLIENT_REPORT_REPORT_CHART_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "confidant/v1/reporting.pb.h"

namespace confidant::report {

// Escapes &, <, >, " and ' for XML text and attribute values; drops control characters XML 1.0
// cannot carry.
std::string XmlEscape(absl::string_view text);

// The SVG document (UTF-8, starting with "<svg").
std::string RenderChartSvg(const v1::Release& release);

// Writes RenderChartSvg(release) to `path` atomically (a temporary file, then rename), mode 0644.
absl::Status WriteChartSvg(const std::string& path, const v1::Release& release);

}  // namespace confidant::report

#endif  // CONFIDANT_CLIENT_REPORT_REPORT_CHART_H_
