#include "policy/policy.h"

#include <utility>

#include "absl/strings/ascii.h"

namespace confidant::policy {

std::string RoleName(v1::Role role) { return absl::AsciiStrToLower(v1::Role_Name(role)); }

std::string SectionName(v1::Section section) {
  return absl::AsciiStrToLower(v1::Section_Name(section));
}

bool IsNonReadingRole(v1::Role role) {
  switch (role) {
    case v1::APPROVER:
    case v1::AUDITOR:
    case v1::REPORTING:
    case v1::CUSTODIAN:
      return true;
    default:
      return false;
  }
}

Policy::Policy(v1::Policy proto) : proto_(std::move(proto)) {
  for (int i = 0; i < proto_.role_grants_size(); ++i) {
    grant_index_.emplace(proto_.role_grants(i).role(), i);
  }
  for (int i = 0; i < proto_.principals_size(); ++i) {
    principal_index_.emplace(proto_.principals(i).uri(), i);
  }
}

const v1::RoleGrant* Policy::GrantFor(v1::Role role) const {
  auto it = grant_index_.find(role);
  return it == grant_index_.end() ? nullptr : &proto_.role_grants(it->second);
}

const v1::Principal* Policy::FindPrincipal(std::string_view uri) const {
  auto it = principal_index_.find(uri);
  return it == principal_index_.end() ? nullptr : &proto_.principals(it->second);
}

}  // namespace confidant::policy
