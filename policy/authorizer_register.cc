// Authorizer::WhoCan (the register of personnel with access) and Authorizer::Explain. Both are
// built on Decide, so they can never disagree with it.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "policy/authorizer.h"
#include "policy/authorizer_internal.h"

namespace confidant::policy {
namespace {

std::string Roles(const v1::Person& person) {
  std::vector<std::string> names;
  for (int r : person.roles()) names.push_back(RoleName(static_cast<v1::Role>(r)));
  return absl::StrJoin(names, ", ");
}

// Whether consent is satisfied, never how it came about: the consent history is need-to-know.
std::string ConsentName(const RecordFacts& record, v1::Purpose purpose) {
  auto it = record.consent.find(purpose);
  return it != record.consent.end() && it->second == Consent::kGiven ? "satisfied"
                                                                       : "not satisfied";
}

std::string PurposeLine(const Policy& policy, const v1::Person& person, const AccessRequest& r) {
  std::vector<std::string> allowed;
  for (int role : person.roles()) {
    const v1::RoleGrant* grant = policy.GrantFor(static_cast<v1::Role>(role));
    if (grant != nullptr && internal::Contains(grant->purposes(), r.purpose)) {
      allowed.push_back(RoleName(grant->role()));
    }
  }
  std::string line = absl::StrCat(
      "purpose: ", PurposeName(r.purpose),
      "; allowed for: ", allowed.empty() ? "no role of this person" : absl::StrJoin(allowed, ", "));
  if (policy.RequiresConsent(r.purpose)) {
    absl::StrAppend(&line, "; requires consent: ",
                    r.record == nullptr ? "unknown" : ConsentName(*r.record, r.purpose));
  }
  return line;
}

std::string BreakGlassLine(const BreakGlassGrant* g) {
  if (g == nullptr) return "break-glass: none";
  return absl::StrCat("break-glass: record ", g->record_id, ", requested by ",
                      g->requester_person_id, ", approvals ", g->approver_person_ids.size(),
                      ", expires ",
                      absl::FormatTime("%Y-%m-%d %H:%M UTC",
                                       absl::FromUnixSeconds(g->expires_unix_seconds),
                                       absl::UTCTimeZone()));
}

}  // namespace

std::vector<WhoCanRead> Authorizer::WhoCan(const RecordFacts& record, int64_t now_unix_seconds,
                                           const std::vector<BreakGlassGrant>& grants) const {
  std::vector<WhoCanRead> out;
  for (int s = v1::IDENTITY; s <= v1::Section_MAX; ++s) {
    for (const v1::Person& person : policy_->proto().persons()) {
      if (person.certificates_size() == 0) continue;
      const size_t first = out.size();
      for (int p = v1::PURPOSE_UNSPECIFIED + 1; p <= v1::Purpose_MAX; ++p) {
        AccessRequest request;
        request.principal = person.certificates(0);
        request.purpose = static_cast<v1::Purpose>(p);
        request.record = &record;
        request.now_unix_seconds = now_unix_seconds;
        request.section = static_cast<v1::Section>(s);
        const Decision d = Decide(request);
        if (!d.allowed()) continue;
        WhoCanRead* entry = nullptr;
        for (size_t i = first; i < out.size(); ++i) {
          if (out[i].role == d.sections.front().role) entry = &out[i];
        }
        if (entry == nullptr) {
          out.push_back({request.section,
                         person.id(),
                         person.display_name(),
                         d.sections.front().role,
                         ScopeReason(person, record),
                         {}});
          entry = &out.back();
        }
        entry->purposes.push_back(request.purpose);
      }
    }
  }
  // Break-glass holders: Decide with the grant, for its purpose only (it covers no other).
  for (int s = v1::IDENTITY; s <= v1::Section_MAX; ++s) {
    for (const BreakGlassGrant& grant : grants) {
      const v1::Person* person = policy_->FindPersonById(grant.requester_person_id);
      if (person == nullptr || person->certificates_size() == 0) continue;
      if (!ScopeReason(*person, record).empty()) continue;  // listed above already
      AccessRequest request;
      request.principal = person->certificates(0);
      request.purpose = grant.purpose;
      request.record = &record;
      request.now_unix_seconds = now_unix_seconds;
      request.section = static_cast<v1::Section>(s);
      request.break_glass = &grant;
      const Decision d = Decide(request);
      if (!d.allowed()) continue;
      out.push_back({request.section,
                     person->id(),
                     person->display_name(),
                     d.sections.front().role,
                     absl::StrCat("break-glass ", grant.request_id, " until ",
                                  absl::FormatTime("%Y-%m-%d %H:%M UTC",
                                                   absl::FromUnixSeconds(grant.expires_unix_seconds),
                                                   absl::UTCTimeZone())),
                     {grant.purpose}});
    }
  }
  return out;
}

Explanation Authorizer::Explain(const AccessRequest& request) const {
  Explanation e{Decide(request), ""};
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat("request: ", std::string(ActionName(request.action)), " by ",
                               std::string(request.principal)));
  const v1::Person* person = policy_->FindPerson(request.principal);
  if (person == nullptr) {
    lines.push_back("person: no person in policy version " + std::to_string(policy_->version()) +
                    " holds this certificate");
  } else {
    lines.push_back(absl::StrCat("person: ", person->id(), " \"", person->display_name(),
                                 "\"; roles: ", Roles(*person)));
    lines.push_back(absl::StrCat(
        "valid now: ", policy_->IsValidAt(*person, request.now_unix_seconds) ? "yes" : "no"));
    if (request.record != nullptr) {
      const std::string reason = ScopeReason(*person, *request.record);
      // In or out of scope only: where the record is from (region, facility) is need-to-know.
      lines.push_back(absl::StrCat("record: ", request.record->record_id,
                                   "; scope: ", reason.empty() ? "out of scope" : "in scope"));
    }
    if (request.action == Action::kGetRecord) lines.push_back(BreakGlassLine(request.break_glass));
    if (request.purpose != v1::PURPOSE_UNSPECIFIED) {
      lines.push_back(PurposeLine(*policy_, *person, request));
    }
  }
  lines.push_back("decision: " + e.decision.rule);
  std::vector<std::string> sections;
  for (const SectionGrant& g : e.decision.sections) {
    sections.push_back(absl::StrCat(SectionName(g.section), " (", RoleName(g.role), ")"));
  }
  if (!sections.empty()) lines.push_back("sections: " + absl::StrJoin(sections, ", "));
  e.text = absl::StrJoin(lines, "\n") + "\n";
  return e;
}

}  // namespace confidant::policy
