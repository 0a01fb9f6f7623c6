// The request timer: one pass a second over the stored break-glass and erasure requests.
#include "server/request_timer.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "server/clock.h"

namespace confidant::server {
namespace {

enum class Due { kNothing, kLapse, kRequestExpiry };

// What `request` needs at (`now`, `now_steady`), for a policy whose requests wait at most `ttl`.
Due DueAt(const storage::v1::BreakGlassRequest& request, int64_t ttl,
          std::optional<int64_t> steady_deadline, int64_t now, int64_t now_steady) {
  if (!request.rejected_by().empty() || request.request_expired()) return Due::kNothing;
  if (request.expires_unix_seconds() > 0) {  // granted
    const bool passed = now >= request.expires_unix_seconds() ||
                        (steady_deadline.has_value() && now_steady >= *steady_deadline);
    return passed && !request.lapse_recorded() ? Due::kLapse : Due::kNothing;
  }
  return now >= request.created_unix_seconds() + ttl ? Due::kRequestExpiry : Due::kNothing;
}

// The vault-originated entry that says `request` closed (decision ALLOW, like "policy_loaded").
v1::AuditEvent ClosingEvent(const storage::v1::BreakGlassRequest& request, Due due) {
  v1::AuditEvent event;
  const bool lapse = due == Due::kLapse;
  event.set_action(lapse ? "break_glass_lapsed" : "break_glass_request_expired");
  event.set_decision(v1::ALLOW);
  event.set_rule(lapse ? "vault:break-glass-expired" : "vault:break-glass-request-expired");
  event.set_status_code("OK");
  event.add_record_ids(request.record_id());
  event.set_purpose(static_cast<v1::Purpose>(request.purpose()));
  event.set_detail(absl::StrCat(lapse ? "break-glass lapsed " : "break-glass request expired ",
                                request.id()));
  return event;
}

}  // namespace

RequestTimer::RequestTimer(BreakGlassStore& store, ErasureStore& erasure,
                           AuditRecorder& recorder,
                           std::shared_ptr<const policy::Authorizer> authorizer,
                           absl::Duration period)
    : store_(store), erasure_(erasure), recorder_(recorder), period_(period), authorizer_(std::move(authorizer)) {
  thread_ = std::thread([this] { Run(); });
}

RequestTimer::~RequestTimer() { Stop(); }

void RequestTimer::SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer) {
  absl::MutexLock lock(&mu_);
  authorizer_ = std::move(authorizer);
}

void RequestTimer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

absl::StatusOr<int> RequestTimer::RunOnce(int64_t now_seconds, int64_t now_steady_micros) {
  std::shared_ptr<const policy::Authorizer> authorizer;
  {
    absl::MutexLock lock(&mu_);
    authorizer = authorizer_;
  }
  if (authorizer == nullptr) return 0;
  const int64_t ttl = authorizer->policy().break_glass_request_seconds();
  absl::StatusOr<std::vector<storage::v1::BreakGlassRequest>> all = store_.All();
  if (!all.ok()) return all.status();
  int written = 0;
  absl::Status first_error;
  for (const storage::v1::BreakGlassRequest& listed : *all) {
    auto due_now = [&](const storage::v1::BreakGlassRequest& r) {
      return DueAt(r, ttl, store_.SteadyDeadline(r.id()), now_seconds, now_steady_micros);
    };
    const Due due = due_now(listed);
    if (due == Due::kNothing) continue;
    bool changed = false;
    v1::AuditEvent event;
    absl::Status status = store_.Decide(
        listed.id(),
        [&](storage::v1::BreakGlassRequest& fresh) -> absl::Status {
          if (due_now(fresh) != due) return absl::AbortedError("decided meanwhile");
          if (due == Due::kLapse) {
            fresh.set_lapse_recorded(true);
          } else {
            fresh.set_request_expired(true);
          }
          event = ClosingEvent(fresh, due);
          changed = true;
          return absl::OkStatus();
        },
        [&](store::Mutation mutation) -> absl::Status {
          return recorder_.Record(event, std::move(mutation)).status();  // change + entry
        });
    if (!changed) continue;  // an approver or a rejection got there first
    if (!status.ok()) {
      if (first_error.ok()) first_error = status;
      continue;
    }
    if (due == Due::kLapse) store_.ForgetSteadyDeadline(listed.id());
    ++written;
  }
  auto [erasures, erasure_error] =
      CloseExpiredErasureRequests(authorizer->policy().erasure_request_seconds(), now_seconds);
  written += erasures;
  if (first_error.ok()) first_error = erasure_error;
  if (!first_error.ok()) return first_error;
  return written;
}

std::pair<int, absl::Status> RequestTimer::CloseExpiredErasureRequests(int64_t ttl,
                                                                       int64_t now_seconds) {
  absl::StatusOr<std::vector<storage::v1::ErasureRequest>> all = erasure_.All();
  if (!all.ok()) return {0, all.status()};
  auto due = [&](const storage::v1::ErasureRequest& r) {
    return r.decided_by().empty() && !r.request_expired() &&
           !ErasureRequestOpen(r, ttl, now_seconds);
  };
  int written = 0;
  absl::Status first_error;
  for (const storage::v1::ErasureRequest& listed : *all) {
    if (!due(listed)) continue;
    bool changed = false;
    v1::AuditEvent event;
    absl::Status status = erasure_.Decide(
        listed.id(),
        [&](storage::v1::ErasureRequest& fresh) -> absl::Status {
          if (!due(fresh)) return absl::AbortedError("decided meanwhile");
          fresh.set_request_expired(true);
          // Like a decision, the close drops the requester's reason (it stays in the encrypted
          // audit entry of the request).
          fresh.clear_reason();
          event.set_action("erasure_request_expired");
          event.set_decision(v1::ALLOW);
          event.set_rule("vault:erasure-request-expired");
          event.set_status_code("OK");
          event.add_record_ids(fresh.record_id());
          event.set_detail(absl::StrCat("erasure request expired ", fresh.id(), " (requested by ",
                                        fresh.requester_person_id(), ")"));
          changed = true;
          return absl::OkStatus();
        },
        [&](store::Mutation mutation) -> absl::Status {
          return recorder_.Record(event, std::move(mutation)).status();  // change + entry
        });
    if (!changed) continue;
    if (!status.ok()) {
      if (first_error.ok()) first_error = status;
      continue;
    }
    ++written;
  }
  return {written, first_error};
}

void RequestTimer::Run() {
  absl::StatusCode last_failure = absl::StatusCode::kOk;
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), period_);
    if (stopping_) break;
    mu_.Unlock();
    absl::StatusOr<int> pass = RunOnce(WallSeconds(), SteadyMicros());
    if (pass.ok() && *pass > 0) {
      LogEvent(LogLevel::kInfo, "requests_closed", {{"entries", absl::StrCat(*pass)}});
    }
    // One line per change of failure, not one a second while, say, the clock is behind the log.
    const absl::StatusCode code = pass.ok() ? absl::StatusCode::kOk : pass.status().code();
    if (code != absl::StatusCode::kOk && code != last_failure) {
      LogEvent(LogLevel::kWarning, "request_timer_failed",
               {{"code", absl::StatusCodeToString(code)}});
    }
    last_failure = code;
    mu_.Lock();
  }
}

}  // namespace confidant::server
