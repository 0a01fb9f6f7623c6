// Differences in section grants between two policies: which role gains or loses which record
// section. A reload with changes starts the wrap job (server/rewrapper.h) that adds wraps for
// gained sections and deletes those of lost ones. Pure; thread-safe.
#ifndef CONFIDANT_POLICY_GRANT_CHANGES_H_
#define CONFIDANT_POLICY_GRANT_CHANGES_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/policy.h"

namespace confidant::policy {

struct GrantChange {
  v1::Role role = v1::ROLE_UNSPECIFIED;
  v1::Section section = v1::SECTION_UNSPECIFIED;
  bool granted = false;  // true: the role gains the section; false: it loses it
};

// Every (role, section) a policy grants to a role that may read sections (IsNonReadingRole roles
// never hold a wrap, whatever a policy says).
using SectionGrantSet = std::set<std::pair<v1::Role, v1::Section>>;
SectionGrantSet SectionGrants(const Policy& policy);

// The (role, section) pairs whose grant differs between `before` and `after`, in (role,
// section) order.
std::vector<GrantChange> SectionGrantChanges(const SectionGrantSet& before,
                                             const SectionGrantSet& after);
std::vector<GrantChange> SectionGrantChanges(const Policy& before, const Policy& after);

// A grant set as bytes (one role byte and one section byte per pair, in order), to remember
// which grants the stored wraps follow; Decode gives nullopt for bytes Encode did not make.
std::string EncodeSectionGrants(const SectionGrantSet& grants);
std::optional<SectionGrantSet> DecodeSectionGrants(std::string_view bytes);

// Sections that `before` grants to at least one reading role and `after` grants to none. A
// reload that leaves such a section is refused: deleting its last wraps would crypto-shred it in
// every record, which only retention or a two-person erasure may do.
std::vector<v1::Section> SectionsLeftUnread(const Policy& before, const Policy& after);

// "case_officer +health, health_reviewer -interview" (empty for no change).
std::string DescribeGrantChanges(const std::vector<GrantChange>& changes);

}  // namespace confidant::policy

#endif  // CONFIDANT_POLICY_GRANT_CHANGES_H_
