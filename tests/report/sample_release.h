// A hand-built release for the reporting client's tests: three cells, one suppressed, labels
// that need escaping in XML, CSV and JSON.
#ifndef CONFIDANT_TESTS_REPORT_SAMPLE_RELEASE_H_
#define CONFIDANT_TESTS_REPORT_SAMPLE_RELEASE_H_

#include <initializer_list>
#include <string>

#include "confidant/v1/reporting.pb.h"

namespace confidant::report::testing {

inline void AddCell(v1::Release& release, std::initializer_list<std::string> labels,
                    const std::string& value, const std::string& share, int64_t rounded) {
  v1::ReleaseCell* cell = release.add_cells();
  for (const std::string& label : labels) cell->add_labels(label);
  cell->set_value(value);
  cell->set_share(share);
  cell->set_suppressed(value == "<10");
  cell->set_rounded(rounded);
}

inline v1::Release SampleRelease() {
  v1::Release release;
  release.set_format_version(1);
  release.set_table_id("persons_by_facility_quarter");
  release.set_title("Persons interviewed by facility");
  release.set_period("2026Q3");
  release.set_version(1);
  release.add_dimensions("facility");
  release.add_dimensions("quarter");
  release.set_measure("persons");
  AddCell(release, {"on-tor-ihc", "2026Q3"}, "125", "35%", 125);
  AddCell(release, {"on-pooled", "2026Q3"}, "<10", "", 0);
  AddCell(release, {"A<&\"B'", "2026Q3"}, "40", "", 40);
  release.set_epsilon_millis(250);
  release.set_max_pseudonyms_per_person(3);
  release.set_noise_scale("12");
  release.set_interval95(36);
  release.set_share_rule("share of the noisy total, shown when that total is at least 40");
  release.set_released_unix_seconds(1791000000);
  return release;
}

}  // namespace confidant::report::testing

#endif  // CONFIDANT_TESTS_REPORT_SAMPLE_RELEASE_H_
