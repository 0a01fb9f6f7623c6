// A client identity folder: ca.crt, client.crt, client.key and vault.pub (the pinned vault
// identity key, base64 of 32 raw bytes).
#ifndef CONFIDANT_CLIENT_IDENTITY_H_
#define CONFIDANT_CLIENT_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"

namespace confidant::client {

struct ClientIdentity {
  std::string ca_certificate_pem;
  std::string certificate_pem;
  std::string private_key_pem;   // secret: never printed
  // The vault identity key this client trusts (raw Ed25519, 32 bytes): the newest one it has
  // verified through the vault's key chain from vault.pub (client/vault_key_pin.h), or
  // vault.pub's own key.
  std::string vault_public_key;
  std::string pinned_vault_key;  // vault.pub as written (empty if absent)
  std::string directory;         // the folder it was loaded from ("" if built in memory)
  std::string principal;         // the URI SAN of certificate_pem

  // NOT_FOUND naming the missing file; INVALID_ARGUMENT for a malformed vault.pub or a
  // certificate that is not a valid client certificate. With `vault_key_optional` (custodians'
  // operator commands, which check no signature of the vault and are how an operator learns its
  // key), a missing vault.pub leaves vault_public_key empty. FAILED_PRECONDITION, with the
  // chmod or chown that fixes it, if the folder or a file in it belongs to another user or can
  // be changed by other users, or client.key can be read by them (base/private_folder.h).
  static absl::StatusOr<ClientIdentity> Load(const std::string& directory,
                                             bool vault_key_optional = false);
};

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_IDENTITY_H_
