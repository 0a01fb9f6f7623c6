#include "server/policy_gate.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "crypto/random.h"

namespace confidant::server {
namespace {

constexpr std::string_view kGovernanceKey = "policy/governance-keys";
constexpr std::string_view kVersionKey = "policy/version-in-force";

}  // namespace

absl::StatusOr<std::unique_ptr<PolicyGate>> PolicyGate::Create(store::KvStore& store,
                                                               std::string governance_keys_text,
                                                               std::string policy_path) {
  absl::StatusOr<policy::GovernanceKeys> keys = policy::GovernanceKeys::FromText(governance_keys_text);
  if (!keys.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("governance keys rejected:\n", std::string(keys.status().message())));
  }
  const std::string canonical = keys->ToText();
  ASSIGN_OR_RETURN(auto pinned, store.Get(store::Space::kMeta, std::string(kGovernanceKey)));
  if (!pinned.has_value()) {
    store::Mutation pin;
    pin.Expect(store::Space::kMeta, std::string(kGovernanceKey), std::nullopt);
    pin.Put(store::Space::kMeta, std::string(kGovernanceKey), canonical);
    RETURN_IF_ERROR(store.Commit(pin));
  } else if (*pinned != canonical) {
    return absl::FailedPreconditionError(
        "these governance keys differ from the ones pinned when this vault was created");
  }
  std::unique_ptr<PolicyGate> gate(new PolicyGate(store, *std::move(keys), std::move(policy_path)));
  ASSIGN_OR_RETURN(auto version, store.Get(store::Space::kMeta, std::string(kVersionKey)));
  absl::MutexLock lock(&gate->mu_);
  if (version.has_value() && !absl::SimpleAtoi(*version, &gate->version_in_force_)) {
    return absl::DataLossError("the stored policy version is malformed");
  }
  return gate;
}

absl::StatusOr<LoadedPolicy> PolicyGate::Load(bool reload) const {
  uint64_t in_force = 0;
  {
    absl::MutexLock lock(&mu_);
    in_force = version_in_force_;
  }
  ASSIGN_OR_RETURN(std::string text, ReadFile(policy_path_, 1 << 20));
  absl::StatusOr<std::string> signatures = ReadFile(policy_path_ + ".sig", 1 << 20);
  if (absl::IsNotFound(signatures.status())) signatures = std::string();
  RETURN_IF_ERROR(signatures.status());
  const uint64_t min_version = reload ? in_force + 1 : std::max<uint64_t>(in_force, 1);
  ASSIGN_OR_RETURN(policy::Policy verified,
                   policy::VerifySignedPolicy(text, *signatures, keys_, min_version));
  LoadedPolicy loaded;
  loaded.hash_hex = absl::BytesToHexString(crypto::Blake2b256(text));
  loaded.policy = std::make_shared<const policy::Policy>(std::move(verified));
  return loaded;
}

absl::Status PolicyGate::MarkInForce(const LoadedPolicy& loaded) {
  absl::MutexLock lock(&mu_);
  store::Mutation mark;
  mark.Put(store::Space::kMeta, std::string(kVersionKey), absl::StrCat(loaded.policy->version()));
  RETURN_IF_ERROR(store_.Commit(mark));
  version_in_force_ = loaded.policy->version();
  return absl::OkStatus();
}

}  // namespace confidant::server
