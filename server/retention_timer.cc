// Retention passes: on demand and once a day.
#include "server/retention_timer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "server/clock.h"

namespace confidant::server {
namespace {

// "retention class legal-hold: retention 30 days (policy version 4)"; a class the policy no
// longer declares says so.
std::string RetentionReason(const policy::Policy& policy, const std::string& record_class) {
  const std::string name = record_class.empty() ? policy::kDefaultRecordClass : record_class;
  return absl::StrCat(
      "retention class ", name,
      record_class.empty() || policy.DeclaresRecordClass(record_class)
          ? ""
          : " (no longer declared: the longest period applies)",
      ": retention ", policy.RetentionDaysFor(record_class), " days (policy version ",
      policy.version(), ")");
}

}  // namespace

absl::StatusOr<RetentionPass> RunRetentionPass(Shredder& shredder, const policy::Policy& policy,
                                               int64_t now_seconds, bool confirmed,
                                               const std::string& principal,
                                               const std::string& requested_by) {
  RETURN_IF_ERROR(shredder.CheckClock());
  ASSIGN_OR_RETURN(std::vector<ExpiredRecord> expired,
                   shredder.FindExpired(now_seconds, [&](std::string_view record_class) {
                     return policy.RetentionDaysFor(record_class) * 86400;
                   }));
  RetentionPass pass;
  pass.expired = expired.size();
  pass.limit = policy.max_shred_without_confirmation();
  if (expired.empty()) return pass;
  if (pass.expired > pass.limit && !confirmed) {
    pass.waiting_for_confirmation = true;
    return pass;
  }
  std::vector<std::string> ids;
  ids.reserve(expired.size());
  for (const ExpiredRecord& record : expired) ids.push_back(record.record_id);
  ShredOrder order{
      kRetentionRule,
      absl::StrCat("retention ", policy.retention_days(), " days (policy version ",
                   policy.version(), ")"),
      principal, requested_by};
  for (const ExpiredRecord& record : expired) {
    order.why_by_record[record.record_id] = RetentionReason(policy, record.record_class);
  }
  LogEvent(LogLevel::kInfo, "shred_started", {{"records", absl::StrCat(ids.size())}});
  ASSIGN_OR_RETURN(pass.shredded,
                   shredder.Shred(ids, order, [](size_t done, size_t total) {
                     LogEvent(LogLevel::kInfo, "shred_progress",
                              {{"done", absl::StrCat(done)}, {"total", absl::StrCat(total)}});
                   }));
  LogEvent(LogLevel::kInfo, "shred_finished",
           {{"shredded", absl::StrCat(pass.shredded.size())}, {"compacted", "yes"}});
  return pass;
}

RetentionTimer::RetentionTimer(Shredder& shredder, AuditRecorder& recorder,
                               std::shared_ptr<const policy::Authorizer> authorizer,
                               absl::Duration first_delay, absl::Duration period,
                               BackupEpochs* backup_epochs)
    : shredder_(shredder),
      recorder_(recorder),
      backup_epochs_(backup_epochs),
      first_delay_(first_delay),
      period_(period),
      authorizer_(std::move(authorizer)) {
  thread_ = std::thread([this] { Run(); });
}

RetentionTimer::~RetentionTimer() { Stop(); }

void RetentionTimer::SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer) {
  absl::MutexLock lock(&mu_);
  authorizer_ = std::move(authorizer);
}

void RetentionTimer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

absl::StatusOr<RetentionPass> RetentionTimer::RunOnce(int64_t now_seconds) {
  std::shared_ptr<const policy::Authorizer> authorizer;
  {
    absl::MutexLock lock(&mu_);
    authorizer = authorizer_;
  }
  if (authorizer == nullptr) return RetentionPass();
  ASSIGN_OR_RETURN(RetentionPass pass,
                   RunRetentionPass(shredder_, authorizer->policy(), now_seconds,
                                    /*confirmed=*/false, "", "daily retention run"));
  if (pass.waiting_for_confirmation) {
    v1::AuditEvent event;
    event.set_action("shred_waiting_for_confirmation");
    event.set_decision(v1::DENY);
    event.set_rule("vault:retention-needs-confirmation");
    event.set_status_code("FAILED_PRECONDITION");
    event.set_flagged(true);
    event.set_detail(absl::StrCat(pass.expired, " records are past retention (",
                                  authorizer->policy().retention_days(),
                                  " days), more than max_shred_without_confirmation ", pass.limit,
                                  "; nothing shredded until a custodian confirms"));
    RETURN_IF_ERROR(recorder_.Record(std::move(event)).status());
  }
  if (backup_epochs_ != nullptr) {
    const policy::Policy& policy = authorizer->policy();
    ASSIGN_OR_RETURN(std::vector<uint32_t> destroyed,
                     backup_epochs_->DestroyExpired(
                         now_seconds, BackupWindow{policy.backup_epoch_seconds(),
                                                   policy.backup_retention_seconds()}));
    for (uint32_t epoch : destroyed) {
      LogEvent(LogLevel::kInfo, "backup_epoch_destroyed", {{"epoch", absl::StrCat(epoch)}});
    }
  }
  return pass;
}

void RetentionTimer::Run() {
  absl::MutexLock lock(&mu_);
  absl::Duration wait = first_delay_;
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
    if (stopping_) break;
    wait = period_;
    mu_.Unlock();
    absl::StatusOr<RetentionPass> pass = RunOnce(WallSeconds());
    if (!pass.ok()) {
      LogEvent(LogLevel::kWarning, "retention_run_failed",
               {{"code", absl::StatusCodeToString(pass.status().code())}});
    } else if (pass->waiting_for_confirmation) {
      LogEvent(LogLevel::kWarning, "shred_waiting_for_confirmation",
               {{"records", absl::StrCat(pass->expired)}});
    }
    mu_.Lock();
  }
}

}  // namespace confidant::server
