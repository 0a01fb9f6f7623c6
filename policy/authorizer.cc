#include "policy/authorizer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace confidant::policy {
namespace {

bool Contains(const google::protobuf::RepeatedField<int>& values, int value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

Decision Deny(std::string rule) {
  Decision d;
  d.outcome = Decision::Outcome::kDeny;
  d.rule = std::move(rule);
  return d;
}

// Records that `role`'s grant allows the request.
void Grant(Decision& decision, v1::Role role) {
  decision.rule = absl::StrCat("allow:grant/", RoleName(role));
  decision.role = role;
}

}  // namespace

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kGetIntakeKey:
      return "get_intake_key";
    case Action::kSubmitRecord:
      return "submit_record";
    case Action::kGetRecord:
      return "get_record";
    case Action::kListRecords:
      return "list_records";
    case Action::kReadCheckpoint:
      return "read_checkpoint";
    case Action::kReadAudit:
      return "read_audit";
  }
  return "unknown";
}

Decision Authorizer::Decide(const AccessRequest& request) const {
  const v1::Principal* principal = policy_->FindPrincipal(request.principal);
  if (principal == nullptr) {
    Decision d;
    d.outcome = Decision::Outcome::kUnknownPrincipal;
    d.rule = "deny:unknown-principal";
    return d;
  }
  if (request.action == Action::kReadCheckpoint) {
    Decision open;
    open.outcome = Decision::Outcome::kAllow;
    open.rule = "allow:log-open-to-every-principal";
    return open;
  }
  const bool is_read = request.action == Action::kGetRecord;
  if (is_read && request.purpose == v1::PURPOSE_UNSPECIFIED) return Deny("deny:purpose-required");

  Decision allow;
  bool purpose_refused = false;
  for (int r : principal->roles()) {
    const v1::Role role = static_cast<v1::Role>(r);
    const v1::RoleGrant* grant = policy_->GrantFor(role);
    if (grant == nullptr) continue;
    switch (request.action) {
      case Action::kGetIntakeKey:
      case Action::kSubmitRecord:
        if (grant->may_submit()) Grant(allow, role);
        break;
      case Action::kListRecords:
        if (grant->may_list()) Grant(allow, role);
        break;
      case Action::kReadAudit:
        if (grant->may_read_audit() && role == v1::AUDITOR) Grant(allow, role);
        break;
      case Action::kReadCheckpoint:
        break;
      case Action::kGetRecord:
        if (IsNonReadingRole(role) || grant->readable_sections_size() == 0) break;
        if (!Contains(grant->purposes(), request.purpose)) {
          purpose_refused = true;
          break;
        }
        for (int s : grant->readable_sections()) {
          const auto section = static_cast<v1::Section>(s);
          const bool have = std::any_of(allow.sections.begin(), allow.sections.end(),
                                        [&](const SectionGrant& g) { return g.section == section; });
          if (!have) allow.sections.push_back({section, role});
        }
        if (allow.rule.empty()) Grant(allow, role);
        break;
    }
    if (!allow.rule.empty() && !is_read) break;
  }
  if (allow.rule.empty()) {
    if (purpose_refused) return Deny("deny:purpose-not-allowed-for-role");
    return Deny(absl::StrCat("deny:no-grant/", std::string(ActionName(request.action))));
  }
  std::sort(allow.sections.begin(), allow.sections.end(),
            [](const SectionGrant& a, const SectionGrant& b) { return a.section < b.section; });
  allow.outcome = Decision::Outcome::kAllow;
  return allow;
}

std::vector<v1::Role> Authorizer::RolesThatRead(v1::Section section) const {
  std::vector<v1::Role> roles;
  for (const v1::RoleGrant& grant : policy_->proto().role_grants()) {
    if (IsNonReadingRole(grant.role())) continue;
    if (Contains(grant.readable_sections(), section)) roles.push_back(grant.role());
  }
  std::sort(roles.begin(), roles.end());
  return roles;
}

}  // namespace confidant::policy
