// BreakGlassTimer: closes break-glass requests and grants whose time is up, so that a lapse is
// on the record even when nobody tries to read afterwards (issue 4, "Time").
#ifndef CONFIDANT_SERVER_BREAK_GLASS_TIMER_H_
#define CONFIDANT_SERVER_BREAK_GLASS_TIMER_H_

#include <cstdint>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "policy/authorizer.h"
#include "server/audit_recorder.h"
#include "server/break_glass_store.h"

namespace confidant::server {

// Thread-safe. Borrows `store` and `recorder`, which must outlive it. Owns one thread that runs
// a pass every `period` (real time) until Stop or destruction.
//
// A pass, for every stored request:
//  - a grant (approved, not rejected) whose wall-clock expiry or in-memory monotonic deadline has
//    passed and whose lapse is not yet recorded: an audit entry "break_glass_lapsed" (rule
//    "vault:break-glass-expired") and the request marked lapse_recorded, in one synced batch;
//  - a request neither granted nor rejected that is older than the policy's
//    break_glass_request_hours: an entry "break_glass_request_expired" (rule
//    "vault:break-glass-request-expired") and the request marked request_expired, in one batch.
// Each change is made under the store's decision lock, re-checked on the freshly read request,
// so it cannot cross an approver's decision. A failed write (e.g. the clock is behind the log)
// changes nothing and is tried again on the next pass.
class BreakGlassTimer {
 public:
  BreakGlassTimer(BreakGlassStore& store, AuditRecorder& recorder,
                  std::shared_ptr<const policy::Authorizer> authorizer,
                  absl::Duration period = absl::Seconds(1));
  ~BreakGlassTimer();  // Stop()
  BreakGlassTimer(const BreakGlassTimer&) = delete;
  BreakGlassTimer& operator=(const BreakGlassTimer&) = delete;

  // The policy whose break_glass_request_hours later passes use (after a reload).
  void SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Ends the thread, waiting for a pass in progress. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // One pass at `now_seconds` (wall) and `now_steady_micros` (monotonic), as the thread runs it.
  // Returns the number of audit entries written, or the first error (later requests are still
  // tried).
  absl::StatusOr<int> RunOnce(int64_t now_seconds, int64_t now_steady_micros)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Run();

  BreakGlassStore& store_;
  AuditRecorder& recorder_;
  const absl::Duration period_;
  absl::Mutex mu_;
  std::shared_ptr<const policy::Authorizer> authorizer_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_BREAK_GLASS_TIMER_H_
