#include "server/policy_gate.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "crypto/random.h"

namespace confidant::server {
namespace {

constexpr std::string_view kGovernanceKey = kGovernancePinKey;
constexpr std::string_view kVersionKey = "policy/version-in-force";
constexpr std::string_view kHashKey = "policy/hash-in-force";
constexpr std::string_view kMacKey = "policy/state-mac";

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
  ASSIGN_OR_RETURN(auto hash, store.Get(store::Space::kMeta, std::string(kHashKey)));
  absl::MutexLock lock(&gate->mu_);
  if (version.has_value() && !absl::SimpleAtoi(*version, &gate->version_in_force_)) {
    return absl::DataLossError("the stored policy version is malformed");
  }
  gate->hash_in_force_ = hash.value_or("");
  return gate;
}

absl::StatusOr<LoadedPolicy> PolicyGate::Load(bool reload) const {
  uint64_t in_force = 0;
  std::string hash_in_force;
  {
    absl::MutexLock lock(&mu_);
    in_force = version_in_force_;
    hash_in_force = hash_in_force_;
  }
  ASSIGN_OR_RETURN(std::string text, ReadFile(policy_path_, 1 << 20));
  absl::StatusOr<std::string> signatures = ReadFile(policy_path_ + ".sig", 1 << 20);
  if (absl::IsNotFound(signatures.status())) signatures = std::string();
  RETURN_IF_ERROR(signatures.status());
  ASSIGN_OR_RETURN(policy::Policy verified, policy::VerifySignedPolicy(
                                                text, *signatures, keys_, std::max<uint64_t>(in_force, 1)));
  LoadedPolicy loaded;
  loaded.hash_hex = absl::BytesToHexString(crypto::Blake2b256(text));
  if (verified.version() == in_force && reload) {
    return absl::FailedPreconditionError(absl::StrCat(
        "policy version ", in_force, " is already in force; a reload needs a newer version"));
  }
  if (verified.version() == in_force && !hash_in_force.empty() && loaded.hash_hex != hash_in_force) {
    return absl::FailedPreconditionError(absl::StrCat(
        "a different policy file claims version ", in_force,
        ", the version in force; a changed policy needs a newer version"));
  }
  loaded.policy = std::make_shared<const policy::Policy>(std::move(verified));
  return loaded;
}

std::string PolicyGate::StateBytes(uint64_t version, std::string_view hash_hex) const {
  std::string bytes = DomainTag("confidant/v1/policy-state");
  AppendLengthPrefixed(bytes, keys_.ToText());
  AppendU64(bytes, version);
  AppendLengthPrefixed(bytes, hash_hex);
  return bytes;
}

std::string PolicyGate::governance_fingerprint() const {
  return absl::BytesToHexString(crypto::Blake2b256(keys_.ToText())).substr(0, 16);
}

absl::Status PolicyGate::BindToVault(Mac mac, bool new_vault) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto stored, store_.Get(store::Space::kMeta, std::string(kMacKey)));
  if (!stored.has_value() && !new_vault) {
    return absl::DataLossError(
        "this vault's policy state (governance keys, version in force) is not authenticated: it "
        "was removed or rewritten in storage; refusing to serve");
  }
  if (stored.has_value() && *stored != mac(StateBytes(version_in_force_, hash_in_force_))) {
    return absl::DataLossError(
        "this vault's policy state (governance keys, version in force) was altered in storage; "
        "refusing to serve");
  }
  mac_ = std::move(mac);
  return absl::OkStatus();
}

void PolicyGate::Unbind() {
  absl::MutexLock lock(&mu_);
  mac_ = nullptr;
}

absl::Status PolicyGate::MarkInForce(const LoadedPolicy& loaded) {
  absl::MutexLock lock(&mu_);
  const uint64_t version = loaded.policy->version();
  if (version < version_in_force_) {
    return absl::FailedPreconditionError("a newer policy came into force meanwhile");
  }
  store::Mutation mark;
  // Conditional on the version this gate believes in force, so two reloads cannot interleave.
  mark.Expect(store::Space::kMeta, std::string(kVersionKey),
              version_in_force_ == 0 ? std::nullopt
                                     : std::optional<std::string>(absl::StrCat(version_in_force_)));
  mark.Put(store::Space::kMeta, std::string(kVersionKey), absl::StrCat(version));
  mark.Put(store::Space::kMeta, std::string(kHashKey), loaded.hash_hex);
  if (mac_) mark.Put(store::Space::kMeta, std::string(kMacKey), mac_(StateBytes(version, loaded.hash_hex)));
  RETURN_IF_ERROR(store_.Commit(mark));
  version_in_force_ = version;
  hash_in_force_ = loaded.hash_hex;
  return absl::OkStatus();
}

}  // namespace confidant::server
