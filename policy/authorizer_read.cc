// Authorizer::DecideRead: scope or break-glass, purpose, consent, sections.
#include <algorithm>
#include <set>
#include <vector>

#include "policy/authorizer.h"
#include "policy/authorizer_internal.h"

namespace confidant::policy {
namespace {

using internal::Allow;
using internal::Contains;
using internal::Deny;
using internal::GrantAllows;
using internal::NoGrant;

// The grants of the person's roles that may read sections, in the person's role order.
std::vector<const v1::RoleGrant*> ReadingGrants(const Policy& policy, const v1::Person& person) {
  std::vector<const v1::RoleGrant*> grants;
  for (int r : person.roles()) {
    const v1::RoleGrant* grant = policy.GrantFor(static_cast<v1::Role>(r));
    if (grant != nullptr && GrantAllows(*grant, Action::kGetRecord)) grants.push_back(grant);
  }
  return grants;
}

template <typename Pred>
void KeepIf(std::vector<const v1::RoleGrant*>& grants, Pred pred) {
  grants.erase(std::remove_if(grants.begin(), grants.end(),
                              [&](const v1::RoleGrant* g) { return !pred(*g); }),
               grants.end());
}

// The union of the grants' sections, each attributed to the first grant that holds it.
std::vector<SectionGrant> UnionOfSections(const std::vector<const v1::RoleGrant*>& grants) {
  std::vector<SectionGrant> sections;
  for (const v1::RoleGrant* grant : grants) {
    for (int s : grant->readable_sections()) {
      const auto section = static_cast<v1::Section>(s);
      const bool have = std::any_of(sections.begin(), sections.end(),
                                    [&](const SectionGrant& g) { return g.section == section; });
      if (!have) sections.push_back({section, grant->role()});
    }
  }
  std::sort(sections.begin(), sections.end(),
            [](const SectionGrant& a, const SectionGrant& b) { return a.section < b.section; });
  return sections;
}

bool ConsentGiven(const RecordFacts& record, v1::Purpose purpose) {
  auto it = record.consent.find(purpose);
  return it != record.consent.end() && it->second == Consent::kGiven;
}

}  // namespace

std::string Authorizer::CheckBreakGlass(const AccessRequest& request,
                                        const v1::Person& person) const {
  const BreakGlassGrant* grant = request.break_glass;
  if (grant == nullptr || request.record->record_id.empty() ||
      grant->record_id != request.record->record_id || grant->requester_person_id != person.id()) {
    return "deny:scope";
  }
  std::set<std::string> approvers;
  for (const std::string& id : grant->approver_person_ids) {
    if (!id.empty() && id != person.id()) approvers.insert(id);
  }
  if (approvers.size() < std::max<uint32_t>(1, policy_->min_break_glass_approvals())) {
    return "deny:break-glass-not-approved";
  }
  if (request.now_unix_seconds >= grant->expires_unix_seconds) return "deny:break-glass-expired";
  if (grant->purpose != v1::PURPOSE_UNSPECIFIED && grant->purpose != request.purpose) {
    return "deny:break-glass-other-purpose";
  }
  return "";
}

Decision Authorizer::DecideRead(const AccessRequest& request, const v1::Person& person) const {
  std::vector<const v1::RoleGrant*> grants = ReadingGrants(*policy_, person);
  if (grants.empty()) return NoGrant(Action::kGetRecord);
  if (request.record == nullptr) return Deny("deny:record-required");
  const RecordFacts& record = *request.record;
  const bool break_glass = !InScope(person, record);
  if (break_glass) {
    const std::string refused = CheckBreakGlass(request, person);
    if (!refused.empty()) return Deny(refused);
    // Only the roles that may ask for break-glass read through it: their wraps, never more.
    KeepIf(grants, [](const v1::RoleGrant& g) { return g.may_request_break_glass(); });
    if (grants.empty()) return Deny("deny:scope");
  }
  if (request.purpose == v1::PURPOSE_UNSPECIFIED) return Deny("deny:purpose-required");
  KeepIf(grants, [&](const v1::RoleGrant& g) { return Contains(g.purposes(), request.purpose); });
  if (grants.empty()) return Deny("deny:purpose-not-allowed-for-role");
  if (policy_->RequiresConsent(request.purpose) && !ConsentGiven(record, request.purpose)) {
    return Deny("deny:consent");
  }
  std::vector<SectionGrant> sections = UnionOfSections(grants);
  if (request.section != v1::SECTION_UNSPECIFIED) {
    KeepIf(grants, [&](const v1::RoleGrant& g) {
      return Contains(g.readable_sections(), request.section);
    });
    if (grants.empty()) return Deny("deny:section");
    sections.assign(1, SectionGrant{request.section, grants.front()->role()});
  }
  Decision d = Allow(grants.front()->role(), break_glass);
  d.sections = std::move(sections);
  return d;
}

}  // namespace confidant::policy
