// Differences in section grants between two policies: which role gains or loses which record
// section. A reload with changes starts the wrap job (server/rewrapper.h) that adds wraps for
// gained sections and deletes those of lost ones. Pure; thread-safe.
#ifndef CONFIDANT_POLICY_GRANT_CHANGES_H_
#define CONFIDANT_POLICY_GRANT_CHANGES_H_

#include <string>
#include <vector>

#include "policy/policy.h"

namespace confidant::policy {

struct GrantChange {
  v1::Role role = v1::ROLE_UNSPECIFIED;
  v1::Section section = v1::SECTION_UNSPECIFIED;
  bool granted = false;  // true: the role gains the section; false: it loses it
};

// The (role, section) pairs whose grant differs between `before` and `after`, in (role,
// section) order. Only roles that may read sections count (IsNonReadingRole roles never hold a
// wrap, whatever a policy says).
std::vector<GrantChange> SectionGrantChanges(const Policy& before, const Policy& after);

// Sections that `before` grants to at least one reading role and `after` grants to none. A
// reload that leaves such a section is refused: deleting its last wraps would crypto-shred it in
// every record, which only retention or a two-person erasure may do.
std::vector<v1::Section> SectionsLeftUnread(const Policy& before, const Policy& after);

// "case_officer +health, health_reviewer -interview" (empty for no change).
std::string DescribeGrantChanges(const std::vector<GrantChange>& changes);

}  // namespace confidant::policy

#endif  // CONFIDANT_POLICY_GRANT_CHANGES_H_
