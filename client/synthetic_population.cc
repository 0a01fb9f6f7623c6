#include "client/synthetic_population.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "base/status_macros.h"
#include "client/synthetic_text.h"
#include "proto/record_validation.h"

namespace confidant::client {
namespace {

using synthetic::Rng;

// A quarter that has begun: its first day and its last usable day (today at the latest).
struct Quarter {
  std::string name;
  absl::CivilDay first, last;
};

// One planned interview of a person.
struct Visit {
  int quarter;
  absl::CivilDay day;
  int facility;
};

// What stays the same about a person across interviews.
struct Person {
  std::string name, date_of_birth, client_id;
  v1::AgeBand age_band = v1::AGE_BAND_UNSPECIFIED;
  v1::Gender gender = v1::GENDER_UNSPECIFIED;
  v1::DetentionGrounds grounds = v1::DETENTION_GROUNDS_UNSPECIFIED;
  absl::CivilDay detained_since;
  bool misspells = false;
  std::vector<Visit> visits;
};

// Picks an index by integer weights.
int Weighted(Rng& rng, const std::vector<int>& weights) {
  uint64_t r = rng.Below(static_cast<uint64_t>(std::accumulate(weights.begin(), weights.end(), 0)));
  for (size_t i = 0; i < weights.size(); ++i) {
    if (r < static_cast<uint64_t>(weights[i])) return static_cast<int>(i);
    r -= static_cast<uint64_t>(weights[i]);
  }
  return static_cast<int>(weights.size()) - 1;
}

absl::CivilDay DayIn(Rng& rng, const Quarter& q) {
  return q.first + static_cast<int64_t>(rng.Below(static_cast<uint64_t>(q.last - q.first + 1)));
}

v1::DetentionLengthBand LengthBand(int64_t days) {
  if (days < 7) return v1::UNDER_7_DAYS;
  if (days < 30) return v1::DAYS_7_29;
  if (days < 90) return v1::DAYS_30_89;
  if (days < 180) return v1::DAYS_90_179;
  if (days < 365) return v1::DAYS_180_364;
  return v1::DAYS_365_PLUS;
}

v1::AgeBand AgeBandAt(absl::CivilDay birth, absl::CivilDay day) {
  int age = static_cast<int>(day.year() - birth.year());
  if (std::make_tuple(day.month(), day.day()) < std::make_tuple(birth.month(), birth.day())) --age;
  if (age < 18) return v1::AGE_UNDER_18;
  if (age < 25) return v1::AGE_18_24;
  if (age < 35) return v1::AGE_25_34;
  if (age < 50) return v1::AGE_35_49;
  if (age < 65) return v1::AGE_50_64;
  return v1::AGE_65_PLUS;
}

// Facilities of the same region as `facility`, not pooled, other than it.
std::vector<int> MovesWithinRegion(int facility) {
  const auto& all = SyntheticFacilities();
  std::vector<int> out;
  for (int i = 0; i < static_cast<int>(all.size()); ++i) {
    if (i != facility && !all[i].pooled && all[i].region == all[facility].region) out.push_back(i);
  }
  return out;
}

// Identity, coded traits and the date detention began, fixed at the first visit.
Person MakePerson(Rng& rng, absl::CivilDay first_visit) {
  Person p;
  p.gender = static_cast<v1::Gender>(1 + Weighted(rng, {25, 70, 2, 3}));
  p.name = synthetic::SyntheticName(rng, p.gender);
  static constexpr int kAgeRanges[][2] = {{15, 17}, {18, 24}, {25, 34}, {35, 49}, {50, 64}, {65, 79}};
  const int band = Weighted(rng, {3, 15, 35, 30, 13, 4});
  const int age = kAgeRanges[band][0] +
                  static_cast<int>(rng.Below(kAgeRanges[band][1] - kAgeRanges[band][0] + 1));
  const absl::CivilDay birth = absl::CivilDay(first_visit.year() - age, first_visit.month(), 1) -
                               static_cast<int64_t>(rng.Below(330)) - 1;
  p.age_band = AgeBandAt(birth, first_visit);
  if (rng.Percent(95)) p.date_of_birth = absl::FormatCivilTime(birth);
  if (rng.Percent(70)) p.client_id = absl::StrFormat("IC-%08d", rng.Below(100000000));
  p.misspells = p.client_id.empty() && rng.Percent(15);
  p.grounds = static_cast<v1::DetentionGrounds>(1 + Weighted(rng, {50, 25, 8, 12, 5}));
  static constexpr int kHeldRanges[][2] = {{0, 6}, {7, 29}, {30, 89}, {90, 179}, {180, 364}, {365, 900}};
  const int held_band = Weighted(rng, {30, 30, 20, 10, 7, 3});
  p.detained_since = first_visit - kHeldRanges[held_band][0] -
                     static_cast<int64_t>(rng.Below(kHeldRanges[held_band][1] - kHeldRanges[held_band][0] + 1));
  return p;
}

// Interviews of a person at a non-pooled facility: 1-4, some in one quarter, later ones sometimes
// in another facility of the same region.
std::vector<Visit> PlanVisits(Rng& rng, const std::vector<Quarter>& quarters, int facility,
                              bool at_least_two) {
  int count = 1 + Weighted(rng, {45, 30, 15, 10});
  if (at_least_two) count = std::max(count, 2);
  int quarter = static_cast<int>(rng.Below(quarters.size()));
  std::vector<Visit> visits;
  for (int i = 0; i < count; ++i) {
    if (i > 0 && rng.Percent(65) && quarter + 1 < static_cast<int>(quarters.size())) ++quarter;
    if (i > 0 && rng.Percent(15)) {
      const std::vector<int> moves = MovesWithinRegion(facility);
      if (!moves.empty()) facility = moves[rng.Below(moves.size())];
    }
    visits.push_back({quarter, DayIn(rng, quarters[quarter]), facility});
  }
  std::sort(visits.begin(), visits.end(),
            [](const Visit& a, const Visit& b) { return a.day < b.day; });
  return visits;
}

v1::YesNo Answer(Rng& rng, int yes_percent) {
  if (rng.Percent(10)) return v1::YES_NO_UNSPECIFIED;  // not asked
  return rng.Percent(yes_percent) ? v1::YES : v1::NO;
}

void FillConcerns(Rng& rng, v1::Concerns& c) {
  c.set_lacks_medical_care(Answer(rng, 30));
  c.set_mental_health(Answer(rng, 40));
  c.set_lacks_access_to_counsel(Answer(rng, 20));
  c.set_lacks_family_contact(Answer(rng, 25));
  c.set_lacks_interpretation(Answer(rng, 12));
  c.set_restraints(Answer(rng, 5));
  c.set_segregation(Answer(rng, 8));
  c.set_minors_present(Answer(rng, 3));
  c.set_held_with_criminal_population(Answer(rng, 15));
}

v1::InterviewRecord MakeRecord(Rng& rng, const Person& p, const Visit& visit, bool typo) {
  const SyntheticFacility& facility = SyntheticFacilities()[visit.facility];
  v1::InterviewRecord record;
  v1::VisitMetadata& meta = *record.mutable_visit();
  meta.set_facility_id(facility.id);
  meta.set_region(facility.region);
  meta.set_visit_date(absl::FormatCivilTime(visit.day));
  meta.set_team(absl::StrCat("team-",
                             absl::StrReplaceAll(absl::AsciiStrToLower(v1::Region_Name(facility.region)),
                                                 {{"_", "-"}}),
                             "-", 1 + rng.Below(2)));
  v1::IdentitySection& id = *record.mutable_identity();
  id.set_full_name(typo ? synthetic::Misspell(rng, p.name) : p.name);
  id.set_date_of_birth(p.date_of_birth);
  id.set_immigration_client_id(p.client_id);
  synthetic::AddLanguages(rng, id);
  v1::CodedIndicators& in = *record.mutable_indicators();
  in.set_age_band(p.date_of_birth.empty() ? p.age_band : [&] {
    absl::CivilDay birth;
    absl::ParseCivilTime(p.date_of_birth, &birth);
    return AgeBandAt(birth, visit.day);
  }());
  in.set_gender(p.gender);
  in.set_detention_length(LengthBand(visit.day - p.detained_since));
  in.set_detention_grounds(p.grounds);
  FillConcerns(rng, *in.mutable_concerns());
  synthetic::FillFreeText(rng, record);
  v1::Consent* consent = record.add_consents();
  consent->set_purpose(v1::MEDICAL_REFERRAL);
  consent->set_given(rng.Percent(60));
  consent->set_recorded_on(meta.visit_date());
  return record;
}

// Every planned interview as a record, in visit date order. A person who misspells has a typo
// in the second interview and in about half of the later ones.
absl::StatusOr<SyntheticPopulation> Assemble(Rng& rng, const std::vector<Person>& persons,
                                             const std::vector<Quarter>& quarters) {
  struct Planned {
    absl::CivilDay day;
    int person;
    int visit;
  };
  std::vector<Planned> order;
  for (int i = 0; i < static_cast<int>(persons.size()); ++i) {
    for (int v = 0; v < static_cast<int>(persons[i].visits.size()); ++v) {
      order.push_back({persons[i].visits[v].day, i, v});
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const Planned& a, const Planned& b) { return a.day < b.day; });
  SyntheticPopulation out;
  std::set<std::string> facilities;
  for (const Planned& planned : order) {
    const Person& p = persons[planned.person];
    const bool typo = p.misspells && planned.visit > 0 && (planned.visit == 1 || rng.Percent(50));
    v1::InterviewRecord record = MakeRecord(rng, p, p.visits[planned.visit], typo);
    RETURN_IF_ERROR(ValidateRecord(record));
    facilities.insert(record.visit().facility_id());
    out.records.push_back(std::move(record));
    out.person_of_record.push_back(planned.person);
  }
  out.persons = static_cast<int>(persons.size());
  for (const Quarter& q : quarters) out.quarters.push_back(q.name);
  out.facilities = static_cast<int>(facilities.size());
  return out;
}

}  // namespace

const std::vector<SyntheticFacility>& SyntheticFacilities() {
  static const std::vector<SyntheticFacility> kFacilities = {
      {"on-tor-ihc", v1::ONTARIO, false, 30},        {"on-tby-hold", v1::ONTARIO, true, 0},
      {"on-kgn-hold", v1::ONTARIO, true, 0},         {"on-sud-hold", v1::ONTARIO, true, 0},
      {"qc-lav-ihc", v1::QUEBEC, false, 22},         {"qc-mtl-hold", v1::QUEBEC, false, 8},
      {"bc-sur-ihc", v1::BRITISH_COLUMBIA, false, 18}, {"bc-sur-pre", v1::BRITISH_COLUMBIA, false, 5},
      {"ab-edm-rc", v1::ALBERTA, false, 10},         {"ab-cal-rc", v1::ALBERTA, false, 6},
      {"at-hfx-hold", v1::ATLANTIC, false, 6},       {"at-mct-hold", v1::ATLANTIC, false, 4}};
  return kFacilities;
}

absl::StatusOr<std::vector<std::string>> ParseQuarterRange(const std::string& range) {
  const auto bad = absl::InvalidArgumentError(
      "--quarters takes YYYYQn or YYYYQn..YYYYQn, e.g. 2026Q1..2026Q4 (at most 40 quarters)");
  const auto parse = [](absl::string_view text, int* index) {
    int year = 0;
    if (text.size() != 6 || text[4] != 'Q' || text[5] < '1' || text[5] > '4' ||
        !absl::SimpleAtoi(text.substr(0, 4), &year) || year < 2000 || year > 2199) {
      return false;
    }
    *index = year * 4 + (text[5] - '1');
    return true;
  };
  const size_t dots = range.find("..");
  int first = 0, last = 0;
  if (!parse(absl::string_view(range).substr(0, dots), &first)) return bad;
  if (dots == std::string::npos) {
    last = first;
  } else if (!parse(absl::string_view(range).substr(dots + 2), &last)) {
    return bad;
  }
  if (last < first || last - first >= 40) return bad;
  std::vector<std::string> quarters;
  for (int i = first; i <= last; ++i) quarters.push_back(absl::StrCat(i / 4, "Q", i % 4 + 1));
  return quarters;
}

absl::StatusOr<SyntheticPopulation> SyntheticRecords(const SeedOptions& options) {
  if (options.persons < 1 || options.persons > 100000) {
    return absl::InvalidArgumentError("--persons must be between 1 and 100000");
  }
  if (options.quarters.empty()) return absl::InvalidArgumentError("no quarters to seed");
  std::vector<Quarter> quarters;
  for (const std::string& name : options.quarters) {
    absl::StatusOr<std::vector<std::string>> one = ParseQuarterRange(name);
    if (!one.ok() || one->size() != 1) return absl::InvalidArgumentError("not a quarter: " + name);
    const int year = std::stoi(name.substr(0, 4)), q = name[5] - '0';
    const absl::CivilDay first(year, 3 * q - 2, 1);
    if (first > options.today) continue;  // not begun: skipped entirely
    quarters.push_back({name, first, std::min(absl::CivilDay(year, 3 * q + 1, 1) - 1, options.today)});
  }
  if (quarters.empty()) {
    return absl::FailedPreconditionError("every quarter asked for is in the future");
  }
  Rng rng(options.seed);
  const auto& facilities = SyntheticFacilities();
  std::vector<int> weights;
  for (const SyntheticFacility& f : facilities) weights.push_back(f.weight);
  std::vector<Person> persons;
  // Pooled facilities: 1-4 persons each per quarter, at most a fifth of the population.
  for (int f = 0; f < static_cast<int>(facilities.size()); ++f) {
    if (!facilities[f].pooled) continue;
    for (int q = 0; q < static_cast<int>(quarters.size()); ++q) {
      for (int n = 1 + static_cast<int>(rng.Below(4)); n > 0; --n) {
        if (static_cast<int>(persons.size()) * 5 >= options.persons) break;
        const absl::CivilDay day = DayIn(rng, quarters[q]);
        Person p = MakePerson(rng, day);
        p.visits.push_back({q, day, f});
        if (rng.Percent(25)) p.visits.push_back({q, std::max(day, DayIn(rng, quarters[q])), f});
        persons.push_back(std::move(p));
      }
    }
  }
  while (static_cast<int>(persons.size()) < options.persons) {
    const int facility = Weighted(rng, weights);
    // The person is drawn first so that the visits know whether a misspelling needs two.
    Rng person_rng(rng.Below(UINT64_MAX));
    std::vector<Visit> visits = PlanVisits(rng, quarters, facility, false);
    Person p = MakePerson(person_rng, visits.front().day);
    if (p.misspells && visits.size() < 2) {
      const absl::CivilDay planned_first = visits.front().day;
      visits = PlanVisits(rng, quarters, facility, true);
      p.detained_since += visits.front().day - planned_first;  // same time held at first visit
    }
    p.visits = std::move(visits);
    persons.push_back(std::move(p));
  }
  return Assemble(rng, persons, quarters);
}

}  // namespace confidant::client
