// The `confidantd --dev` environment: a dev CA, a server certificate, one client identity per
// role, a dev master key file and the example policy, all under one folder. For development and
// demos only: the master key sits in a file.
#ifndef CONFIDANT_SERVER_DEV_ENVIRONMENT_H_
#define CONFIDANT_SERVER_DEV_ENVIRONMENT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace confidant::server {

extern const char kDevPolicyText[];

// Dev identities (one per person of the example policy: one per role, plus two case officers
// scoped to Ontario and Quebec), in the order they are printed.
inline constexpr std::string_view kDevRoles[] = {
    "visit_team", "case_officer", "health_reviewer", "legal_adviser",   "approver",
    "auditor",    "reporting",    "custodian",       "case_officer_on", "case_officer_qc",
    "bench_visit_team", "bench_case_officer", "custodian_2", "reporting_2"};

// Dev governance keys: N keys, K of which sign the dev policy.
inline constexpr int kDevGovernanceKeys = 3;
inline constexpr int kDevGovernanceThreshold = 2;

// The URI SAN of a dev identity, as named in deploy/policy.example.textproto.
std::string DevPrincipal(std::string_view role);

struct DevEnvironment {
  std::string dir;
  std::string data_dir;         // DIR/data
  std::string master_key_path;  // DIR/master.key (0600, INSECURE: dev only)
  std::string policy_path;      // DIR/policy.textproto, signatures in DIR/policy.textproto.sig
  // DIR/governance/keys.txt (public; threshold 2 of 3) and gov-N.key (secret, 0600: in real
  // use held offline by governance members, never by operators or custodians).
  std::string governance_keys_path;
  std::string identities_dir;   // DIR/identities/ROLE/{ca.crt,client.crt,client.key,vault.pub}
  std::string ca_certificate_pem;
  std::string server_certificate_pem;
  std::string server_private_key_pem;
  // The vault's client identity towards witnesses (URI SAN DevPrincipal("vault"), clientAuth),
  // in DIR/server/vault-client.{crt,key}. A dev witness serves with DIR/witness/witness.{crt,key}
  // (localhost, serverAuth) and accepts clients of the dev CA (DIR/ca/ca.crt).
  std::string vault_client_certificate_pem;
  std::string vault_client_private_key_pem;
};

// Creates whatever is missing under `dir` (0700) and reuses what exists, so a restarted dev
// server keeps its CA, identities, master key and data.
absl::StatusOr<DevEnvironment> PrepareDevEnvironment(const std::string& dir);

// Writes the vault identity public key (base64 line) as vault.pub into every identity folder.
absl::Status WriteVaultPublicKey(const DevEnvironment& env, std::string_view public_key);

// Reads a 32-byte master key file straight into guarded memory. FAILED_PRECONDITION if the file
// is readable by group or others; INVALID_ARGUMENT on a wrong size.
absl::StatusOr<crypto::SecretBytes> ReadMasterKeyFile(const std::string& path);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_DEV_ENVIRONMENT_H_
