// Small catalogues and facts for the reporting tests.
#ifndef CONFIDANT_TESTS_REPORTING_FIXTURES_H_
#define CONFIDANT_TESTS_REPORTING_FIXTURES_H_

#include <string>
#include <vector>

#include "policy/catalogue.h"
#include "server/reporting/release_engine.h"

namespace confidant::reporting::fixtures {

inline policy::v1::Facility Facility(std::string id, policy::v1::Region region, bool pooled) {
  policy::v1::Facility f;
  f.set_id(std::move(id));
  f.set_region(region);
  f.set_pooled(pooled);
  return f;
}

// Facilities in list order: big-on (Ontario), two pooled Ontario ones, a pooled Quebec one,
// big-qc (Quebec). Groups: big-on, ontario-pooled, quebec-pooled, big-qc. Regions in enum order:
// quebec, ontario.
inline policy::Catalogue TestCatalogue(uint32_t k = 3) {
  policy::Catalogue c;
  c.enabled = true;
  c.facilities = {Facility("big-on", policy::v1::ONTARIO, false),
                  Facility("tiny-on-1", policy::v1::ONTARIO, true),
                  Facility("tiny-qc", policy::v1::QUEBEC, true),
                  Facility("tiny-on-2", policy::v1::ONTARIO, true),
                  Facility("big-qc", policy::v1::QUEBEC, false)};
  c.max_pseudonyms_per_person = k;
  return c;
}

inline policy::v1::CatalogueTable Table(std::vector<policy::v1::Dimension> dims,
                                        policy::v1::Measure measure, policy::v1::Concern concern,
                                        policy::v1::Period period, uint32_t epsilon_millis) {
  policy::v1::CatalogueTable t;
  t.set_id("test-table");
  t.set_title("Test table");
  for (policy::v1::Dimension d : dims) t.add_dimensions(d);
  t.set_measure(measure);
  t.set_concern(concern);
  t.set_period(period);
  t.set_epsilon_millis(epsilon_millis);
  return t;
}

inline policy::v1::CatalogueTable ByFacility(uint32_t epsilon_millis = 250) {
  return Table({policy::v1::FACILITY}, policy::v1::DISTINCT_PERSONS,
               policy::v1::CONCERN_UNSPECIFIED, policy::v1::QUARTER, epsilon_millis);
}

// One interview at `facility` (a group name) in Ontario, everything else unspecified.
inline InterviewFacts Interview(std::string person, std::string date, std::string order_key,
                                std::string facility_group,
                                policy::v1::Region region = policy::v1::ONTARIO) {
  InterviewFacts f;
  f.person = std::move(person);
  f.visit_date = std::move(date);
  f.order_key = std::move(order_key);
  f.facility_group = std::move(facility_group);
  f.region = region;
  return f;
}

inline std::vector<std::vector<std::string>> Labels(const std::vector<TrueCell>& cells) {
  std::vector<std::vector<std::string>> labels;
  for (const TrueCell& c : cells) labels.push_back(c.labels);
  return labels;
}

inline std::vector<int64_t> Counts(const std::vector<TrueCell>& cells) {
  std::vector<int64_t> counts;
  for (const TrueCell& c : cells) counts.push_back(c.count);
  return counts;
}

}  // namespace confidant::reporting::fixtures

#endif  // CONFIDANT_TESTS_REPORTING_FIXTURES_H_
