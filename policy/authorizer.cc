#include "policy/authorizer.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "policy/authorizer_internal.h"

namespace confidant::policy {
namespace internal {

bool Contains(const google::protobuf::RepeatedField<int>& values, int value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

Decision Deny(std::string rule) {
  Decision d;
  d.outcome = Decision::Outcome::kDeny;
  d.rule = std::move(rule);
  return d;
}

Decision Allow(v1::Role role, bool break_glass) {
  Decision d;
  d.outcome = Decision::Outcome::kAllow;
  d.rule = absl::StrCat(break_glass ? "allow:break-glass/" : "allow:grant/", RoleName(role));
  d.role = role;
  d.break_glass = break_glass;
  return d;
}

Decision NoGrant(Action action) {
  return Deny(absl::StrCat("deny:no-grant/", std::string(ActionName(action))));
}

bool GrantAllows(const v1::RoleGrant& g, Action action) {
  const bool reading = !IsNonReadingRole(g.role());
  switch (action) {
    case Action::kGetIntakeKey:
    case Action::kSubmitRecord:
      return g.may_submit() && reading;  // never approver, auditor, reporting or custodian
    case Action::kListRecords:
      return g.may_list() && reading;
    case Action::kReadAudit:
      return g.may_read_audit() && g.role() == v1::AUDITOR;
    case Action::kReloadPolicy:
      return g.may_reload_policy() && g.role() == v1::CUSTODIAN;
    case Action::kOperateVault:
      return g.may_operate_vault() && g.role() == v1::CUSTODIAN;
    case Action::kRequestErasure:
      return g.may_request_erasure() && reading;
    case Action::kApproveErasure:
      return g.may_approve_erasure() && g.role() == v1::APPROVER;
    case Action::kApproveBreakGlass:
      return g.may_approve_break_glass() && g.role() == v1::APPROVER;
    case Action::kRecordConsent:
      return g.may_record_consent() && reading;
    case Action::kLinkPersons:
      return g.may_link_persons() && reading;
    case Action::kReadReports:
      return g.may_read_reports() && g.role() == v1::REPORTING;
    case Action::kRequestBreakGlass:
      return g.may_request_break_glass() && reading;
    case Action::kAmendRecord:
      return g.may_amend_own() && g.may_submit();
    case Action::kGetRecord:
      return g.readable_sections_size() > 0 && reading;
    case Action::kReadCheckpoint:
    case Action::kCheckHealth:
    case Action::kListOwnRequests:
      return false;  // open to every known person: decided in Decide, never by a grant
  }
  return false;
}

v1::Role FirstRole(const Policy& policy, const v1::Person& person, Action action) {
  for (int r : person.roles()) {
    const v1::RoleGrant* grant = policy.GrantFor(static_cast<v1::Role>(r));
    if (grant != nullptr && GrantAllows(*grant, action)) return grant->role();
  }
  return v1::ROLE_UNSPECIFIED;
}

bool ReadBarred(const v1::Person& person) {
  bool any_reading = false;
  for (int r : person.roles()) {
    const auto role = static_cast<v1::Role>(r);
    if (IsExcludedFromReading(role)) return true;
    any_reading = any_reading || !IsNonReadingRole(role);
  }
  return !any_reading;
}

}  // namespace internal

namespace {

using internal::Allow;
using internal::Contains;
using internal::Deny;
using internal::FirstRole;
using internal::GrantAllows;
using internal::NoGrant;
using internal::ReadBarred;

bool IsRead(Action action) {
  return action == Action::kGetRecord || action == Action::kRequestBreakGlass;
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
    case Action::kAmendRecord:
      return "amend_record";
    case Action::kRequestBreakGlass:
      return "request_break_glass";
    case Action::kApproveBreakGlass:
      return "approve_break_glass";
    case Action::kRecordConsent:
      return "record_consent";
    case Action::kReloadPolicy:
      return "reload_policy";
    case Action::kOperateVault:
      return "operate_vault";
    case Action::kRequestErasure:
      return "request_erasure";
    case Action::kApproveErasure:
      return "approve_erasure";
    case Action::kLinkPersons:
      return "link_persons";
    case Action::kReadReports:
      return "read_reports";
    case Action::kCheckHealth:
      return "check_health";
    case Action::kListOwnRequests:
      return "list_own_requests";
  }
  return "unknown";
}

std::string ScopeReason(const v1::Person& person, const RecordFacts& record) {
  const v1::Scope& scope = person.scope();
  if (scope.everywhere()) return "everywhere";
  if (record.region != v1::REGION_UNSPECIFIED && Contains(scope.regions(), record.region)) {
    return absl::StrCat("region ", RegionName(record.region));
  }
  if (!record.facility_id.empty() && std::find(scope.facilities().begin(), scope.facilities().end(),
                                               record.facility_id) != scope.facilities().end()) {
    return absl::StrCat("facility ", record.facility_id);
  }
  return "";
}

bool Authorizer::InScope(const v1::Person& person, const RecordFacts& record) const {
  return !ScopeReason(person, record).empty();
}

Decision Authorizer::Decide(const AccessRequest& request) const {
  const v1::Person* person = policy_->FindPerson(request.principal);
  if (person == nullptr) {
    Decision d = Deny("deny:unknown-principal");
    d.outcome = Decision::Outcome::kUnknownPrincipal;
    return d;
  }
  Decision d;
  if (!policy_->IsValidAt(*person, request.now_unix_seconds)) {
    d = Deny("deny:person-not-valid-now");
  } else if (IsRead(request.action) && ReadBarred(*person)) {
    d = Deny("deny:separation-of-duties");
  } else if ((request.action == Action::kReadCheckpoint ||
              request.action == Action::kListOwnRequests) &&
             person->roles_size() == 1 && person->roles(0) == v1::REPORTING) {
    // The log's exact size counts audited events (interviews filed at a tiny facility among
    // them): reporting-only persons get frozen, noisy releases and nothing else.
    d = Deny("deny:reporting-only");
  } else if (request.action == Action::kReadCheckpoint) {
    d.outcome = Decision::Outcome::kAllow;
    d.rule = "allow:log-open-to-every-person";
  } else if (request.action == Action::kCheckHealth) {
    // Tells only whether the vault is serving (unsealed); every person may ask, and is audited.
    d.outcome = Decision::Outcome::kAllow;
    d.rule = "allow:health-open-to-every-person";
  } else if (request.action == Action::kListOwnRequests) {
    // Only what the person filed themselves: nothing they could not already know.
    d.outcome = Decision::Outcome::kAllow;
    d.rule = "allow:own-requests";
  } else if (request.action == Action::kGetRecord) {
    d = DecideRead(request, *person);
  } else if (request.action == Action::kAmendRecord) {
    d = DecideAmend(request, *person);
  } else if (request.action == Action::kRequestBreakGlass ||
             request.action == Action::kApproveBreakGlass) {
    d = DecideBreakGlass(request, *person);
  } else if (request.action == Action::kApproveErasure) {
    const v1::Role role = FirstRole(*policy_, *person, request.action);
    if (role == v1::ROLE_UNSPECIFIED) {
      d = NoGrant(request.action);
    } else if (request.requester_person_id.empty()) {
      d = Deny("deny:requester-required");
    } else if (request.requester_person_id == person->id()) {
      d = Deny("deny:self-approval");
    } else {
      d = Allow(role);
    }
  } else {
    d = DecideFlag(request, *person);
  }
  d.person_id = person->id();
  return d;
}

Decision Authorizer::DecideFlag(const AccessRequest& request, const v1::Person& person) const {
  const v1::Role role = FirstRole(*policy_, person, request.action);
  if (role == v1::ROLE_UNSPECIFIED) return NoGrant(request.action);
  if (request.action == Action::kRecordConsent) {
    if (request.record == nullptr) return Deny("deny:record-required");
    if (request.purpose == v1::PURPOSE_UNSPECIFIED) return Deny("deny:purpose-required");
  }
  if ((request.action == Action::kRequestErasure || request.action == Action::kLinkPersons) &&
      request.record == nullptr) {
    return Deny("deny:record-required");
  }
  // Reporting is for persons whose only role is reporting (docs/ARCHITECTURE.md "Reporting").
  if (request.action == Action::kReadReports &&
      (person.roles_size() != 1 || person.roles(0) != v1::REPORTING)) {
    return Deny("deny:reporting-only");
  }
  const bool scoped = request.action == Action::kListRecords ||
                      request.action == Action::kSubmitRecord ||
                      request.action == Action::kRecordConsent ||
                      request.action == Action::kRequestErasure ||
                      request.action == Action::kLinkPersons;
  if (scoped && request.record != nullptr && !InScope(person, *request.record)) {
    return Deny("deny:scope");
  }
  return Allow(role);
}

Decision Authorizer::DecideAmend(const AccessRequest& request, const v1::Person& person) const {
  const v1::Role role = FirstRole(*policy_, person, Action::kAmendRecord);
  if (role == v1::ROLE_UNSPECIFIED) return NoGrant(Action::kAmendRecord);
  const RecordFacts* record = request.record;
  if (record == nullptr) return Deny("deny:record-required");
  if (!InScope(person, *record)) return Deny("deny:scope");
  if (record->submitter_person_id != person.id()) return Deny("deny:not-submitter");
  if (request.now_unix_seconds - record->submitted_unix_seconds >
      policy_->amendment_window_seconds()) {
    return Deny("deny:amendment-window");
  }
  return Allow(role);
}

Decision Authorizer::DecideBreakGlass(const AccessRequest& request,
                                      const v1::Person& person) const {
  if (request.action == Action::kApproveBreakGlass) {
    const v1::Role role = FirstRole(*policy_, person, request.action);
    if (role == v1::ROLE_UNSPECIFIED) return NoGrant(request.action);
    if (request.requester_person_id.empty()) return Deny("deny:requester-required");
    if (request.requester_person_id == person.id()) return Deny("deny:self-approval");
    return Allow(role);
  }
  if (FirstRole(*policy_, person, request.action) == v1::ROLE_UNSPECIFIED) {
    return NoGrant(request.action);
  }
  if (request.purpose == v1::PURPOSE_UNSPECIFIED) return Deny("deny:purpose-required");
  for (int r : person.roles()) {
    const v1::RoleGrant* grant = policy_->GrantFor(static_cast<v1::Role>(r));
    if (grant != nullptr && GrantAllows(*grant, request.action) &&
        Contains(grant->purposes(), request.purpose)) {
      return Allow(grant->role());
    }
  }
  return Deny("deny:purpose-not-allowed-for-role");
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
