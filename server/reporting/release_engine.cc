// The release engine: persons per cell from de-identified facts, discrete Laplace noise, and
// disclosure control. Cell domains depend on the catalogue alone, never on the data, so which
// cells exist reveals nothing about who was interviewed.
#include "server/reporting/release_engine.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "policy/policy.h"
#include "server/reporting/disclosure.h"

namespace confidant::reporting {
namespace {

constexpr char kNotRecorded[] = "not recorded";

// A person's facts in one period, resolved by the header's tie-breaks.
struct Person {
  const InterviewFacts* first = nullptr;      // facility and region
  const InterviewFacts* last = nullptr;       // age band, gender, length of detention
  v1::YesNo answer = v1::YES_NO_UNSPECIFIED;  // last interview that asked the concern
};

v1::YesNo AnswerTo(const v1::Concerns& c, policy::v1::Concern concern) {
  switch (concern) {
    case policy::v1::LACKS_MEDICAL_CARE:
      return c.lacks_medical_care();
    case policy::v1::MENTAL_HEALTH:
      return c.mental_health();
    case policy::v1::LACKS_ACCESS_TO_COUNSEL:
      return c.lacks_access_to_counsel();
    case policy::v1::LACKS_FAMILY_CONTACT:
      return c.lacks_family_contact();
    case policy::v1::LACKS_INTERPRETATION:
      return c.lacks_interpretation();
    case policy::v1::RESTRAINTS:
      return c.restraints();
    case policy::v1::SEGREGATION:
      return c.segregation();
    case policy::v1::MINORS_PRESENT:
      return c.minors_present();
    case policy::v1::HELD_WITH_CRIMINAL_POPULATION:
      return c.held_with_criminal_population();
    default:
      return v1::YES_NO_UNSPECIFIED;
  }
}

bool Before(const InterviewFacts* a, const InterviewFacts* b) {
  return std::tie(a->visit_date, a->order_key) < std::tie(b->visit_date, b->order_key);
}

std::map<std::string, Person> PersonsIn(const policy::v1::CatalogueTable& table,
                                        const PeriodId& period,
                                        const std::vector<InterviewFacts>& facts) {
  std::map<std::string, std::vector<const InterviewFacts*>> by_person;
  for (const InterviewFacts& f : facts) {
    absl::StatusOr<PeriodId> p = PeriodOfDate(f.visit_date, table.period());
    if (p.ok() && *p == period) by_person[f.person].push_back(&f);
  }
  std::map<std::string, Person> persons;
  for (auto& [key, list] : by_person) {
    std::stable_sort(list.begin(), list.end(), Before);  // equal keys keep their input order
    Person person{list.front(), list.back()};
    for (const InterviewFacts* f : list) {
      const v1::YesNo a = AnswerTo(f->concerns, table.concern());
      if (a != v1::YES_NO_UNSPECIFIED) person.answer = a;
    }
    persons.emplace(key, person);
  }
  return persons;
}

// One dimension's fixed labels (IndexOn says where a person falls on it; -1: not counted).
struct Axis {
  policy::v1::Dimension dimension;
  std::vector<std::string> labels;
  std::vector<std::string> keys;  // what a person's fact must equal (FACILITY and REGION)
};

// Labels for enum values 1..n in order, then "not recorded" for UNSPECIFIED (index n).
std::vector<std::string> WithNotRecorded(std::vector<std::string> labels) {
  labels.push_back(kNotRecorded);
  return labels;
}

Axis AxisOf(const policy::Catalogue& catalogue, int dimension_number) {
  const auto dimension = static_cast<policy::v1::Dimension>(dimension_number);
  Axis axis{dimension, {}, {}};
  switch (dimension) {
    case policy::v1::FACILITY:
      for (const policy::v1::Facility& f : catalogue.facilities) {
        std::string group = policy::FacilityGroup(f);
        if (std::find(axis.keys.begin(), axis.keys.end(), group) == axis.keys.end()) {
          axis.keys.push_back(group);
        }
      }
      axis.labels = axis.keys;
      break;
    case policy::v1::REGION:
      for (int r = policy::v1::Region_MIN + 1; r <= policy::v1::Region_MAX; ++r) {
        const auto region = static_cast<policy::v1::Region>(r);
        const bool listed =
            std::any_of(catalogue.facilities.begin(), catalogue.facilities.end(),
                        [&](const policy::v1::Facility& f) { return f.region() == region; });
        if (policy::v1::Region_IsValid(r) && listed) {
          axis.labels.push_back(policy::RegionName(region));
        }
      }
      axis.keys = axis.labels;
      break;
    case policy::v1::AGE_BAND:
      axis.labels = WithNotRecorded({"under 18", "18-24", "25-34", "35-49", "50-64", "65+"});
      break;
    case policy::v1::GENDER:
      axis.labels = WithNotRecorded({"woman", "man", "non-binary", "not disclosed"});
      break;
    case policy::v1::DETENTION_LENGTH:
      axis.labels = WithNotRecorded(
          {"<7 days", "7-29 days", "30-89 days", "90-179 days", "180-364 days", "365+ days"});
      break;
    case policy::v1::CONCERN_ANSWER:
      axis.labels = {"yes", "no"};
      break;
    default:
      break;  // the loader refuses other values; an empty axis yields no cells
  }
  return axis;
}

// Index of an enum value 1..n on an axis whose last label is "not recorded".
int EnumIndex(int value, const Axis& axis) {
  const int n = static_cast<int>(axis.labels.size()) - 1;
  return value >= 1 && value <= n ? value - 1 : n;
}

int IndexOn(const Axis& axis, const Person& p) {
  switch (axis.dimension) {
    case policy::v1::FACILITY: {
      auto it = std::find(axis.keys.begin(), axis.keys.end(), p.first->facility_group);
      return it == axis.keys.end() ? -1 : static_cast<int>(it - axis.keys.begin());
    }
    case policy::v1::REGION: {
      auto it = std::find(axis.keys.begin(), axis.keys.end(), policy::RegionName(p.first->region));
      return it == axis.keys.end() ? -1 : static_cast<int>(it - axis.keys.begin());
    }
    case policy::v1::AGE_BAND:
      return EnumIndex(p.last->age_band, axis);
    case policy::v1::GENDER:
      return EnumIndex(p.last->gender, axis);
    case policy::v1::DETENTION_LENGTH:
      return EnumIndex(p.last->detention_length, axis);
    case policy::v1::CONCERN_ANSWER:
      return p.answer == v1::YES ? 0 : p.answer == v1::NO ? 1 : -1;
    default:
      return -1;
  }
}

// "6", "12", "54.55": numerator / denominator to two decimals (halves up), trailing zeros dropped.
std::string Decimal(uint64_t numerator, uint64_t denominator) {
  const uint64_t hundredths = (200 * numerator + denominator) / (2 * denominator);
  std::string text = absl::StrCat(hundredths / 100);
  const uint64_t fraction = hundredths % 100;
  if (fraction == 0) return text;
  if (fraction % 10 == 0) return absl::StrCat(text, ".", fraction / 10);
  return absl::StrCat(text, ".", fraction / 10, fraction % 10);
}

constexpr char kShareRule[] =
    "A share is the cell's noisy count over the noisy sum of the shown (not \"<10\") cells of its "
    "group (cells that agree on all dimensions but the last), rounded to 5 points; it is shown "
    "only when the cell is shown and that sum is at least 40.";

// Every field but the cells, the noise scale and the interval.
v1::Release ReleaseHeader(const policy::v1::CatalogueTable& table, const PeriodId& period,
                          uint32_t k) {
  v1::Release release;
  release.set_format_version(1);
  release.set_table_id(table.id());
  release.set_title(table.title());
  release.set_period(PeriodText(period));
  release.set_version(1);
  for (int d : table.dimensions()) {
    release.add_dimensions(policy::DimensionName(static_cast<policy::v1::Dimension>(d)));
  }
  release.set_measure(policy::MeasureText(table));
  release.set_epsilon_millis(table.epsilon_millis());
  release.set_max_pseudonyms_per_person(k);
  release.set_share_rule(kShareRule);
  return release;
}

// The loader refuses a zero budget, K above its maximum and concern statistics per facility.
// Should such a table reach the engine anyway it releases nothing, rather than too little
// noise or a statistic about the few people held in one facility.
bool Releasable(const policy::v1::CatalogueTable& table, uint32_t k) {
  if (table.epsilon_millis() == 0 || k > policy::kMaxMaxPseudonymsPerPerson) return false;
  const bool facility = std::find(table.dimensions().begin(), table.dimensions().end(),
                                  policy::v1::FACILITY) != table.dimensions().end();
  const bool concern = table.measure() == policy::v1::PERSONS_WITH_CONCERN ||
                       std::find(table.dimensions().begin(), table.dimensions().end(),
                                 policy::v1::CONCERN_ANSWER) != table.dimensions().end();
  return !(facility && concern);
}

void AddCell(const TrueCell& cell, const DisplayedCount& shown, std::string share,
             v1::Release& release) {
  v1::ReleaseCell* out = release.add_cells();
  for (const std::string& label : cell.labels) out->add_labels(label);
  out->set_value(shown.value);
  out->set_rounded(shown.rounded);
  out->set_suppressed(shown.suppressed);
  out->set_share(std::move(share));
}

}  // namespace

std::vector<TrueCell> TrueCounts(const policy::Catalogue& catalogue,
                                 const policy::v1::CatalogueTable& table, const PeriodId& period,
                                 const std::vector<InterviewFacts>& facts) {
  std::vector<Axis> axes;
  for (int d : table.dimensions()) axes.push_back(AxisOf(catalogue, d));
  // Cells in row-major order: the first dimension varies slowest.
  std::vector<TrueCell> cells(1);
  for (const Axis& axis : axes) {
    std::vector<TrueCell> next;
    for (const TrueCell& cell : cells) {
      for (const std::string& label : axis.labels) {
        next.push_back(cell);
        next.back().labels.push_back(label);
      }
    }
    cells = std::move(next);
  }
  for (const auto& [key, person] : PersonsIn(table, period, facts)) {
    if (table.measure() == policy::v1::PERSONS_WITH_CONCERN && person.answer != v1::YES) continue;
    size_t index = 0;
    bool counted = true;
    for (const Axis& axis : axes) {
      const int i = IndexOn(axis, person);
      counted = counted && i >= 0;
      index = index * axis.labels.size() + static_cast<size_t>(std::max(i, 0));
    }
    if (counted && index < cells.size()) ++cells[index].count;
  }
  return cells;
}

std::vector<int64_t> NoisyCounts(const std::vector<TrueCell>& cells, uint32_t scale_numerator,
                                 uint32_t scale_denominator, UniformSource& noise) {
  std::vector<int64_t> noisy;
  noisy.reserve(cells.size());
  for (const TrueCell& cell : cells) {
    noisy.push_back(cell.count + SampleDiscreteLaplace(scale_numerator, scale_denominator, noise));
  }
  return noisy;
}

v1::Release ComputeRelease(const policy::Catalogue& catalogue,
                           const policy::v1::CatalogueTable& table, const PeriodId& period,
                           const std::vector<InterviewFacts>& facts, UniformSource& noise) {
  const uint32_t k = std::max<uint32_t>(catalogue.max_pseudonyms_per_person, 1);
  v1::Release release = ReleaseHeader(table, period, k);
  const std::vector<TrueCell> cells = TrueCounts(catalogue, table, period, facts);
  if (!Releasable(table, k)) {
    for (const TrueCell& cell : cells) {
      AddCell(cell, DisplayCount(0), "", release);  // every cell "<10"; no noise is drawn
    }
    return release;
  }
  // Scale K / epsilon = (K * 1000) / epsilon_millis, as a reduced fraction.
  const uint32_t g = std::gcd(k * 1000, table.epsilon_millis());
  const uint32_t numerator = k * 1000 / g;
  const uint32_t denominator = table.epsilon_millis() / g;
  release.set_noise_scale(Decimal(numerator, denominator));
  release.set_interval95(DiscreteLaplaceInterval95(static_cast<double>(numerator) / denominator));

  const std::vector<int64_t> noisy = NoisyCounts(cells, numerator, denominator, noise);
  // Share groups: runs of the last dimension's labels (cells are in row-major order).
  const int dims = table.dimensions_size();
  const size_t group_size =
      dims == 0 ? 1 : AxisOf(catalogue, table.dimensions(dims - 1)).labels.size();
  for (size_t i = 0; i < cells.size(); ++i) {
    const auto group = noisy.begin() + static_cast<ptrdiff_t>(i / group_size * group_size);
    const auto group_end = group + static_cast<ptrdiff_t>(group_size);
    // The denominator leaves suppressed cells out: with them in, a shown cell's value and share
    // would give the group's total, and with it the "<10" cell beside it.
    int64_t total = 0;
    for (auto it = group; it != group_end; ++it) {
      if (!DisplayCount(*it).suppressed) total += *it;
    }
    // A zero-dimension table's one cell would be a share of itself: none is shown.
    AddCell(cells[i], DisplayCount(noisy[i]),
            dims == 0 ? "" : DisplayShare(noisy[i], total), release);
  }
  return release;
}

}  // namespace confidant::reporting
