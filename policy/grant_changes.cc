#include "policy/grant_changes.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace confidant::policy {
namespace {

// Every (role, section) a policy grants to a reading role.
std::set<std::pair<v1::Role, v1::Section>> SectionGrants(const Policy& policy) {
  std::set<std::pair<v1::Role, v1::Section>> grants;
  for (const v1::RoleGrant& grant : policy.proto().role_grants()) {
    if (IsNonReadingRole(grant.role())) continue;
    for (int section : grant.readable_sections()) {
      grants.emplace(grant.role(), static_cast<v1::Section>(section));
    }
  }
  return grants;
}

std::set<v1::Section> ReadSections(const std::set<std::pair<v1::Role, v1::Section>>& grants) {
  std::set<v1::Section> sections;
  for (const auto& [role, section] : grants) sections.insert(section);
  return sections;
}

}  // namespace

std::vector<GrantChange> SectionGrantChanges(const Policy& before, const Policy& after) {
  const auto old_grants = SectionGrants(before);
  const auto new_grants = SectionGrants(after);
  std::set<std::pair<v1::Role, v1::Section>> all = old_grants;
  all.insert(new_grants.begin(), new_grants.end());
  std::vector<GrantChange> changes;
  for (const auto& [role, section] : all) {
    const bool was = old_grants.count({role, section}) > 0;
    const bool is = new_grants.count({role, section}) > 0;
    if (was != is) changes.push_back({role, section, is});
  }
  return changes;
}

std::vector<v1::Section> SectionsLeftUnread(const Policy& before, const Policy& after) {
  const std::set<v1::Section> now_read = ReadSections(SectionGrants(after));
  std::vector<v1::Section> left;
  for (v1::Section section : ReadSections(SectionGrants(before))) {
    if (now_read.count(section) == 0) left.push_back(section);
  }
  return left;
}

std::string DescribeGrantChanges(const std::vector<GrantChange>& changes) {
  std::string text;
  for (const GrantChange& change : changes) {
    absl::StrAppend(&text, text.empty() ? "" : ", ", RoleName(change.role), " ",
                    change.granted ? "+" : "-", SectionName(change.section));
  }
  return text;
}

}  // namespace confidant::policy
