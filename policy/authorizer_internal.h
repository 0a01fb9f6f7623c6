// Internal to policy/: helpers shared by the Authorizer's source files. Not part of the API.
#ifndef CONFIDANT_POLICY_AUTHORIZER_INTERNAL_H_
#define CONFIDANT_POLICY_AUTHORIZER_INTERNAL_H_

#include <string>

#include "google/protobuf/repeated_field.h"
#include "policy/authorizer.h"

namespace confidant::policy::internal {

bool Contains(const google::protobuf::RepeatedField<int>& values, int value);
Decision Deny(std::string rule);
Decision Allow(v1::Role role, bool break_glass = false);
Decision NoGrant(Action action);
// Whether `grant` lets its role perform `action`. Flags reserved to one role, or to reading
// roles, are honoured only there, even if a policy that slipped past the loader sets them.
bool GrantAllows(const v1::RoleGrant& grant, Action action);
// The first of the person's roles (in the order the person lists them) whose grant allows
// `action`, or ROLE_UNSPECIFIED.
v1::Role FirstRole(const Policy& policy, const v1::Person& person, Action action);

// Separation of duties for reads, by person: true if the person holds custodian, auditor or
// reporting, or holds only roles that never read.
bool ReadBarred(const v1::Person& person);

}  // namespace confidant::policy::internal

#endif  // CONFIDANT_POLICY_AUTHORIZER_INTERNAL_H_
