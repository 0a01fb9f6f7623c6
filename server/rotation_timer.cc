// Role key rotation on the policy's period.
#include "server/rotation_timer.h"

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "policy/policy.h"
#include "server/clock.h"

namespace confidant::server {
namespace {

std::atomic<int> dev_check_seconds{0};

v1::AuditEvent PeriodEvent(std::string_view action, std::string detail) {
  v1::AuditEvent event;
  event.set_action(std::string(action));
  event.set_decision(v1::ALLOW);
  event.set_rule(kRotationPeriodRule);
  event.set_status_code("OK");
  event.set_detail(std::move(detail));
  return event;
}

absl::Duration FirstDelay() {
  const int dev = dev_check_seconds.load();
  return dev > 0 ? absl::Seconds(dev) : absl::Minutes(10);
}

absl::Duration Period() {
  const int dev = dev_check_seconds.load();
  return dev > 0 ? absl::Seconds(dev) : absl::Hours(1);
}

}  // namespace

void SetDevRotationCheckSeconds(int seconds) { dev_check_seconds.store(seconds); }

void CompactRotatedKeys(store::KvStore& store) {
  if (absl::Status compacted = store.CompactRange(store::Space::kKeys, "", "\xff");
      !compacted.ok()) {
    LogEvent(LogLevel::kWarning, "rotated_keys_not_compacted",
             {{"code", absl::StatusCodeToString(compacted.code())}});
  }
}

RotationTimer::RotationTimer(store::KvStore& store, VaultKeys& keys, Rewrapper& rewrapper,
                             AuditRecorder& recorder,
                             std::shared_ptr<const policy::Authorizer> authorizer)
    : store_(store),
      keys_(keys),
      rewrapper_(rewrapper),
      recorder_(recorder),
      timer_(std::move(authorizer), FirstDelay(), Period()) {
  timer_.Start([this] { Tick(); });
}

RotationTimer::~RotationTimer() { Stop(); }

void RotationTimer::SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer) {
  timer_.SetAuthorizer(std::move(authorizer));
}

void RotationTimer::Stop() { timer_.Stop(); }

absl::StatusOr<bool> RotationTimer::RunOnce(int64_t now_seconds) {
  const std::shared_ptr<const policy::Authorizer> authorizer = timer_.authorizer();
  if (authorizer == nullptr) return false;
  const policy::Policy& policy = authorizer->policy();
  const int64_t days = policy.role_key_rotation_days();
  const int64_t newest = keys_.NewestRoleKekCreatedUnixSeconds();
  if (days == 0 || now_seconds < newest + days * 86400) return false;
  const std::string why =
      absl::StrCat("role keys older than role_key_rotation_days ", days, " (policy version ",
                   policy.version(), ")");
  ASSIGN_OR_RETURN(
      VaultKeys::Rotation rotation,
      keys_.Rotate(now_seconds, recorder_.log_origin(),
                   [&](store::Mutation batch, const VaultKeys::Rotation& planned) {
        std::vector<std::string> roles;
        for (const auto& [role, version] : planned.role_keks) {
          roles.push_back(absl::StrCat(policy::RoleName(role), " v", version));
        }
        std::string detail = absl::StrCat(why, ": role keys: ", absl::StrJoin(roles, ", "),
                                          "; intake v", planned.intake_version, " (v",
                                          planned.retired_intake_version, " retired)");
        if (!planned.destroyed_intake_versions.empty()) {
          absl::StrAppend(&detail, "; intake destroyed: v",
                          absl::StrJoin(planned.destroyed_intake_versions, ", v"));
        }
        absl::StrAppend(&detail, "; identity v", planned.identity_version, ", checkpoint v",
                        planned.checkpoint_version, ", release v", planned.release_version);
        return recorder_
            .RecordWithKeyChange(PeriodEvent("keys_rotated", std::move(detail)),
                                 std::move(batch), planned.checkpoint_change)
            .status();
      }));
  LogEvent(LogLevel::kInfo, "role_keys_rotated_on_period",
           {{"role_keys", absl::StrCat(rotation.role_keks.size())}});
  CompactRotatedKeys(store_);
  RETURN_IF_ERROR(rewrapper_.Start([&](store::Mutation cursor) -> absl::Status {
    std::string detail = absl::StrCat(cursor.empty() ? "resumed from the stored cursor"
                                                     : "started",
                                      " after the rotation: ", why);
    return recorder_.Record(PeriodEvent("rewrap_started", std::move(detail)), std::move(cursor))
        .status();
  }));
  return true;
}

void RotationTimer::Tick() {
  absl::StatusOr<bool> rotated = RunOnce(WallSeconds());
  if (!rotated.ok()) {
    LogEvent(LogLevel::kWarning, "role_key_rotation_failed",
             {{"code", absl::StatusCodeToString(rotated.status().code())}});
  }
}

}  // namespace confidant::server
