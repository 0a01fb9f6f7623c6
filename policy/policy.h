// A validated access policy. Immutable once created; safe to share across threads.
#ifndef CONFIDANT_POLICY_POLICY_H_
#define CONFIDANT_POLICY_POLICY_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "policy/policy.pb.h"

namespace confidant::policy {

// Lower-case role name as used in key labels and logs, e.g. "case_officer".
std::string RoleName(v1::Role role);
// Lower-case section name, e.g. "identity".
std::string SectionName(v1::Section section);

// Roles whose holders may never read a record section, whatever a policy says (separation of
// duties): approver, auditor, reporting, custodian.
bool IsNonReadingRole(v1::Role role);

class Policy {
 public:
  // Parses protobuf text format and validates it. INVALID_ARGUMENT with one line per problem,
  // each starting "line N:" (1-based) where the problem has a location:
  // syntax errors, unknown roles/sections/purposes, version 0, a role granted twice, sections
  // granted to a non-reading role, a reading role without purposes, empty or duplicate principal
  // URIs, a principal without roles, and a principal holding a reading role together with
  // custodian, auditor or reporting.
  static absl::StatusOr<Policy> FromText(std::string_view text);

  uint64_t version() const { return proto_.version(); }
  const v1::Policy& proto() const { return proto_; }

  // The grant for `role`, or nullptr when the policy grants that role nothing.
  const v1::RoleGrant* GrantFor(v1::Role role) const;
  // The principal with this URI, or nullptr (unknown caller).
  const v1::Principal* FindPrincipal(std::string_view uri) const;

 private:
  explicit Policy(v1::Policy proto);

  v1::Policy proto_;
  std::map<v1::Role, int> grant_index_;
  std::map<std::string, int, std::less<>> principal_index_;
};

}  // namespace confidant::policy

#endif  // CONFIDANT_POLICY_POLICY_H_
