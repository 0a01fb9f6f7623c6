// RequestTimer: closes two-person requests (break-glass requests and grants, early-erasure
// requests) whose time is up, so that a lapse is on the record even when nobody acts afterwards
// (issue 4, "Time"; issue 13, item 1).
#ifndef CONFIDANT_SERVER_REQUEST_TIMER_H_
#define CONFIDANT_SERVER_REQUEST_TIMER_H_

#include <cstdint>
#include <memory>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "policy/authorizer.h"
#include "server/audit_recorder.h"
#include "server/break_glass_store.h"
#include "server/erasure_store.h"

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
//    "vault:break-glass-request-expired") and the request marked request_expired, in one batch;
//  - an early-erasure request neither approved nor rejected that is older than the policy's
//    erasure_request_days: an entry "erasure_request_expired" (rule
//    "vault:erasure-request-expired") and the request marked request_expired, in one batch.
// Each change is made under the store's decision lock, re-checked on the freshly read request,
// so it cannot cross an approver's decision. A failed write (e.g. the clock is behind the log)
// changes nothing and is tried again on the next pass.
class RequestTimer {
 public:
  RequestTimer(BreakGlassStore& store, ErasureStore& erasure, AuditRecorder& recorder,
                  std::shared_ptr<const policy::Authorizer> authorizer,
                  absl::Duration period = absl::Seconds(1));
  ~RequestTimer();  // Stop()
  RequestTimer(const RequestTimer&) = delete;
  RequestTimer& operator=(const RequestTimer&) = delete;

  // The policy whose request windows later passes use (after a reload).
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
  // The erasure part of a pass: (entries written, first error).
  std::pair<int, absl::Status> CloseExpiredErasureRequests(int64_t ttl, int64_t now_seconds);

  BreakGlassStore& store_;
  ErasureStore& erasure_;
  AuditRecorder& recorder_;
  const absl::Duration period_;
  absl::Mutex mu_;
  std::shared_ptr<const policy::Authorizer> authorizer_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_REQUEST_TIMER_H_
