// The statistics catalogue: defaults, the loader's checks of Policy.reporting, and the worst-case
// budget per person-year.
#include "policy/catalogue.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "policy/loader_checks.h"
#include "policy/policy.h"

namespace confidant::policy {
namespace {

v1::CatalogueTable Table(std::string id, std::string title, std::vector<v1::Dimension> dims,
                         v1::Measure measure, v1::Concern concern, v1::Period period,
                         uint32_t epsilon_millis) {
  v1::CatalogueTable t;
  t.set_id(std::move(id));
  t.set_title(std::move(title));
  for (v1::Dimension d : dims) t.add_dimensions(d);
  t.set_measure(measure);
  t.set_concern(concern);
  t.set_period(period);
  t.set_epsilon_millis(epsilon_millis);
  return t;
}

bool ValidTableId(const std::string& id) {
  if (id.empty() || id.size() > 48) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_';
  });
}

bool ValidFacilityId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_'; });
}

bool PrintableTitle(const std::string& title) {
  return !title.empty() && title.size() <= 120 &&
         std::all_of(title.begin(), title.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace

const v1::Facility* Catalogue::FindFacility(std::string_view id) const {
  for (const v1::Facility& f : facilities) {
    if (f.id() == id) return &f;
  }
  return nullptr;
}

const v1::CatalogueTable* Catalogue::FindTable(std::string_view id) const {
  for (const v1::CatalogueTable& t : tables) {
    if (t.id() == id) return &t;
  }
  return nullptr;
}

std::vector<v1::CatalogueTable> DefaultCatalogueTables() {
  // Worst case per person-year: 4 x 250 + 9 x 4 x 55 + 500 + 500 = 3980 (cap 4000).
  std::vector<v1::CatalogueTable> tables;
  tables.push_back(Table("persons-by-facility", "Persons interviewed, by facility",
                         {v1::FACILITY}, v1::DISTINCT_PERSONS, v1::CONCERN_UNSPECIFIED,
                         v1::QUARTER, 250));
  for (int c = v1::LACKS_MEDICAL_CARE; c <= v1::HELD_WITH_CRIMINAL_POPULATION; ++c) {
    const auto concern = static_cast<v1::Concern>(c);
    std::string name = ConcernName(concern);
    std::string id = absl::StrCat("concern-", name);
    std::replace(id.begin(), id.end(), '_', '-');
    std::string words = name;
    std::replace(words.begin(), words.end(), '_', ' ');
    tables.push_back(Table(id, absl::StrCat("Persons asked about ", words, ", by answer (national)"),
                           {v1::CONCERN_ANSWER}, v1::DISTINCT_PERSONS, concern, v1::QUARTER, 55));
  }
  tables.push_back(Table("medical-care-by-region", "Persons lacking medical care, by region",
                         {v1::REGION, v1::CONCERN_ANSWER}, v1::DISTINCT_PERSONS,
                         v1::LACKS_MEDICAL_CARE, v1::YEAR, 500));
  tables.push_back(Table("detention-length-by-region", "Persons by length of detention and region",
                         {v1::REGION, v1::DETENTION_LENGTH}, v1::DISTINCT_PERSONS,
                         v1::CONCERN_UNSPECIFIED, v1::YEAR, 500));
  return tables;
}

uint32_t ReleasesPerYear(const v1::CatalogueTable& table) {
  return table.period() == v1::QUARTER ? 4 : 1;
}

uint32_t WorstCaseEpsilonMillis(const std::vector<v1::CatalogueTable>& tables) {
  uint64_t total = 0;
  for (const v1::CatalogueTable& t : tables) total += uint64_t{t.epsilon_millis()} * ReleasesPerYear(t);
  return static_cast<uint32_t>(std::min<uint64_t>(total, UINT32_MAX));
}

Catalogue CatalogueOf(const v1::Policy& policy) {
  Catalogue c;
  if (!policy.has_reporting()) return c;
  const v1::Reporting& r = policy.reporting();
  c.enabled = true;
  c.facilities.assign(r.facilities().begin(), r.facilities().end());
  if (r.tables_size() > 0) {
    c.tables.assign(r.tables().begin(), r.tables().end());
  } else if (r.use_default_catalogue()) {
    c.tables = DefaultCatalogueTables();
  }
  if (r.max_pseudonyms_per_person() != 0) c.max_pseudonyms_per_person = r.max_pseudonyms_per_person();
  if (r.epsilon_cap_millis() != 0) c.epsilon_cap_millis = r.epsilon_cap_millis();
  if (r.release_lag_days() != 0) c.release_lag_days = r.release_lag_days();
  c.first_year = r.first_year();
  c.worst_case_epsilon_millis = WorstCaseEpsilonMillis(c.tables);
  return c;
}

std::string ConcernName(v1::Concern concern) {
  return absl::AsciiStrToLower(v1::Concern_Name(concern));
}
std::string DimensionName(v1::Dimension dimension) {
  if (dimension == v1::CONCERN_ANSWER) return "answer";
  return absl::AsciiStrToLower(v1::Dimension_Name(dimension));
}
std::string PeriodName(v1::Period period) { return absl::AsciiStrToLower(v1::Period_Name(period)); }

std::string MeasureText(const v1::CatalogueTable& table) {
  if (table.measure() == v1::PERSONS_WITH_CONCERN) {
    return absl::StrCat("persons with concern ", ConcernName(table.concern()));
  }
  return "persons";
}

std::string FacilityGroup(const v1::Facility& facility) {
  if (!facility.pooled()) return facility.id();
  return absl::StrCat(RegionName(facility.region()), "-pooled");
}

namespace internal {

void CheckReporting(const v1::Policy& policy, const Locator& root, Errors& errors) {
  if (!policy.has_reporting()) return;
  const v1::Reporting& r = policy.reporting();
  const Locator at = root.Nested("reporting");
  const int block = root.Line("reporting");
  std::set<std::string> facility_ids;
  for (int i = 0; i < r.facilities_size(); ++i) {
    const v1::Facility& f = r.facilities(i);
    const int line = at.Line("facilities", i);
    if (!ValidFacilityId(f.id())) {
      errors.At({line, block}, "facility id: 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'");
    } else if (!facility_ids.insert(f.id()).second) {
      errors.At({line, block}, absl::StrCat("facility \"", f.id(), "\" is listed twice"));
    }
    if (f.region() == v1::REGION_UNSPECIFIED) {
      errors.At({line, block}, absl::StrCat("facility \"", f.id().substr(0, 64), "\": region is required"));
    }
  }
  if (r.facilities_size() == 0) errors.At({block}, "reporting: the facility list is empty");
  std::map<int, int> pooled_per_region;
  for (const v1::Facility& f : r.facilities()) pooled_per_region[f.region()] += f.pooled() ? 1 : 0;
  for (const auto& [region, pooled] : pooled_per_region) {
    if (pooled == 1) {
      errors.At({block}, absl::StrCat("region ", RegionName(static_cast<v1::Region>(region)),
                                      " pools one facility: a pool of one is that facility under "
                                      "another name; pool at least two, or none"));
    }
  }
  if (r.max_pseudonyms_per_person() > kMaxMaxPseudonymsPerPerson) {
    errors.At({at.Line("max_pseudonyms_per_person"), block},
              absl::StrCat("max_pseudonyms_per_person: at most ", kMaxMaxPseudonymsPerPerson));
  }
  if (r.epsilon_cap_millis() > kMaxEpsilonCapMillis) {
    errors.At({at.Line("epsilon_cap_millis"), block},
              absl::StrCat("epsilon_cap_millis: at most ", kMaxEpsilonCapMillis));
  }
  if (r.release_lag_days() > kMaxReleaseLagDays) {
    errors.At({at.Line("release_lag_days"), block},
              absl::StrCat("release_lag_days: at most ", kMaxReleaseLagDays));
  }
  if (r.first_year() < 2000 || r.first_year() > 2100) {
    errors.At({at.Line("first_year"), block}, "first_year: required, 2000 to 2100");
  }
  if (r.tables_size() > 0 && r.use_default_catalogue()) {
    errors.At({at.Line("use_default_catalogue"), block},
              "use_default_catalogue and tables: declare one or the other");
  }
  if (static_cast<size_t>(r.tables_size()) > kMaxCatalogueTables) {
    errors.At({block}, absl::StrCat("at most ", kMaxCatalogueTables, " catalogue tables"));
  }
  std::set<std::string> table_ids;
  for (int i = 0; i < r.tables_size(); ++i) {
    const v1::CatalogueTable& t = r.tables(i);
    const int line = at.Line("tables", i);
    const std::string name = absl::StrCat("table \"", t.id().substr(0, 48), "\": ");
    if (!ValidTableId(t.id())) {
      errors.At({line, block}, "table id: 1 to 48 characters of a-z, 0-9, '-' and '_'");
    } else if (!table_ids.insert(t.id()).second) {
      errors.At({line, block}, absl::StrCat("table \"", t.id(), "\" is declared twice"));
    }
    if (!PrintableTitle(t.title())) {
      errors.At({line, block}, absl::StrCat(name, "title: 1 to 120 printable ASCII characters"));
    }
    if (t.dimensions_size() > 2) errors.At({line, block}, absl::StrCat(name, "at most 2 dimensions"));
    std::set<int> dims;
    bool facility = false, answer = false;
    for (int d : t.dimensions()) {
      if (d == v1::DIMENSION_UNSPECIFIED) errors.At({line, block}, absl::StrCat(name, "unspecified dimension"));
      if (!dims.insert(d).second) errors.At({line, block}, absl::StrCat(name, "a dimension is repeated"));
      facility |= d == v1::FACILITY;
      answer |= d == v1::CONCERN_ANSWER;
    }
    if (t.measure() == v1::MEASURE_UNSPECIFIED) {
      errors.At({line, block}, absl::StrCat(name, "measure is required"));
    }
    const bool needs_concern = t.measure() == v1::PERSONS_WITH_CONCERN || answer;
    if (needs_concern && t.concern() == v1::CONCERN_UNSPECIFIED) {
      errors.At({line, block}, absl::StrCat(name, "concern is required for this measure or dimension"));
    }
    if (!needs_concern && t.concern() != v1::CONCERN_UNSPECIFIED) {
      errors.At({line, block}, absl::StrCat(name, "concern is set but neither measure nor dimensions use it"));
    }
    if (t.measure() == v1::PERSONS_WITH_CONCERN && answer) {
      errors.At({line, block}, absl::StrCat(name, "persons with a concern cannot also be split by answer"));
    }
    if (facility && needs_concern) {
      errors.At({line, block},
                absl::StrCat(name, "no concern statistics at facility level (small facilities "
                                   "single out the people held there)"));
    }
    if (t.period() == v1::PERIOD_UNSPECIFIED) errors.At({line, block}, absl::StrCat(name, "period is required"));
    if (t.epsilon_millis() == 0 || t.epsilon_millis() > kMaxTableEpsilonMillis) {
      errors.At({line, block}, absl::StrCat(name, "epsilon_millis must be 1 to ", kMaxTableEpsilonMillis));
    }
  }
  const Catalogue catalogue = CatalogueOf(policy);
  if (catalogue.worst_case_epsilon_millis > catalogue.epsilon_cap_millis) {
    errors.At({block},
              absl::StrCat("the catalogue's worst-case epsilon per person-year is ",
                           catalogue.worst_case_epsilon_millis, "/1000, over the cap of ",
                           catalogue.epsilon_cap_millis, "/1000"));
  }
}

}  // namespace internal
}  // namespace confidant::policy
