// Hints for denials, from the caller's own grants only.
#include "policy/denial_hint.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace confidant::policy {

std::vector<v1::Purpose> PurposesOf(const Policy& policy, const v1::Person& person) {
  std::set<v1::Purpose> purposes;
  for (int role : person.roles()) {
    const auto r = static_cast<v1::Role>(role);
    if (IsNonReadingRole(r)) continue;  // never reads, whatever a policy says
    const v1::RoleGrant* grant = policy.GrantFor(r);
    if (grant == nullptr) continue;
    for (int purpose : grant->purposes()) purposes.insert(static_cast<v1::Purpose>(purpose));
  }
  purposes.erase(v1::PURPOSE_UNSPECIFIED);
  return {purposes.begin(), purposes.end()};
}

bool MayRequestBreakGlass(const Policy& policy, const v1::Person& person) {
  return std::any_of(person.roles().begin(), person.roles().end(), [&](int role) {
    const auto r = static_cast<v1::Role>(role);
    const v1::RoleGrant* grant = policy.GrantFor(r);
    return !IsNonReadingRole(r) && grant != nullptr && grant->may_request_break_glass();
  });
}

std::string DenialHint(const Policy& policy, const v1::Person& person, Action action,
                       std::string_view rule) {
  if (rule == "deny:purpose-not-allowed-for-role") {
    const std::vector<v1::Purpose> purposes = PurposesOf(policy, person);
    const char* whose = person.roles_size() == 1 ? "your role" : "your roles";
    if (purposes.empty()) return absl::StrCat("; ", whose, " may state no purpose");
    return absl::StrCat("; ", whose, " may state: ",
                        absl::StrJoin(purposes, ", ", [](std::string* out, v1::Purpose p) {
                          out->append(PurposeName(p));
                        }));
  }
  if (rule == "deny:consent" && action == Action::kGetRecord) {
    const bool may_record = std::any_of(person.roles().begin(), person.roles().end(), [&](int role) {
      const v1::RoleGrant* grant = policy.GrantFor(static_cast<v1::Role>(role));
      return grant != nullptr && grant->may_record_consent();
    });
    return absl::StrCat(
        "; this purpose needs the detainee's consent, which is not on record or was withdrawn. "
        "If the detainee gave it, ",
        may_record ? "record it with: confidant consent RECORD_ID --purpose P --give (add --on "
                     "YYYY-MM-DD if it was not given today), then read again"
                   : "ask a person who may record consent (a case officer in scope) to record "
                     "it, then read again");
  }
  if (rule == "deny:break-glass-expired" && action == Action::kGetRecord) {
    return "; your break-glass grant for this record has lapsed: if you still need it, request "
           "again with confidant break-glass request RECORD_ID --purpose P --reason TEXT";
  }
  if ((action == Action::kApproveBreakGlass || action == Action::kApproveErasure) &&
      rule.starts_with("deny:no-grant")) {
    return action == Action::kApproveBreakGlass
               ? "; only approvers list or decide other persons' requests. To follow your own: "
                 "confidant break-glass list --mine"
               : "; only approvers list or decide other persons' requests. To follow your own: "
                 "confidant erasure list --mine";
  }
  if (rule == "deny:scope" && action == Action::kGetRecord &&
      MayRequestBreakGlass(policy, person)) {
    return "; a record outside your scope can be requested through: confidant break-glass "
           "request RECORD_ID --purpose P --reason TEXT (others must approve it first)";
  }
  return "";
}

}  // namespace confidant::policy
