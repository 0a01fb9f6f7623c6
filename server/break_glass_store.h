// Break-glass requests in storage (index space, "B" || request id -> BreakGlassRequest sealed
// under the metadata key; see storage.proto). No gRPC and no policy decisions here: the service
// authorises each step and commits each change together with its audit entry.
#ifndef CONFIDANT_SERVER_BREAK_GLASS_STORE_H_
#define CONFIDANT_SERVER_BREAK_GLASS_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "policy/authorizer.h"
#include "server/store/kv_store.h"
#include "server/store/storage.pb.h"
#include "server/vault_keys.h"

namespace confidant::server {

// INVALID_ARGUMENT unless `request_id` is 32 lower-case hex characters.
absl::Status ValidateBreakGlassRequestId(std::string_view request_id);

// True when `request` has `min_approvals` approvals, no rejection, and did not expire unanswered.
bool BreakGlassApproved(const storage::v1::BreakGlassRequest& request, uint32_t min_approvals);

// The grant the Authorizer decides on for an approved request, at `now_steady_micros`: its
// stored wall-clock expiry, or 0 (long past) when the timer recorded its lapse or when
// `steady_deadline_micros` (the in-memory monotonic deadline, if this process granted it) has
// passed. So a wall clock set back cannot stretch a grant made in this run; after a restart
// only the wall-clock expiry (and a recorded lapse) remain.
policy::BreakGlassGrant ToGrant(const storage::v1::BreakGlassRequest& request,
                                std::optional<int64_t> steady_deadline_micros,
                                int64_t now_steady_micros);

// Thread-safe. Borrows `store` and `keys`, which must outlive it. Decisions on one vault are
// serialised (mu_), so two approvers cannot both count as the last needed approval.
class BreakGlassStore {
 public:
  BreakGlassStore(store::KvStore& store, const VaultKeys& keys) : store_(store), keys_(keys) {}
  BreakGlassStore(const BreakGlassStore&) = delete;
  BreakGlassStore& operator=(const BreakGlassStore&) = delete;

  // A new request with a fresh random id (filled into `request`) and the mutation storing it;
  // the caller commits it with its audit entry.
  absl::StatusOr<store::Mutation> CreateMutation(storage::v1::BreakGlassRequest& request);

  // Under the creation lock, so two concurrent requests cannot both pass `admit`: `admit` sees
  // every stored request (to count the open ones; its error is returned as is), then `request`
  // gets a fresh id and the mutation storing it goes to `commit` (with its audit entry).
  using AdmitFn = std::function<absl::Status(const std::vector<storage::v1::BreakGlassRequest>&)>;
  absl::Status Create(storage::v1::BreakGlassRequest& request, const AdmitFn& admit,
                      const std::function<absl::Status(store::Mutation)>& commit)
      ABSL_LOCKS_EXCLUDED(create_mu_);

  // Every stored request, oldest id order. DATA_LOSS if one does not open.
  absl::StatusOr<std::vector<storage::v1::BreakGlassRequest>> All() const;

  // The approved request for (`record_id`, `person_id`, `purpose`) that expires last, if any (it
  // may have expired: the Authorizer names that rule). A grant covers only the purpose it was
  // requested and approved for.
  absl::StatusOr<std::optional<storage::v1::BreakGlassRequest>> FindGrant(
      std::string_view record_id, std::string_view person_id, uint32_t purpose,
      uint32_t min_approvals) const;

  // Under the decision lock: loads `request_id` (NOT_FOUND), lets `decide` change it (its
  // status is returned as is), and passes the mutation that stores the changed request to
  // `commit`, which must write it with the audit entry in one synced batch.
  using DecideFn = std::function<absl::Status(storage::v1::BreakGlassRequest&)>;
  using CommitFn = std::function<absl::Status(store::Mutation)>;
  absl::Status Decide(std::string_view request_id, const DecideFn& decide, const CommitFn& commit)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Under the decision lock (so no decision can rewrite them meanwhile): adds the deletion of
  // every stored request for `record_id` to `mutation`, passes it to `commit` (which must write
  // it with its audit entry in one synced batch), and forgets their monotonic deadlines. Sets
  // `deleted` to the storage keys it deleted (index space). DATA_LOSS if a request does not open.
  absl::Status DeleteForRecord(std::string_view record_id, store::Mutation mutation,
                               const CommitFn& commit, std::vector<std::string>& deleted)
      ABSL_LOCKS_EXCLUDED(mu_);

  // In memory only: the monotonic-clock deadline (server/clock.h SteadyMicros) of a grant made
  // by this process, set once its approval is durable. Forgotten when its lapse is recorded.
  void RememberSteadyDeadline(std::string_view request_id, int64_t steady_micros)
      ABSL_LOCKS_EXCLUDED(deadlines_mu_);
  std::optional<int64_t> SteadyDeadline(std::string_view request_id) const
      ABSL_LOCKS_EXCLUDED(deadlines_mu_);
  void ForgetSteadyDeadline(std::string_view request_id) ABSL_LOCKS_EXCLUDED(deadlines_mu_);

 private:
  absl::StatusOr<store::Mutation> Seal(const storage::v1::BreakGlassRequest& request) const;

  store::KvStore& store_;
  const VaultKeys& keys_;
  absl::Mutex create_mu_;  // serialises Create
  absl::Mutex mu_;  // serialises Decide
  mutable absl::Mutex deadlines_mu_;
  std::map<std::string, int64_t, std::less<>> steady_deadlines_ ABSL_GUARDED_BY(deadlines_mu_);
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_BREAK_GLASS_STORE_H_
