#include "bench/loadgen_support.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace confidant::bench {
namespace {

constexpr const char* kWords[] = {
    "the",     "detainee", "reported", "that",    "he",          "was",       "held",
    "in",      "a",        "shared",   "cell",    "for",         "several",   "days",
    "without", "access",   "to",       "counsel", "interpreter", "and",       "medication",
    "staff",   "said",     "transfer", "hearing", "family",      "contact",   "limited",
    "phone",   "calls",    "visit",    "review",  "requested",   "follow-up", "on",
    "health",  "concerns", "raised",   "with",    "officers",    "during",    "intake"};
constexpr const char* kFacilities[] = {"qc-lav-ihc", "on-tor-ihc", "bc-sur-ihc"};
constexpr v1::Region kRegions[] = {v1::QUEBEC, v1::ONTARIO, v1::BRITISH_COLUMBIA};

int Uniform(std::mt19937_64& rng, int lo, int hi) {  // inclusive
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

std::string Sentences(std::mt19937_64& rng, size_t min_bytes) {
  std::string text;
  while (text.size() < min_bytes) {
    const int words = Uniform(rng, 6, 16);
    for (int i = 0; i < words; ++i) {
      absl::StrAppend(&text, i == 0 ? "" : " ", kWords[Uniform(rng, 0, std::size(kWords) - 1)]);
    }
    text += ". ";
  }
  return text;
}

}  // namespace

std::string Mix::ToString() const { return absl::StrCat("submit=", submit, ",get=", get); }

absl::StatusOr<Mix> ParseMix(const std::string& text) {
  Mix mix;
  bool seen_submit = false, seen_get = false;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    int value = 0;
    if (!absl::SimpleAtoi(kv.second, &value) || value < 0 || value > 100) {
      return absl::InvalidArgumentError(absl::StrCat("--mix: bad percentage in '", part, "'"));
    }
    if (kv.first != "submit" && kv.first != "get") {
      return absl::InvalidArgumentError(
          absl::StrCat("--mix: unknown kind in '", part, "' (kinds: submit, get)"));
    }
    bool& seen = kv.first == "submit" ? seen_submit : seen_get;
    if (seen) return absl::InvalidArgumentError(absl::StrCat("--mix: '", kv.first, "' repeated"));
    seen = true;
    (kv.first == "submit" ? mix.submit : mix.get) = value;
  }
  if (mix.submit + mix.get != 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("--mix: percentages sum to ", mix.submit + mix.get, ", not 100"));
  }
  return mix;
}

absl::Status CheckLoopbackServer(const std::string& server) {
  const size_t colon = server.rfind(':');
  const auto refuse = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("--server must be a loopback HOST:PORT (127.x.x.x, [::1] or localhost), got '",
                     server, "'"));
  };
  if (colon == std::string::npos) return refuse();
  const std::string host = server.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(server.substr(colon + 1), &port) || port < 1 || port > 65535) {
    return refuse();
  }
  if (host == "localhost" || host == "[::1]") return absl::OkStatus();
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127) {
    return absl::OkStatus();
  }
  return refuse();
}

v1::InterviewRecord SyntheticRecord(std::mt19937_64& rng) {
  const int site = Uniform(rng, 0, std::size(kFacilities) - 1);
  const std::string date =
      absl::StrFormat("2026-%02d-%02d", Uniform(rng, 1, 12), Uniform(rng, 1, 28));
  v1::InterviewRecord r;
  v1::VisitMetadata* visit = r.mutable_visit();
  visit->set_facility_id(kFacilities[site]);
  visit->set_region(kRegions[site]);
  visit->set_visit_date(date);
  visit->set_team(absl::StrCat("team-", Uniform(rng, 1, 9)));
  v1::IdentitySection* id = r.mutable_identity();
  id->set_full_name(absl::StrCat("Synthetic Person ", Uniform(rng, 1, 999999)));
  id->set_date_of_birth(absl::StrFormat("19%02d-%02d-%02d", Uniform(rng, 50, 99),
                                        Uniform(rng, 1, 12), Uniform(rng, 1, 28)));
  id->set_immigration_client_id(absl::StrCat("UCI-", Uniform(rng, 10000000, 99999999)));
  id->add_languages(Uniform(rng, 0, 1) ? "Spanish" : "Arabic");
  v1::InterviewSection* interview = r.mutable_interview();
  interview->set_narrative(Sentences(rng, static_cast<size_t>(Uniform(rng, 1024, 1900))));
  interview->add_concerns_raised("no interpreter at the detention review");
  interview->set_follow_up_requested(true);
  r.mutable_health()->set_observations(Sentences(rng, 200));
  r.mutable_health()->set_needs("dental appointment; blood pressure medication");
  r.mutable_legal()->set_counsel_access(Sentences(rng, 120));
  r.mutable_legal()->set_proceedings("detention review scheduled");
  v1::CodedIndicators* indicators = r.mutable_indicators();
  indicators->set_age_band(static_cast<v1::AgeBand>(Uniform(rng, 2, 5)));
  indicators->set_gender(static_cast<v1::Gender>(Uniform(rng, 1, 4)));
  indicators->set_detention_length(static_cast<v1::DetentionLengthBand>(Uniform(rng, 1, 6)));
  indicators->set_detention_grounds(static_cast<v1::DetentionGrounds>(Uniform(rng, 1, 5)));
  indicators->mutable_concerns()->set_lacks_medical_care(Uniform(rng, 0, 1) ? v1::YES : v1::NO);
  for (v1::Purpose p : {v1::FOLLOW_UP, v1::CASE_REVIEW, v1::MEDICAL_REFERRAL, v1::LEGAL_REFERRAL}) {
    v1::Consent* consent = r.add_consents();
    consent->set_purpose(p);
    consent->set_given(true);
    consent->set_recorded_on(date);
  }
  return r;
}

std::string RandomSubmissionId(std::mt19937_64& rng) {
  return absl::StrFormat("%016x%016x", rng(), rng());
}

int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  const size_t index = static_cast<size_t>(std::max(rank, 1.0)) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace confidant::bench
