#include "client/synthetic_text.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace confidant::client::synthetic {
namespace {

template <typename T, size_t N>
const T& Pick(Rng& rng, const T (&items)[N]) {
  return items[rng.Below(N)];
}

constexpr const char* kWomen[] = {"Amina", "Fatima", "Maria", "Leila", "Grace", "Sofia",
                                  "Nadia", "Esther", "Mariam", "Ana", "Yasmin", "Olena"};
constexpr const char* kMen[] = {"Mohamed", "Ahmad", "José", "Samuel", "Daniel", "Yusuf",
                                "Carlos", "Hassan", "Ibrahim", "Dawit", "Arjun", "Omar",
                                "Luis", "Tesfaye", "Kwame", "Andriy"};
constexpr const char* kLast[] = {"Haddad", "Mensah", "Rodriguez", "Tesfaye", "Okafor", "Nguyen",
                                 "Rahimi", "Hussein", "Alvarez", "Kebede", "Singh", "Diallo",
                                 "Petrenko", "Mohammadi", "Joseph", "Abdi", "Castillo", "Osei"};
constexpr const char* kLanguages[] = {"en", "fr", "es", "ar", "fa", "ti", "am", "so",
                                      "zh", "pa", "uk", "ht", "sw", "ps"};

constexpr const char* kOpenings[] = {
    "Interviewed in a private visiting room for about forty minutes.",
    "Met in the facility's interview room; the detainee agreed to speak with the team.",
    "Short interview in the common area, moved to a quieter corner at the detainee's request.",
    "Second-language interview with a telephone interpreter for part of the time."};
constexpr const char* kClosings[] = {
    "The detainee asked the team to come back on the next visit.",
    "No further concerns were raised during this visit.",
    "The detainee was calm and described the daily routine in detail.",
    "The detainee asked for information about how long detention may last."};

struct ConcernText {
  v1::YesNo (v1::Concerns::*answer)() const;
  const char* raised;
  const char* sentence;
};

constexpr ConcernText kConcernTexts[] = {
    {&v1::Concerns::lacks_medical_care, "medical care",
     "Says a request to see a doctor has gone unanswered for several days."},
    {&v1::Concerns::mental_health, "mental health",
     "Reports trouble sleeping and persistent anxiety since being detained."},
    {&v1::Concerns::lacks_access_to_counsel, "access to counsel",
     "Has not been able to reach a lawyer; phone access is limited."},
    {&v1::Concerns::lacks_family_contact, "family contact",
     "Has had no contact with family since arrival at the facility."},
    {&v1::Concerns::lacks_interpretation, "interpretation",
     "Says hearings and notices were not interpreted into a language understood."},
    {&v1::Concerns::restraints, "restraints",
     "Describes being handcuffed during transport to a hearing."},
    {&v1::Concerns::segregation, "segregation",
     "Was held alone in a cell for two days after an argument with another detainee."},
    {&v1::Concerns::minors_present, "minors present",
     "Mentions that children are held in the same unit as adults."},
    {&v1::Concerns::held_with_criminal_population, "held with criminal population",
     "Is held in a provincial jail alongside people serving criminal sentences."}};

}  // namespace

std::string SyntheticName(Rng& rng, v1::Gender gender) {
  const bool woman = gender == v1::WOMAN || (gender != v1::MAN && rng.Percent(50));
  return absl::StrCat(woman ? Pick(rng, kWomen) : Pick(rng, kMen), " ", Pick(rng, kLast));
}

std::string Misspell(Rng& rng, const std::string& name) {
  std::vector<size_t> swappable;  // i where name[i], name[i+1] are different ASCII letters
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (letter(name[i]) && letter(name[i + 1]) && name[i] != name[i + 1]) swappable.push_back(i);
  }
  std::string typo = name;
  if (!swappable.empty() && rng.Percent(50)) {
    const size_t i = swappable[rng.Below(swappable.size())];
    std::swap(typo[i], typo[i + 1]);
    return typo;
  }
  std::vector<size_t> droppable;  // ASCII letters not at the start of a word
  for (size_t i = 1; i < name.size(); ++i) {
    if (name[i - 1] != ' ' && name[i] != ' ' && static_cast<unsigned char>(name[i]) < 0x80) {
      droppable.push_back(i);
    }
  }
  if (droppable.empty()) return name + "e";
  typo.erase(droppable[rng.Below(droppable.size())], 1);
  return typo;
}

void AddLanguages(Rng& rng, v1::IdentitySection& identity) {
  const std::string first = Pick(rng, kLanguages);
  identity.add_languages(first);
  if (rng.Percent(35)) {
    const std::string second = rng.Percent(60) ? "en" : "fr";
    if (second != first) identity.add_languages(second);
  }
}

void FillFreeText(Rng& rng, v1::InterviewRecord& record) {
  const v1::Concerns& concerns = record.indicators().concerns();
  std::vector<std::string> sentences = {Pick(rng, kOpenings)};
  bool urgent = false;
  for (const ConcernText& text : kConcernTexts) {
    if ((concerns.*text.answer)() != v1::YES) continue;
    sentences.push_back(text.sentence);
    record.mutable_interview()->add_concerns_raised(text.raised);
    urgent = urgent || text.answer == &v1::Concerns::lacks_medical_care ||
             text.answer == &v1::Concerns::mental_health;
  }
  sentences.push_back(Pick(rng, kClosings));
  record.mutable_interview()->set_narrative(absl::StrJoin(sentences, " "));
  record.mutable_interview()->set_follow_up_requested(urgent && rng.Percent(60));
  v1::HealthSection& health = *record.mutable_health();
  health.set_observations(concerns.lacks_medical_care() == v1::YES
                              ? "Visible discomfort; reports pain that has not been assessed."
                              : "No visible health concerns during the interview.");
  health.set_needs(concerns.mental_health() == v1::YES
                       ? "Would benefit from a mental health assessment and counselling."
                       : "No specific needs stated.");
  v1::LegalSection& legal = *record.mutable_legal();
  legal.set_counsel_access(concerns.lacks_access_to_counsel() == v1::YES
                               ? "No lawyer yet; legal aid number not working from the unit phone."
                               : "Has a lawyer through legal aid and has spoken to them.");
  legal.set_proceedings(rng.Percent(50) ? "Next detention review hearing expected within 30 days."
                                        : "Waiting for a decision on a pre-removal risk assessment.");
}

}  // namespace confidant::client::synthetic
