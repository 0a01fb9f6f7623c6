// Which facilities the registry (the signed policy's facility list) has dropped, and when, so
// that a record sealed on a field laptop before its facility was dropped is not lost: the vault
// accepts it for kIntakeGraceSeconds after the drop (the same window as a retired intake key,
// server/vault_keys.h), when the envelope was made before the drop and names the facility's
// last registered region. Everything else about the submission is checked as usual.
//
// Kept in kMeta "facility-history" sealed under the metadata key (storage.proto
// FacilityHistory). Updated each time a policy comes into force (unseal, start, reload:
// server/vault_server.cc); a facility dropped before the vault first saw this history is not
// known to have been registered and gets no grace. Thread-safe.
#ifndef CONFIDANT_SERVER_FACILITY_HISTORY_H_
#define CONFIDANT_SERVER_FACILITY_HISTORY_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "policy/catalogue.h"
#include "server/store/kv_store.h"
#include "server/vault_keys.h"

namespace confidant::server {

class FacilityHistory {
 public:
  // Borrows `store` and `keys`. A history that does not open is logged and started afresh (it
  // only ever widens what is accepted, within the grace).
  FacilityHistory(store::KvStore& store, const VaultKeys& keys);
  FacilityHistory(const FacilityHistory&) = delete;
  FacilityHistory& operator=(const FacilityHistory&) = delete;

  // Notes the facility list of the policy coming into force at `now`: listed facilities are
  // current; known ones it no longer lists are dropped as of `now`; drops older than the grace
  // are forgotten. Saved when changed. A policy without a facility list changes nothing.
  absl::Status Observe(const policy::Catalogue& catalogue, int64_t now);

  // True when `facility_id` was dropped from the registry less than kIntakeGraceSeconds before
  // `now`, after `envelope_created` (the envelope was made while it was registered), and was
  // registered in `region`.
  bool AcceptsDropped(std::string_view facility_id, int region, int64_t envelope_created,
                      int64_t now) const;

 private:
  struct Known {
    int region = 0;
    int64_t retired = 0;  // 0 while listed
  };
  absl::Status Save() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  store::KvStore& store_;
  const VaultKeys& keys_;
  mutable absl::Mutex mu_;
  std::map<std::string, Known, std::less<>> known_ ABSL_GUARDED_BY(mu_);
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_FACILITY_HISTORY_H_
