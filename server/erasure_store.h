// Early-erasure requests in storage (index space, "E" || request id -> ErasureRequest sealed
// under the metadata key; see storage.proto). No gRPC and no policy decisions here: the service
// authorises each step and commits each change together with its audit entry.
#ifndef CONFIDANT_SERVER_ERASURE_STORE_H_
#define CONFIDANT_SERVER_ERASURE_STORE_H_

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/store/kv_store.h"
#include "server/store/storage.pb.h"
#include "server/vault_keys.h"

namespace confidant::server {

// True while `request` is neither decided nor expired: its policy's erasure_request_seconds
// (`ttl_seconds`) have not passed at `now` and the timer has not closed it.
bool ErasureRequestOpen(const storage::v1::ErasureRequest& request, int64_t ttl_seconds,
                        int64_t now);

// Thread-safe. Borrows `store` and `keys`. Decisions are serialised (one at a time), so a request
// is decided once.
class ErasureStore {
 public:
  ErasureStore(store::KvStore& store, const VaultKeys& keys) : store_(store), keys_(keys) {}
  ErasureStore(const ErasureStore&) = delete;
  ErasureStore& operator=(const ErasureStore&) = delete;

  // A new request with a fresh random id (filled in) and the mutation storing it.
  absl::StatusOr<store::Mutation> CreateMutation(storage::v1::ErasureRequest& request) const;

  // Under the creation lock, so two concurrent requests cannot both pass `admit`: `admit` sees
  // every stored request (to count the open ones; its error is returned as is), then `request`
  // gets a fresh id and the mutation storing it goes to `commit` (with its audit entry).
  using AdmitFn = std::function<absl::Status(const std::vector<storage::v1::ErasureRequest>&)>;
  absl::Status Create(storage::v1::ErasureRequest& request, const AdmitFn& admit,
                      const std::function<absl::Status(store::Mutation)>& commit)
      ABSL_LOCKS_EXCLUDED(create_mu_);

  // Every stored request, in id order. DATA_LOSS if one does not open.
  absl::StatusOr<std::vector<storage::v1::ErasureRequest>> All() const;

  // Under the decision lock: loads `request_id` (NOT_FOUND), lets `decide` change it, and passes
  // the mutation storing the changed request to `commit` (with its audit entry, one batch).
  using DecideFn = std::function<absl::Status(storage::v1::ErasureRequest&)>;
  using CommitFn = std::function<absl::Status(store::Mutation)>;
  absl::Status Decide(std::string_view request_id, const DecideFn& decide, const CommitFn& commit)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::StatusOr<store::Mutation> Seal(const storage::v1::ErasureRequest& request) const;

  store::KvStore& store_;
  const VaultKeys& keys_;
  absl::Mutex create_mu_;  // serialises Create
  absl::Mutex mu_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_ERASURE_STORE_H_
