#include "policy/grant_changes.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace confidant::policy {
namespace {

std::set<v1::Section> ReadSections(const SectionGrantSet& grants) {
  std::set<v1::Section> sections;
  for (const auto& [role, section] : grants) sections.insert(section);
  return sections;
}

}  // namespace

SectionGrantSet SectionGrants(const Policy& policy) {
  SectionGrantSet grants;
  for (const v1::RoleGrant& grant : policy.proto().role_grants()) {
    if (IsNonReadingRole(grant.role())) continue;
    for (int section : grant.readable_sections()) {
      grants.emplace(grant.role(), static_cast<v1::Section>(section));
    }
  }
  return grants;
}

std::vector<GrantChange> SectionGrantChanges(const Policy& before, const Policy& after) {
  return SectionGrantChanges(SectionGrants(before), SectionGrants(after));
}

std::string EncodeSectionGrants(const SectionGrantSet& grants) {
  std::string bytes;
  for (const auto& [role, section] : grants) {
    bytes.push_back(static_cast<char>(role));
    bytes.push_back(static_cast<char>(section));
  }
  return bytes;
}

std::optional<SectionGrantSet> DecodeSectionGrants(std::string_view bytes) {
  if (bytes.size() % 2 != 0) return std::nullopt;
  SectionGrantSet grants;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    const int role = static_cast<uint8_t>(bytes[i]);
    const int section = static_cast<uint8_t>(bytes[i + 1]);
    if (!v1::Role_IsValid(role) || !v1::Section_IsValid(section)) return std::nullopt;
    grants.emplace(static_cast<v1::Role>(role), static_cast<v1::Section>(section));
  }
  return grants;
}

std::vector<GrantChange> SectionGrantChanges(const SectionGrantSet& old_grants,
                                             const SectionGrantSet& new_grants) {
  SectionGrantSet all = old_grants;
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
