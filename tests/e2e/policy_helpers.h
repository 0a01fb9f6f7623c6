// Helpers for end-to-end tests that change the policy of a running dev vault: sign a policy text
// with the dev governance keys (DEV/governance/gov-N.key), install it as the dev policy, and ask
// the vault to reload it as the dev custodian. Header-only.
#ifndef CONFIDANT_TESTS_E2E_POLICY_HELPERS_H_
#define CONFIDANT_TESTS_E2E_POLICY_HELPERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "confidant/v1/policy_service.grpc.pb.h"
#include "crypto/asymmetric.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"

namespace confidant::testing {

// The dev policy file and its signature sidecar.
inline std::string DevPolicyPath(const VaultProcess& vault) {
  return vault.dev_dir() + "/policy.textproto";
}
inline std::string DevPolicySignaturesPath(const VaultProcess& vault) {
  return DevPolicyPath(vault) + ".sig";
}

// An Ed25519 key pair from a secret key file.
inline absl::StatusOr<crypto::Ed25519KeyPair> KeyPairFromFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string secret, ReadFile(path));
  return crypto::Ed25519KeyPair::FromSecretKey(crypto::SecretBytes::CopyFrom(secret));
}

// Dev governance key `i` (1-based: gov-1, gov-2, gov-3; any two sign a dev policy).
inline absl::StatusOr<crypto::Ed25519KeyPair> DevGovernanceKey(const VaultProcess& vault, int i) {
  return KeyPairFromFile(absl::StrCat(vault.dev_dir(), "/governance/gov-", i, ".key"));
}

// One sidecar line, built from the documented format (policy/signed_policy.h): the key signs
// "confidant/v1/policy" 0x00, a 4-byte big-endian length, then the exact file bytes.
inline std::string PolicySignatureLine(const std::string& text, const std::string& name,
                                       const crypto::Ed25519KeyPair& key) {
  std::string message = std::string("confidant/v1/policy") + '\0';
  const uint32_t n = static_cast<uint32_t>(text.size());
  for (int shift : {24, 16, 8, 0}) message.push_back(static_cast<char>((n >> shift) & 0xff));
  message += text;
  return absl::StrCat(name, " ", absl::Base64Escape(crypto::Sign(key, message)), "\n");
}

// The sidecar with one line per dev governance key in `keys` (e.g. {1, 3}).
inline absl::StatusOr<std::string> SignedByDevKeys(const VaultProcess& vault,
                                                   const std::string& text,
                                                   const std::vector<int>& keys) {
  std::string signatures;
  for (int i : keys) {
    ASSIGN_OR_RETURN(crypto::Ed25519KeyPair key, DevGovernanceKey(vault, i));
    signatures += PolicySignatureLine(text, absl::StrCat("gov-", i), key);
  }
  return signatures;
}

// Replaces the dev policy file and its signatures (each written atomically).
inline absl::Status InstallDevPolicy(const VaultProcess& vault, const std::string& text,
                                     const std::string& signatures) {
  RETURN_IF_ERROR(WriteFileAtomically(DevPolicyPath(vault), text, 0600));
  return WriteFileAtomically(DevPolicySignaturesPath(vault), signatures, 0600);
}

// PolicyService.ReloadPolicy as the dev identity `role`.
inline grpc::Status ReloadPolicyAs(const VaultProcess& vault, const std::string& role,
                                   v1::ReloadPolicyResponse* response = nullptr) {
  auto stub = v1::PolicyService::NewStub(ChannelAs(vault, role));
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::ReloadPolicyResponse ignored;
  return stub->ReloadPolicy(&context, v1::ReloadPolicyRequest(), response ? response : &ignored);
}

// Signs `text` with dev governance keys 1 and 2, installs it, and reloads it as the custodian.
inline absl::Status InstallAndReloadDevPolicy(const VaultProcess& vault, const std::string& text) {
  ASSIGN_OR_RETURN(std::string signatures, SignedByDevKeys(vault, text, {1, 2}));
  RETURN_IF_ERROR(InstallDevPolicy(vault, text, signatures));
  grpc::Status reloaded = ReloadPolicyAs(vault, "custodian");
  if (!reloaded.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(reloaded.error_code()),
                        reloaded.error_message());
  }
  return absl::OkStatus();
}

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_POLICY_HELPERS_H_
