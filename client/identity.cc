#include "client/identity.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/private_folder.h"
#include "base/status_macros.h"
#include "client/vault_key_pin.h"
#include "pki/certificates.h"

namespace confidant::client {

absl::StatusOr<ClientIdentity> ClientIdentity::Load(const std::string& directory,
                                                    bool vault_key_optional) {
  // Whoever can write here can replace vault.pub, the kept intake key or queued envelopes.
  RETURN_IF_ERROR(CheckPrivateFolder(
      directory, {"ca.crt", "client.crt", "vault.pub", kNewestVaultKeyFile, "intake-key",
                  "last-checkpoint", "audit-verified-checkpoint", "outbox", "outbox/.lock",
                  "outbox/refused"},
      {"client.key"}));
  ClientIdentity identity;
  ASSIGN_OR_RETURN(identity.ca_certificate_pem, ReadFile(directory + "/ca.crt"));
  ASSIGN_OR_RETURN(identity.certificate_pem, ReadFile(directory + "/client.crt"));
  ASSIGN_OR_RETURN(identity.private_key_pem, ReadFile(directory + "/client.key"));
  absl::StatusOr<std::string> pinned = ReadFile(directory + "/vault.pub");
  if (pinned.ok()) {
    std::string raw;
    if (!absl::Base64Unescape(absl::StripAsciiWhitespace(*pinned), &raw) || raw.size() != 32) {
      return absl::InvalidArgumentError("vault.pub must hold the base64 of a 32-byte key");
    }
    identity.pinned_vault_key = raw;
    ASSIGN_OR_RETURN(std::optional<std::string> newest, LoadNewestVaultKey(directory, raw));
    identity.vault_public_key = newest.has_value() ? *std::move(newest) : std::move(raw);
  } else if (!vault_key_optional || !absl::IsNotFound(pinned.status())) {
    return absl::NotFoundError(absl::StrCat(
        pinned.status().message(),
        " (the vault's identity key, base64: a custodian prints it with `confidant operator "
        "status` once the vault is unsealed)"));
  }
  absl::StatusOr<std::string> principal = pki::ClientPrincipalFromPem(identity.certificate_pem);
  if (!principal.ok()) {
    return absl::InvalidArgumentError(
        std::string("client.crt is not usable: ") + std::string(principal.status().message()));
  }
  identity.principal = *std::move(principal);
  identity.directory = directory;
  return identity;
}

}  // namespace confidant::client
