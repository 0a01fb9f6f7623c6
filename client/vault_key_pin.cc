#include "client/vault_key_pin.h"

#include <algorithm>

#include "absl/base/const_init.h"
#include "absl/strings/escaping.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "crypto/key_transition.h"
#include "crypto/signed_note.h"

namespace confidant::client {
namespace {

constexpr char kHeader[] = "confidant-vault-key v1";

}  // namespace

absl::StatusOr<std::vector<crypto::ChainKey>> FollowVaultKeyChain(
    std::string_view anchor, const std::vector<std::string>& identity_transitions,
    std::string_view origin) {
  std::string chain_origin(origin);
  if (chain_origin.empty() && !identity_transitions.empty()) {
    absl::StatusOr<crypto::SplitNote> split = crypto::SplitSignedNote(identity_transitions[0]);
    absl::StatusOr<crypto::KeyTransition> first =
        split.ok() ? crypto::ParseKeyTransitionBody(split->body) : split.status();
    if (!first.ok()) {
      return absl::DataLossError("key transition 1 of the identity key chain is malformed");
    }
    chain_origin = first->origin;
  }
  return crypto::FollowKeyChain(crypto::kIdentityKeyPurpose, chain_origin, anchor,
                                identity_transitions);
}

absl::StatusOr<std::optional<std::string>> LoadNewestVaultKey(const std::string& identity_dir,
                                                              std::string_view pinned) {
  const std::string path = absl::StrCat(identity_dir, "/", kNewestVaultKeyFile);
  absl::StatusOr<std::string> text = ReadFile(path, 1 << 20);
  if (absl::IsNotFound(text.status())) return std::nullopt;
  RETURN_IF_ERROR(text.status());
  const std::vector<std::string> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  const absl::Status damaged = absl::DataLossError(absl::StrCat(
      path, " is damaged or does not follow from vault.pub: it is not used. Delete it, then run "
            "any command while online so the client verifies the vault's key chain again"));
  std::string kept_pin, newest;
  if (lines.size() < 3 || lines[0] != kHeader || !absl::StartsWith(lines[1], "pinned ") ||
      !absl::StartsWith(lines[2], "newest ") ||
      !absl::Base64Unescape(lines[1].substr(7), &kept_pin) ||
      !absl::Base64Unescape(lines[2].substr(7), &newest)) {
    return damaged;
  }
  if (kept_pin != std::string(pinned)) return std::nullopt;  // vault.pub changed since: a new pin
  std::vector<std::string> transitions;
  for (size_t i = 3; i < lines.size(); ++i) {
    std::string note;
    if (!absl::Base64Unescape(lines[i], &note)) return damaged;
    transitions.push_back(std::move(note));
  }
  absl::StatusOr<std::vector<crypto::ChainKey>> chain = FollowVaultKeyChain(pinned, transitions);
  if (!chain.ok() || std::none_of(chain->begin(), chain->end(), [&](const crypto::ChainKey& k) {
        return k.public_key == newest;
      })) {
    return damaged;
  }
  return newest;
}

absl::StatusOr<std::string> KeepNewestVaultKey(const std::string& identity_dir,
                                               std::string_view pinned, std::string_view anchor,
                                               const std::vector<std::string>& identity_transitions) {
  ASSIGN_OR_RETURN(std::vector<crypto::ChainKey> chain,
                   FollowVaultKeyChain(anchor, identity_transitions));
  const std::string reached = chain.back().public_key;
  if (identity_dir.empty() || reached == anchor || pinned.empty()) return reached;
  // Several clients of one folder may reach the same key at once (one process, many channels):
  // one writes, the others find it kept. A failed write is not the call's failure: the key
  // stays verified for this call, and the next command keeps it.
  static absl::Mutex write_mu(absl::kConstInit);
  absl::MutexLock lock(&write_mu);
  if (absl::StatusOr<std::optional<std::string>> kept = LoadNewestVaultKey(identity_dir, pinned);
      kept.ok() && kept->has_value() && **kept == reached) {
    return reached;
  }
  std::string text = absl::StrCat(kHeader, "\npinned ", absl::Base64Escape(std::string(pinned)), "\nnewest ",
                                  absl::Base64Escape(reached), "\n");
  for (const std::string& note : identity_transitions) {
    absl::StrAppend(&text, absl::Base64Escape(note), "\n");
  }
  // Kept by the next command (or by the concurrent one that won) if this write fails.
  WriteFileAtomically(absl::StrCat(identity_dir, "/", kNewestVaultKeyFile), text, 0600)
      .IgnoreError();
  return reached;
}

}  // namespace confidant::client
