#include "server/policy_timer.h"

#include <utility>

namespace confidant::server {

void PolicyTimer::Start(std::function<void()> tick) {
  thread_ = std::thread([this, tick = std::move(tick)] {
    absl::MutexLock lock(&mu_);
    absl::Duration wait = first_delay_;
    while (!stopping_) {
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
      if (stopping_) break;
      wait = period_;
      mu_.Unlock();
      tick();
      mu_.Lock();
    }
  });
}

void PolicyTimer::SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer) {
  absl::MutexLock lock(&mu_);
  authorizer_ = std::move(authorizer);
}

std::shared_ptr<const policy::Authorizer> PolicyTimer::authorizer() const {
  absl::MutexLock lock(&mu_);
  return authorizer_;
}

void PolicyTimer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

}  // namespace confidant::server
