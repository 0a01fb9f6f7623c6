// PolicyTimer: one thread that runs a task with the policy in force, first `first_delay` after
// Start, then every `period` (real time), until Stop or destruction. The vault's periodic jobs
// (retention, role key rotation) are built on it; what is due is decided on the vault's clock.
#ifndef CONFIDANT_SERVER_POLICY_TIMER_H_
#define CONFIDANT_SERVER_POLICY_TIMER_H_

#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "policy/authorizer.h"

namespace confidant::server {

// Thread-safe.
class PolicyTimer {
 public:
  PolicyTimer(std::shared_ptr<const policy::Authorizer> authorizer, absl::Duration first_delay,
              absl::Duration period)
      : first_delay_(first_delay), period_(period), authorizer_(std::move(authorizer)) {}
  ~PolicyTimer() { Stop(); }
  PolicyTimer(const PolicyTimer&) = delete;
  PolicyTimer& operator=(const PolicyTimer&) = delete;

  // Starts the thread; `tick` runs on it without any lock of this object held. Call once, when
  // everything `tick` uses is built.
  void Start(std::function<void()> tick) ABSL_LOCKS_EXCLUDED(mu_);

  // The policy later ticks use (after a reload), and the one in force now (may be null).
  void SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer)
      ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<const policy::Authorizer> authorizer() const ABSL_LOCKS_EXCLUDED(mu_);

  // Ends the thread, waiting for a tick in progress. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const absl::Duration first_delay_;
  const absl::Duration period_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const policy::Authorizer> authorizer_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_POLICY_TIMER_H_
