#include "server/policy_grants.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/log.h"
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

absl::Status StartWrapJobForGrants(OpenVault& open, const policy::Policy& before,
                                   const policy::Policy& after) {
  const std::vector<policy::GrantChange> changes = policy::SectionGrantChanges(before, after);
  if (changes.empty()) return absl::OkStatus();
  const std::string described = policy::DescribeGrantChanges(changes);
  const std::string trigger = absl::StrCat("policy version ", after.version(), ": ", described);
  LogEvent(LogLevel::kInfo, "wrap_grants_changed",
           {{"policy_version", std::to_string(after.version())},
            {"changes", std::to_string(changes.size())}});
  return open.rewrapper.StartForGrants(trigger, [&](store::Mutation cursor) -> absl::Status {
    v1::AuditEvent event;
    event.set_action("wrap_grants_changed");
    event.set_decision(v1::ALLOW);
    event.set_rule("vault:policy-grants");
    event.set_status_code("OK");
    event.set_detail(absl::StrCat(trigger,
                                  "; rewrap started: wraps are added for granted and deleted for "
                                  "revoked roles in every record version"));
    return open.recorder.Record(std::move(event), std::move(cursor)).status();
  });
}

}  // namespace confidant::server
