#include "client/report/report_render.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace confidant::report {
namespace {

// Display width of UTF-8 text: one column per code point.
size_t Width(absl::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

void Pad(std::ostream& out, absl::string_view text, size_t width, bool right) {
  const std::string fill(width > Width(text) ? width - Width(text) : 0, ' ');
  if (right) out << fill;
  out << text;
  if (!right) out << fill;
}

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos &&
      (text.empty() || (text.front() != ' ' && text.back() != ' '))) {
    return std::string(text);
  }
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string JsonString(absl::string_view text) { return absl::StrCat("\"", JsonEscape(text), "\""); }

std::string JsonStrings(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& item : items) quoted.push_back(JsonString(item));
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

std::string Hex(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  return hex;
}

void RenderFooter(const v1::Release& release, std::ostream& out) {
  out << "\nepsilon " << EpsilonText(release.epsilon_millis()) << " (this release)  ·  K = "
      << release.max_pseudonyms_per_person() << " pseudonyms per person  ·  noise scale "
      << release.noise_scale() << " (discrete Laplace)\n"
      << "95% interval: true count within +-" << release.interval95()
      << " of the noisy value, 95% (+-" << release.interval95() + 2
      << " counting the rounding to 5)\n"
      << "release version " << release.version() << "  ·  period " << release.period() << "\n";
  if (!release.share_rule().empty()) out << "shares: " << release.share_rule() << "\n";
  out << "How to read: every number is noisy and rounded to 5; \"<10\" means under 10 after "
         "noise; a blank share was not shown.\n";
}

}  // namespace

std::string EpsilonText(uint32_t epsilon_millis) {
  std::string text = absl::StrCat(epsilon_millis / 1000);
  const uint32_t fraction = epsilon_millis % 1000;
  if (fraction != 0) {
    char digits[8];
    std::snprintf(digits, sizeof(digits), "%03u", fraction);
    std::string decimals = digits;
    while (decimals.back() == '0') decimals.pop_back();
    absl::StrAppend(&text, ".", decimals);
  }
  return text;
}

std::string CellLabel(const v1::ReleaseCell& cell) { return absl::StrJoin(cell.labels(), " · "); }

void RenderReleaseTable(const v1::Release& release, std::ostream& out) {
  std::vector<std::string> header(release.dimensions().begin(), release.dimensions().end());
  const size_t dims = header.size();
  header.push_back("value");
  header.push_back("share");
  std::vector<size_t> widths;
  for (const std::string& h : header) widths.push_back(Width(h));
  for (const v1::ReleaseCell& cell : release.cells()) {
    for (size_t i = 0; i < dims && i < static_cast<size_t>(cell.labels_size()); ++i) {
      widths[i] = std::max(widths[i], Width(cell.labels(static_cast<int>(i))));
    }
    widths[dims] = std::max(widths[dims], Width(cell.value()));
    widths[dims + 1] = std::max(widths[dims + 1], Width(cell.share()));
  }
  out << release.title() << "  (" << release.measure() << ", " << release.period() << ")\n\n";
  for (size_t i = 0; i < header.size(); ++i) {
    Pad(out, header[i], widths[i], i >= dims);
    out << (i + 1 < header.size() ? "  " : "\n");
  }
  for (const v1::ReleaseCell& cell : release.cells()) {
    for (size_t i = 0; i < dims; ++i) {
      Pad(out, i < static_cast<size_t>(cell.labels_size()) ? cell.labels(static_cast<int>(i)) : "",
          widths[i], false);
      out << "  ";
    }
    Pad(out, cell.value(), widths[dims], true);
    out << "  ";
    Pad(out, cell.share(), widths[dims + 1], true);
    out << "\n";
  }
  RenderFooter(release, out);
}

void RenderReleaseCsv(const v1::Release& release, std::ostream& out) {
  std::vector<std::string> header;
  for (const std::string& d : release.dimensions()) header.push_back(CsvField(d));
  out << absl::StrJoin(header, ",") << (header.empty() ? "" : ",") << "value,share,suppressed\r\n";
  for (const v1::ReleaseCell& cell : release.cells()) {
    for (int i = 0; i < release.dimensions_size(); ++i) {
      out << CsvField(i < cell.labels_size() ? cell.labels(i) : "") << ",";
    }
    out << CsvField(cell.value()) << "," << CsvField(cell.share()) << ","
        << (cell.suppressed() ? "true" : "false") << "\r\n";
  }
}

void RenderReleaseJson(const v1::Release& release, std::ostream& out) {
  out << "{\n"
      << "  \"table_id\": " << JsonString(release.table_id()) << ",\n"
      << "  \"title\": " << JsonString(release.title()) << ",\n"
      << "  \"period\": " << JsonString(release.period()) << ",\n"
      << "  \"version\": " << release.version() << ",\n"
      << "  \"dimensions\": " << JsonStrings(release.dimensions()) << ",\n"
      << "  \"measure\": " << JsonString(release.measure()) << ",\n"
      << "  \"epsilon\": " << JsonString(EpsilonText(release.epsilon_millis())) << ",\n"
      << "  \"epsilon_millis\": " << release.epsilon_millis() << ",\n"
      << "  \"max_pseudonyms_per_person\": " << release.max_pseudonyms_per_person() << ",\n"
      << "  \"noise_scale\": " << JsonString(release.noise_scale()) << ",\n"
      << "  \"interval95\": " << release.interval95() << ",\n"
      << "  \"share_rule\": " << JsonString(release.share_rule()) << ",\n"
      << "  \"released_unix_seconds\": " << release.released_unix_seconds() << ",\n"
      << "  \"cells\": [";
  for (int i = 0; i < release.cells_size(); ++i) {
    const v1::ReleaseCell& cell = release.cells(i);
    out << (i == 0 ? "\n" : ",\n") << "    {\"labels\": " << JsonStrings(cell.labels())
        << ", \"value\": " << JsonString(cell.value()) << ", \"share\": "
        << JsonString(cell.share()) << ", \"suppressed\": " << (cell.suppressed() ? "true" : "false")
        << ", \"rounded\": " << cell.rounded() << "}";
  }
  out << (release.cells_size() == 0 ? "]\n}\n" : "\n  ]\n}\n");
}

absl::Status RenderRelease(const v1::Release& release, absl::string_view format,
                           std::ostream& out) {
  if (format == "table") {
    RenderReleaseTable(release, out);
  } else if (format == "csv") {
    RenderReleaseCsv(release, out);
  } else if (format == "json") {
    RenderReleaseJson(release, out);
  } else {
    return absl::InvalidArgumentError("--format must be table, csv or json");
  }
  return absl::OkStatus();
}

void RenderCatalogue(const v1::Catalogue& catalogue, std::ostream& out) {
  for (const v1::CatalogueEntry& table : catalogue.tables()) {
    out << table.id() << "  " << table.title() << "\n"
        << "    dimensions: " << absl::StrJoin(table.dimensions(), ", ")
        << "  ·  measure: " << table.measure() << "  ·  period: " << table.period()
        << "  ·  epsilon " << EpsilonText(table.epsilon_millis()) << "\n"
        << "    released: "
        << (table.released_periods().empty() ? "(none yet)"
                                             : absl::StrJoin(table.released_periods(), ", "))
        << "\n";
  }
  out << "\nK = " << catalogue.max_pseudonyms_per_person()
      << " pseudonyms per person  ·  cap epsilon " << EpsilonText(catalogue.epsilon_cap_millis())
      << " per person-year  ·  worst case " << EpsilonText(catalogue.worst_case_epsilon_millis())
      << " per person-year  ·  release lag " << catalogue.release_lag_days() << " days\n";
  if (!catalogue.release_public_key().empty()) {
    out << "release key (pass as --release-key): "
        << absl::Base64Escape(catalogue.release_public_key()) << "\n";
  }
}

void RenderLedger(const v1::Ledger& ledger, std::ostream& out) {
  for (const v1::LedgerEntry& e : ledger.entries()) {
    out << "#" << e.index() << "  " << e.kind() << "  " << e.table_id() << "  " << e.period()
        << "  v" << e.version() << "  epsilon " << EpsilonText(e.epsilon_millis()) << "  year "
        << e.year() << " spent " << EpsilonText(e.year_spent_millis()) << "  "
        << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(e.unix_seconds()),
                            absl::UTCTimeZone())
        << "  release " << Hex(e.release_hash()).substr(0, 16) << "\n";
  }
  out << ledger.entries_size() << " entries  ·  cap epsilon "
      << EpsilonText(ledger.epsilon_cap_millis()) << " per person-year\n"
      << "head " << Hex(ledger.head()) << "\n";
}

std::string JsonEscape(absl::string_view text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
      case '"': escaped += "\\\""; break;
      case '\\': escaped += "\\\\"; break;
      case '\n': escaped += "\\n"; break;
      case '\r': escaped += "\\r"; break;
      case '\t': escaped += "\\t"; break;
      case '\b': escaped += "\\b"; break;
      case '\f': escaped += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char code[8];
          std::snprintf(code, sizeof(code), "\\u%04x", static_cast<unsigned>(c));
          escaped += code;
        } else {
          escaped += c;
        }
    }
  }
  return escaped;
}

}  // namespace confidant::report
