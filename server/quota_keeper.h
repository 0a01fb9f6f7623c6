// QuotaKeeper: keeps the per-person quota counters (server/quota.h) across restarts (issue 13,
// item 3). At construction it adds the saved counters to the tracker; then a thread saves them
// whenever they changed, every `period`, and once more on Stop or destruction (seal, shutdown).
// Saved in kMeta "quota-counters" (storage.proto QuotaCounters), sealed under the metadata key
// with the key as associated data: no plaintext person id or count is at rest. A crash loses at
// most the charges of the last period.
#ifndef CONFIDANT_SERVER_QUOTA_KEEPER_H_
#define CONFIDANT_SERVER_QUOTA_KEEPER_H_

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/quota.h"
#include "server/store/kv_store.h"
#include "server/vault_keys.h"

namespace confidant::server {

class QuotaKeeper {
 public:
  using SecondsClock = std::function<int64_t()>;
  // Borrows `store`, `keys` and `tracker`, which must outlive it. Loads what was saved; a saved
  // value that does not open is logged (quota_counters_unreadable) and counts for nothing.
  QuotaKeeper(store::KvStore& store, const VaultKeys& keys, QuotaTracker& tracker,
              SecondsClock clock, absl::Duration period = absl::Seconds(5));
  ~QuotaKeeper();  // Stop()
  QuotaKeeper(const QuotaKeeper&) = delete;
  QuotaKeeper& operator=(const QuotaKeeper&) = delete;

  // Saves now if anything changed since the last save.
  absl::Status SaveIfChanged() ABSL_LOCKS_EXCLUDED(save_mu_);
  // Ends the thread and saves a last time. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Status Load();
  void Run();

  store::KvStore& store_;
  const VaultKeys& keys_;
  QuotaTracker& tracker_;
  const SecondsClock clock_;
  const absl::Duration period_;
  absl::Mutex save_mu_;
  uint64_t saved_generation_ ABSL_GUARDED_BY(save_mu_) = 0;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_QUOTA_KEEPER_H_
