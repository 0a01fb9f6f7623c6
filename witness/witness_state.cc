#include "witness/witness_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "crypto/key_transition.h"
#include "crypto/signed_note.h"

namespace confidant::witness {
namespace {

// A signed-note key name: non-empty, printable, no spaces or '+' (c2sp.org/signed-note).
bool IsValidKeyName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (char c : name) {
    if (c <= ' ' || c == '+' || c == 0x7f) return false;
  }
  return true;
}

// A checkpoint note parsed and checked against the pinned log.
struct VerifiedCheckpoint {
  uint64_t tree_size = 0;
  crypto::Hash root{};
  std::string canonical_note;  // the body and the log's own signature line, nothing else
  std::string signer_key;      // the chain's key for the note's size
};

// `transitions`: the log's checkpoint key chain, followed from `anchor` (the key that signed the
// last checkpoint this witness cosigned, or the pinned one). With
// `cosigned_by` (the witness's own state), the witness's cosignature vouches for the note
// instead: it cosigned only what it verified.
absl::StatusOr<VerifiedCheckpoint> VerifyCheckpointNote(
    const WitnessConfig& config, std::string_view anchor, std::string_view note,
    const std::vector<std::string>& transitions = {},
    const crypto::Ed25519KeyPair* cosigned_by = nullptr) {
  if (note.size() > kMaxNoteBytes) return absl::InvalidArgumentError("checkpoint note too large");
  absl::StatusOr<crypto::SplitNote> split = crypto::SplitSignedNote(note);
  if (!split.ok()) return absl::InvalidArgumentError("not a signed checkpoint note");
  absl::StatusOr<crypto::CheckpointBody> body = crypto::ParseCheckpointBody(split->body);
  if (!body.ok()) return absl::InvalidArgumentError("not a signed checkpoint note");
  if (body->origin != config.log_origin) return absl::UnauthenticatedError(kWrongOrigin);
  ASSIGN_OR_RETURN(std::vector<crypto::ChainKey> chain,
                   crypto::FollowKeyChain(crypto::kCheckpointKeyPurpose, config.log_origin,
                                          anchor, transitions));
  const crypto::ChainKey* signer = crypto::SignerForTreeSize(chain, body->tree_size);
  if (signer == nullptr) {
    return absl::UnauthenticatedError("checkpoint is older than the pinned log key");
  }
  // Only the body and one valid log signature line are kept (and cosigned): whatever else a
  // caller appended cannot grow the saved state or ride along on the cosignature.
  for (const std::string& line : split->signature_lines) {
    if (line.compare(0, config.log_origin.size() + 1, config.log_origin + " ") != 0) continue;
    std::string canonical = split->body + "\n\xE2\x80\x94 " + line + "\n";
    const bool vouched =
        cosigned_by != nullptr
            ? crypto::VerifyCosignature(note, config.witness_name, cosigned_by->public_key).ok()
            : crypto::VerifyNoteSignature(canonical, config.log_origin, signer->public_key).ok();
    if (vouched) {
      return VerifiedCheckpoint{body->tree_size, body->root, std::move(canonical),
                                signer->public_key};
    }
  }
  return absl::UnauthenticatedError("checkpoint signature does not verify");
}

// Flushes the folder holding `path`, so the rename that replaced the state file is durable.
absl::Status SyncParentDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError("cannot open the state folder");
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced ? absl::OkStatus() : absl::UnavailableError("cannot sync the state folder");
}

}  // namespace

Witness::Witness(WitnessConfig config, crypto::Ed25519KeyPair key)
    : config_(std::move(config)), key_(std::move(key)), root_(crypto::EmptyTreeRoot()) {}

absl::StatusOr<std::unique_ptr<Witness>> Witness::Create(WitnessConfig config,
                                                         crypto::Ed25519KeyPair key) {
  if (!IsValidKeyName(config.log_origin)) {
    return absl::InvalidArgumentError("log origin must be a non-empty name without spaces or '+'");
  }
  if (!IsValidKeyName(config.witness_name)) {
    return absl::InvalidArgumentError("witness name must be non-empty, without spaces or '+'");
  }
  if (config.log_public_key.size() != crypto::kEd25519PublicKeySize) {
    return absl::InvalidArgumentError("log public key must be 32 bytes (Ed25519)");
  }
  if (key.public_key.size() != crypto::kEd25519PublicKeySize ||
      key.secret_key.size() != crypto::kEd25519SecretKeySize) {
    return absl::InvalidArgumentError("witness key must be an Ed25519 key pair");
  }
  if (config.state_path.empty()) return absl::InvalidArgumentError("state path is required");
  std::unique_ptr<Witness> witness(new Witness(std::move(config), std::move(key)));
  RETURN_IF_ERROR(witness->Load());
  return witness;
}

bool Witness::MayPush(std::string_view principal) const {
  for (const std::string& pusher : config_.pushers) {
    if (pusher == principal) return true;
  }
  return false;
}

absl::Status Witness::Load() {
  absl::StatusOr<std::string> content = ReadFile(config_.state_path, kMaxNoteBytes * 2);
  if (absl::IsNotFound(content.status())) return absl::OkStatus();  // a new witness
  if (!content.ok()) return content.status();
  const absl::Status corrupt = absl::DataLossError(absl::StrCat(
      "witness state file ", config_.state_path,
      " is not a checkpoint of this log cosigned by this witness"));
  // v2 names the log key that signed the cosigned note (the anchor); v1, written before the
  // anchor was kept, leaves the pinned key as the anchor until the next cosignature.
  std::string anchor = config_.log_public_key;
  std::string note;
  const std::string_view v1 = kStateFileHeaderV1;
  const std::string_view v2 = kStateFileHeader;
  if (content->compare(0, v1.size(), v1) == 0) {
    note = content->substr(v1.size());
  } else if (content->compare(0, v2.size(), v2) == 0) {
    const size_t line_end = content->find('\n', v2.size());
    const std::string_view prefix = "log-key ";
    if (line_end == std::string::npos ||
        content->compare(v2.size(), prefix.size(), prefix) != 0 ||
        !absl::Base64Unescape(content->substr(v2.size() + prefix.size(),
                                              line_end - v2.size() - prefix.size()),
                              &anchor) ||
        anchor.size() != crypto::kEd25519PublicKeySize) {
      return corrupt;
    }
    note = content->substr(line_end + 1);
  } else {
    return corrupt;
  }
  absl::StatusOr<VerifiedCheckpoint> checkpoint =
      VerifyCheckpointNote(config_, anchor, note, {}, &key_);
  if (!checkpoint.ok() ||
      !crypto::VerifyCosignature(note, config_.witness_name, key_.public_key).ok() ||
      // The anchor is the key whose signature is on the note this witness cosigned: it cannot
      // be edited back to an older key of the chain.
      !crypto::VerifyNoteSignature(checkpoint->canonical_note, config_.log_origin, anchor).ok()) {
    return corrupt;
  }
  absl::MutexLock lock(&mu_);
  tree_size_ = checkpoint->tree_size;
  root_ = checkpoint->root;
  cosigned_note_ = note;
  anchor_key_ = anchor;
  return absl::OkStatus();
}

absl::StatusOr<std::string> Witness::AddCheckpoint(uint64_t old_size, std::string_view note,
                                                   const std::vector<crypto::Hash>& proof,
                                                   uint64_t now_unix_seconds,
                                                   const std::vector<std::string>& transitions) {
  std::string anchor;
  {
    absl::MutexLock lock(&mu_);
    anchor = anchor_key_;
  }
  ASSIGN_OR_RETURN(const VerifiedCheckpoint checkpoint,
                   VerifyCheckpointNote(config_, anchor, note, transitions));

  absl::MutexLock lock(&mu_);
  if (anchor != anchor_key_) {  // a concurrent push moved the anchor on: check again
    return absl::FailedPreconditionError(absl::StrCat("witness is at size ", tree_size_));
  }
  if (checkpoint.tree_size < tree_size_) return absl::FailedPreconditionError(kRollbackRefused);
  if (checkpoint.tree_size == tree_size_ && checkpoint.root != root_) {
    return absl::DataLossError(kForkRefused);
  }
  if (checkpoint.tree_size > tree_size_) {
    if (old_size != tree_size_) {
      return absl::FailedPreconditionError(absl::StrCat("witness is at size ", tree_size_));
    }
    if (!crypto::VerifyConsistency(tree_size_, checkpoint.tree_size, root_, checkpoint.root, proof)
             .ok()) {
      return absl::DataLossError(kProofRefused);
    }
  }
  // Same size and root: already witnessed; the (possibly newer-dated) note is re-cosigned.

  ASSIGN_OR_RETURN(std::string cosigned,
                   crypto::AddCosignature(checkpoint.canonical_note, config_.witness_name, key_,
                                          now_unix_seconds));
  // Persist first: once the cosignature leaves, the witness must never forget this tree.
  const absl::Status written =
      WriteFileAtomically(config_.state_path,
                          absl::StrCat(kStateFileHeader, "log-key ",
                                       absl::Base64Escape(checkpoint.signer_key), "\n", cosigned),
                          0600);
  if (!written.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot persist witness state: ", written.message()));
  }
  RETURN_IF_ERROR(SyncParentDirectory(config_.state_path));
  tree_size_ = checkpoint.tree_size;
  root_ = checkpoint.root;
  cosigned_note_ = cosigned;
  anchor_key_ = checkpoint.signer_key;
  return cosigned;
}

WitnessSnapshot Witness::Snapshot() const {
  WitnessSnapshot snapshot;
  snapshot.origin = config_.log_origin;
  snapshot.witness_name = config_.witness_name;
  snapshot.witness_public_key = key_.public_key;
  absl::MutexLock lock(&mu_);
  snapshot.tree_size = tree_size_;
  snapshot.root = root_;
  snapshot.cosigned_note = cosigned_note_;
  return snapshot;
}

}  // namespace confidant::witness
