// The newest vault identity key this client has verified, kept beside the pin
// (IDENTITY_DIR/vault-key-newest) so that it becomes the client's trust anchor from then on.
//
// vault.pub is the key the person pinned. The vault serves the chain of signed identity key
// transitions from its first key (crypto/key_transition.h); every check follows that chain from
// the client's anchor. Without this file the anchor would stay vault.pub for ever, so a vault
// (or an impostor holding a retired identity key, or a restored old backup) that serves a
// shorter chain would be believed. Once a command has verified a newer key, the anchor moves to
// it: a chain that does not reach it is refused ("the pinned ... key is not in the vault's key
// chain"), whichever command runs first.
//
// File: "confidant-vault-key v1", "pinned " + base64(vault.pub key), "newest " +
// base64(newest key), then one base64 line per transition note as served (oldest first). It
// holds no secret; it is re-verified at every load (the chain from vault.pub through the kept
// transitions must reach the kept key), and ignored when vault.pub was changed since (a new pin
// is the person's own decision).
#ifndef CONFIDANT_CLIENT_VAULT_KEY_PIN_H_
#define CONFIDANT_CLIENT_VAULT_KEY_PIN_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/key_transition.h"

namespace confidant::client {

inline constexpr char kNewestVaultKeyFile[] = "vault-key-newest";

// The identity keys `identity_transitions` lead to from `anchor` (anchor first), every link
// checked, for the vault `origin` ("" = take it from the transitions: intake keys carry none).
// DATA_LOSS naming a bad transition, or "the pinned ... key is not in the vault's key chain".
absl::StatusOr<std::vector<crypto::ChainKey>> FollowVaultKeyChain(
    std::string_view anchor, const std::vector<std::string>& identity_transitions,
    std::string_view origin = "");

// The kept newest key for `pinned` (raw vault.pub key) in `identity_dir`: nullopt when there is
// no file or it was written for another vault.pub; DATA_LOSS when it is damaged or its chain does
// not reach the key it names.
absl::StatusOr<std::optional<std::string>> LoadNewestVaultKey(const std::string& identity_dir,
                                                              std::string_view pinned);

// Follows `identity_transitions` (as a vault served them, verified by the caller) from
// `anchor`, and when they lead past it keeps their last key as the newest, with the
// transitions, for `pinned`. Returns the key reached. Does nothing without a folder; a failed
// write (another process writing at the same moment) is left for the next command.
absl::StatusOr<std::string> KeepNewestVaultKey(const std::string& identity_dir,
                                               std::string_view pinned, std::string_view anchor,
                                               const std::vector<std::string>& identity_transitions);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_VAULT_KEY_PIN_H_
