// PolicyGate: the only way a policy comes into force. It must carry K of N valid signatures by
// the governance keys pinned when the vault was created, and its version only goes up.
#ifndef CONFIDANT_SERVER_POLICY_GATE_H_
#define CONFIDANT_SERVER_POLICY_GATE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "policy/signed_policy.h"
#include "server/store/kv_store.h"

namespace confidant::server {

// Meta key of the governance keys pinned at a vault's first start.
inline constexpr std::string_view kGovernancePinKey = "policy/governance-keys";


struct LoadedPolicy {
  std::shared_ptr<const policy::Policy> policy;
  std::string hash_hex;  // BLAKE2b-256 of the policy file's bytes
};

// Thread-safe. Borrows `store`.
class PolicyGate {
 public:
  // Pins `governance_keys_text` in the meta space on a vault's first start; afterwards the same
  // keys must be given (FAILED_PRECONDITION otherwise: nobody swaps the governance keys of an
  // existing vault). The policy is read from `policy_path` and its signatures from
  // `policy_path` + ".sig" on every Load.
  static absl::StatusOr<std::unique_ptr<PolicyGate>> Create(store::KvStore& store,
                                                            std::string governance_keys_text,
                                                            std::string policy_path);

  // Reads and verifies the files. INVALID_ARGUMENT (line-numbered) for a policy that does not
  // validate; PERMISSION_DENIED for fewer than K valid governance signatures;
  // FAILED_PRECONDITION for a version older than the one in force (`reload`: not newer).
  absl::StatusOr<LoadedPolicy> Load(bool reload) const ABSL_LOCKS_EXCLUDED(mu_);

  // Once the vault is unsealed: `mac` authenticates the stored policy state (pinned governance
  // keys, version and hash in force) with a key only the unsealed vault has. A stored state whose
  // MAC does not match, or an existing vault (`new_vault` false) with no MAC, is DATA_LOSS: the
  // pin or version was removed or rewritten on disk.
  using Mac = std::function<std::string(std::string_view)>;
  absl::Status BindToVault(Mac mac, bool new_vault) ABSL_LOCKS_EXCLUDED(mu_);
  // Drops the MAC (and its key) when the vault is sealed.
  void Unbind() ABSL_LOCKS_EXCLUDED(mu_);

  // Records `loaded` as the policy in force (version, hash and MAC, in the meta space), only if
  // it is newer than the one in force or equal to it (FAILED_PRECONDITION otherwise).
  absl::Status MarkInForce(const LoadedPolicy& loaded) ABSL_LOCKS_EXCLUDED(mu_);

  // BLAKE2b-256 (hex, first 16 characters) of the pinned governance keys, for audit entries.
  std::string governance_fingerprint() const;

 private:
  PolicyGate(store::KvStore& store, policy::GovernanceKeys keys, std::string policy_path)
      : store_(store), keys_(std::move(keys)), policy_path_(std::move(policy_path)) {}
  std::string StateBytes(uint64_t version, std::string_view hash_hex) const;

  store::KvStore& store_;
  const policy::GovernanceKeys keys_;
  const std::string policy_path_;
  mutable absl::Mutex mu_;
  uint64_t version_in_force_ ABSL_GUARDED_BY(mu_) = 0;
  std::string hash_in_force_ ABSL_GUARDED_BY(mu_);
  Mac mac_ ABSL_GUARDED_BY(mu_);
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_POLICY_GATE_H_
