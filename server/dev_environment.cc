#include "server/dev_environment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "crypto/asymmetric.h"
#include "crypto/key_hierarchy.h"
#include "policy/signed_policy.h"
#include "pki/certificates.h"

namespace confidant::server {
namespace {

constexpr int kDevValidityDays = 365;

absl::Status MakePrivateDir(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec || ::chmod(path.c_str(), 0700) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot create directory ", path));
  }
  return absl::OkStatus();
}

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

// Loads a key/certificate pair from `prefix`.key/.crt, or issues and writes it.
template <typename Issue>
absl::StatusOr<pki::KeyAndCertificate> LoadOrIssue(const std::string& key_path,
                                                   const std::string& cert_path, Issue issue) {
  if (Exists(key_path) && Exists(cert_path)) {
    pki::KeyAndCertificate pair;
    ASSIGN_OR_RETURN(pair.private_key_pem, ReadFile(key_path));
    ASSIGN_OR_RETURN(pair.certificate_pem, ReadFile(cert_path));
    return pair;
  }
  ASSIGN_OR_RETURN(pki::KeyAndCertificate pair, issue());
  RETURN_IF_ERROR(WriteFileAtomically(key_path, pair.private_key_pem, 0600));
  RETURN_IF_ERROR(WriteFileAtomically(cert_path, pair.certificate_pem, 0644));
  return pair;
}

absl::Status PrepareIdentity(const DevEnvironment& env, const pki::KeyAndCertificate& ca,
                             std::string_view role) {
  const std::string dir = absl::StrCat(env.identities_dir, "/", std::string(role));
  RETURN_IF_ERROR(MakePrivateDir(dir));
  RETURN_IF_ERROR(WriteFileAtomically(dir + "/ca.crt", ca.certificate_pem, 0644));
  return LoadOrIssue(dir + "/client.key", dir + "/client.crt", [&] {
           pki::CertificateSpec spec;
           spec.common_name = absl::StrCat("dev ", std::string(role));
           spec.uri_sans = {DevPrincipal(role)};
           spec.client_auth = true;
           spec.validity_days = kDevValidityDays;
           return pki::IssueCertificate(ca, spec);
         })
      .status();
}

absl::Status EnsureMasterKeyFile(const std::string& path) {
  if (Exists(path)) return absl::OkStatus();
  crypto::SecretBytes key = crypto::SecretBytes::Random(crypto::kMasterKeySize);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::PermissionDeniedError("cannot create the dev master key file");
  const bool ok = ::write(fd, key.RevealSecret(), key.size()) == static_cast<ssize_t>(key.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  return ok ? absl::OkStatus() : absl::UnavailableError("cannot write the dev master key file");
}

// Creates the dev governance keys if absent; returns the public keys file's text.
absl::StatusOr<std::string> EnsureGovernanceKeys(const DevEnvironment& env) {
  const std::string dir = env.dir + "/governance";
  RETURN_IF_ERROR(MakePrivateDir(dir));
  if (Exists(env.governance_keys_path)) return ReadFile(env.governance_keys_path);
  policy::GovernanceKeys keys;
  keys.threshold = kDevGovernanceThreshold;
  for (int i = 1; i <= kDevGovernanceKeys; ++i) {
    crypto::Ed25519KeyPair pair = crypto::Ed25519KeyPair::Generate();
    const std::string name = absl::StrCat("gov-", i);
    RETURN_IF_ERROR(WriteFileAtomically(
        absl::StrCat(dir, "/", name, ".key"),
        std::string(reinterpret_cast<const char*>(pair.secret_key.RevealSecret()),
                    pair.secret_key.size()),
        0600));
    keys.public_keys[name] = pair.public_key;
  }
  const std::string text = keys.ToText();
  RETURN_IF_ERROR(WriteFileAtomically(env.governance_keys_path, text, 0644));
  return text;
}

// Writes the example policy signed by the first K dev governance keys.
absl::Status WriteSignedDevPolicy(const DevEnvironment& env) {
  std::string signatures;
  for (int i = 1; i <= kDevGovernanceThreshold; ++i) {
    const std::string name = absl::StrCat("gov-", i);
    ASSIGN_OR_RETURN(std::string secret,
                     ReadFile(absl::StrCat(env.dir, "/governance/", name, ".key")));
    absl::StatusOr<crypto::Ed25519KeyPair> pair =
        crypto::Ed25519KeyPair::FromSecretKey(crypto::SecretBytes::CopyFrom(secret));
    crypto::WipeString(secret);
    RETURN_IF_ERROR(pair.status());
    signatures += policy::SignPolicy(kDevPolicyText, name, *pair);
  }
  RETURN_IF_ERROR(WriteFileAtomically(env.policy_path, kDevPolicyText, 0600));
  return WriteFileAtomically(env.policy_path + ".sig", signatures, 0600);
}

}  // namespace

std::string DevPrincipal(std::string_view role) {
  return absl::StrCat("spiffe://confidant.example/dev/", std::string(role));
}

absl::StatusOr<DevEnvironment> PrepareDevEnvironment(const std::string& dir) {
  DevEnvironment env;
  env.dir = std::filesystem::absolute(dir).lexically_normal().string();
  env.data_dir = env.dir + "/data";
  env.master_key_path = env.dir + "/master.key";
  env.policy_path = env.dir + "/policy.textproto";
  env.identities_dir = env.dir + "/identities";
  env.governance_keys_path = env.dir + "/governance/keys.txt";
  for (const std::string& d : {env.dir, env.dir + "/ca", env.dir + "/server", env.identities_dir}) {
    RETURN_IF_ERROR(MakePrivateDir(d));
  }
  ASSIGN_OR_RETURN(pki::KeyAndCertificate ca,
                   LoadOrIssue(env.dir + "/ca/ca.key", env.dir + "/ca/ca.crt", [] {
                     return pki::CreateCertificateAuthority("Confidant dev CA", kDevValidityDays);
                   }));
  ASSIGN_OR_RETURN(pki::KeyAndCertificate server,
                   LoadOrIssue(env.dir + "/server/server.key", env.dir + "/server/server.crt", [&] {
                     pki::CertificateSpec spec;
                     spec.common_name = "confidantd dev";
                     spec.dns_sans = {"localhost"};
                     spec.ip_sans = {"127.0.0.1", "::1"};
                     spec.server_auth = true;
                     spec.validity_days = kDevValidityDays;
                     return pki::IssueCertificate(ca, spec);
                   }));
  for (std::string_view role : kDevRoles) RETURN_IF_ERROR(PrepareIdentity(env, ca, role));
  ASSIGN_OR_RETURN(pki::KeyAndCertificate vault_client,
                   LoadOrIssue(env.dir + "/server/vault-client.key",
                               env.dir + "/server/vault-client.crt", [&] {
                                 pki::CertificateSpec spec;
                                 spec.common_name = "confidantd dev (witness client)";
                                 spec.uri_sans = {DevPrincipal("vault")};
                                 spec.client_auth = true;
                                 spec.validity_days = kDevValidityDays;
                                 return pki::IssueCertificate(ca, spec);
                               }));
  RETURN_IF_ERROR(MakePrivateDir(env.dir + "/witness"));
  RETURN_IF_ERROR(LoadOrIssue(env.dir + "/witness/witness.key", env.dir + "/witness/witness.crt", [&] {
                    pki::CertificateSpec spec;
                    spec.common_name = "confidant-witness dev";
                    spec.dns_sans = {"localhost"};
                    spec.ip_sans = {"127.0.0.1", "::1"};
                    spec.server_auth = true;
                    spec.validity_days = kDevValidityDays;
                    return pki::IssueCertificate(ca, spec);
                  }).status());
  RETURN_IF_ERROR(EnsureMasterKeyFile(env.master_key_path));
  RETURN_IF_ERROR(EnsureGovernanceKeys(env).status());
  if (!Exists(env.policy_path)) RETURN_IF_ERROR(WriteSignedDevPolicy(env));
  env.ca_certificate_pem = std::move(ca.certificate_pem);
  env.server_certificate_pem = std::move(server.certificate_pem);
  env.server_private_key_pem = std::move(server.private_key_pem);
  env.vault_client_certificate_pem = std::move(vault_client.certificate_pem);
  env.vault_client_private_key_pem = std::move(vault_client.private_key_pem);
  return env;
}

absl::Status WriteVaultPublicKey(const DevEnvironment& env, std::string_view public_key) {
  const std::string line =
      absl::Base64Escape(absl::string_view(public_key.data(), public_key.size())) + "\n";
  absl::StatusOr<std::string> pinned = ReadFile(env.identities_dir + "/visit_team/vault.pub");
  if (pinned.ok() && *pinned != line) {
    // Dev only: a real identity folder is provisioned once and a changed key is refused.
    std::fprintf(stderr,
                 "WARNING: the vault identity key changed (new data directory, or rotated); dev identities "
                 "are re-pinned to it. Clients elsewhere will refuse this vault.\n");
  }
  for (std::string_view role : kDevRoles) {
    RETURN_IF_ERROR(WriteFileAtomically(
        absl::StrCat(env.identities_dir, "/", std::string(role), "/vault.pub"), line, 0644));
  }
  return absl::OkStatus();
}

absl::StatusOr<crypto::SecretBytes> ReadMasterKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError("cannot open the master key file");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError("the master key file must be readable by its owner only");
  }
  crypto::SecretBytes key(crypto::kMasterKeySize);
  const ssize_t n = ::read(fd, key.RevealSecretMutable(), key.size());
  char extra;
  const ssize_t more = ::read(fd, &extra, 1);
  ::close(fd);
  if (n != static_cast<ssize_t>(key.size()) || more != 0) {
    return absl::InvalidArgumentError("the master key file must hold exactly 32 bytes");
  }
  return key;
}

}  // namespace confidant::server
