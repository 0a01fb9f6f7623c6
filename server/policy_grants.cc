#include "server/policy_grants.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "policy/grant_changes.h"

namespace confidant::server {

absl::Status CheckSectionsStillRead(const policy::Policy& before, const policy::Policy& after) {
  const std::vector<policy::v1::Section> left = policy::SectionsLeftUnread(before, after);
  if (left.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  for (policy::v1::Section section : left) names.push_back(policy::SectionName(section));
  return absl::FailedPreconditionError(absl::StrCat(
      "policy version ", after.version(), " grants no role the section(s) ",
      absl::StrJoin(names, ", "),
      ": deleting their last wraps would destroy them in every record; erasure goes through "
      "retention or a two-person erasure request. The policy in force stays."));
}

namespace {

constexpr char kSectionGrantsKey[] = "policy/section-grants";

absl::Status StartWrapJob(OpenVault& open, const policy::SectionGrantSet& before,
                          const policy::Policy& after, std::string_view when) {
  const policy::SectionGrantSet grants = policy::SectionGrants(after);
  const std::vector<policy::GrantChange> changes = policy::SectionGrantChanges(before, grants);
  if (changes.empty()) return absl::OkStatus();
  const std::string trigger = absl::StrCat("policy version ", after.version(), std::string(when),
                                           ": ", policy::DescribeGrantChanges(changes));
  LogEvent(LogLevel::kInfo, "wrap_grants_changed",
           {{"policy_version", std::to_string(after.version())},
            {"changes", std::to_string(changes.size())}});
  return open.rewrapper.StartForGrants(trigger, [&](store::Mutation batch) -> absl::Status {
    batch.Put(store::Space::kMeta, kSectionGrantsKey, policy::EncodeSectionGrants(grants));
    v1::AuditEvent event;
    event.set_action("wrap_grants_changed");
    event.set_decision(v1::ALLOW);
    event.set_rule("vault:policy-grants");
    event.set_status_code("OK");
    event.set_detail(absl::StrCat(trigger,
                                  "; rewrap started: wraps are added for granted and deleted for "
                                  "revoked roles in every record version"));
    return open.recorder.Record(std::move(event), std::move(batch)).status();
  });
}

}  // namespace

absl::Status StartWrapJobForGrants(OpenVault& open, const policy::Policy& before,
                                   const policy::Policy& after) {
  return StartWrapJob(open, policy::SectionGrants(before), after, "");
}

absl::Status StartWrapJobIfGrantsChangedWhileDown(OpenVault& open, store::KvStore& store,
                                                  const policy::Policy& in_force) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   store.Get(store::Space::kMeta, kSectionGrantsKey));
  if (!stored.has_value()) {
    store::Mutation first;
    first.Put(store::Space::kMeta, kSectionGrantsKey,
              policy::EncodeSectionGrants(policy::SectionGrants(in_force)));
    return store.Commit(first);
  }
  // Unreadable: compare with nothing, so every grant is visited again.
  const policy::SectionGrantSet before =
      policy::DecodeSectionGrants(*stored).value_or(policy::SectionGrantSet());
  return StartWrapJob(open, before, in_force, " (in force since unseal)");
}

}  // namespace confidant::server
