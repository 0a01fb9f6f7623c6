// Authorizer: the pure access decision. No I/O; deterministic; thread-safe (const).
#ifndef CONFIDANT_POLICY_AUTHORIZER_H_
#define CONFIDANT_POLICY_AUTHORIZER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"

namespace confidant::policy {

enum class Action {
  kGetIntakeKey,
  kSubmitRecord,
  kGetRecord,
  kListRecords,
  kReadCheckpoint,  // open to every known principal
  kReadAudit,
};

std::string_view ActionName(Action action);

struct AccessRequest {
  std::string_view principal;  // URI SAN of the caller
  Action action = Action::kGetRecord;
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;  // required for kGetRecord
};

// A section the caller may read, and the role whose key wrap opens it.
struct SectionGrant {
  v1::Section section = v1::SECTION_UNSPECIFIED;
  v1::Role role = v1::ROLE_UNSPECIFIED;
};

struct Decision {
  enum class Outcome { kAllow, kUnknownPrincipal, kDeny };
  Outcome outcome = Outcome::kDeny;
  std::string rule;                    // the rule that decided, e.g. "allow:grant/case_officer"
  v1::Role role = v1::ROLE_UNSPECIFIED;  // the role whose grant allowed it (first, for reads)
  std::vector<SectionGrant> sections;  // kGetRecord only: what may be released, in section order
  bool allowed() const { return outcome == Outcome::kAllow; }
};

class Authorizer {
 public:
  explicit Authorizer(std::shared_ptr<const Policy> policy) : policy_(std::move(policy)) {}

  // Deny by default: allowed only if some role of the principal grants the action (and, for a
  // read, the purpose and at least one section). Non-reading roles never get sections, even if a
  // policy grants them. Unknown principals get Outcome::kUnknownPrincipal.
  Decision Decide(const AccessRequest& request) const;

  // Roles the policy grants `section` to (never a non-reading role), in role order. These are
  // the roles a new record's data key for `section` is wrapped for.
  std::vector<v1::Role> RolesThatRead(v1::Section section) const;

  const Policy& policy() const { return *policy_; }

 private:
  std::shared_ptr<const Policy> policy_;
};

}  // namespace confidant::policy

#endif  // CONFIDANT_POLICY_AUTHORIZER_H_
