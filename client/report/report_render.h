// Text renderings of what the reporting service returns: a release as a table, CSV or JSON, the
// catalogue and the privacy ledger. Pure functions of their input; nothing here is secret.
#ifndef CONFIDANT_CLIENT_REPORT_REPORT_RENDER_H_
#define CONFIDANT_CLIENT_REPORT_REPORT_RENDER_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "confidant/v1/reporting.pb.h"

namespace confidant::report {

// 250 -> "0.25", 55 -> "0.055", 1000 -> "1".
std::string EpsilonText(uint32_t epsilon_millis);

// A cell's labels joined with " · ".
std::string CellLabel(const v1::ReleaseCell& cell);

// An aligned table: one column per dimension, then value and share, then a footer with epsilon,
// K, the noise scale, the 95% interval, the version and period, and how to read it.
void RenderReleaseTable(const v1::Release& release, std::ostream& out);

// A header row (the dimensions, value, share, suppressed) then one row per cell (RFC 4180).
void RenderReleaseCsv(const v1::Release& release, std::ostream& out);

// One JSON object with fixed key order; strings escaped per RFC 8259.
void RenderReleaseJson(const v1::Release& release, std::ostream& out);

// Renders `release` as "table", "csv" or "json"; INVALID_ARGUMENT for another format.
absl::Status RenderRelease(const v1::Release& release, absl::string_view format,
                           std::ostream& out);

// The tables (id, title, dimensions, measure, period, epsilon, released periods), then K, the
// cap, the catalogue's worst case and the release key.
void RenderCatalogue(const v1::Catalogue& catalogue, std::ostream& out);

// One line per ledger entry, then the head (hex) and the cap.
void RenderLedger(const v1::Ledger& ledger, std::ostream& out);

// JSON string escaping (without the quotes).
std::string JsonEscape(absl::string_view text);

}  // namespace confidant::report

#endif  // CONFIDANT_CLIENT_REPORT_REPORT_RENDER_H_
