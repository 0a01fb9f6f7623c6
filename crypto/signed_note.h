// Checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) with
// Ed25519 signatures, and witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1).
// Pure: no I/O.
//
// Checkpoint body (every line ends in "\n"):
//   <origin>
//   <tree size, decimal>
//   <base64 of the 32-byte root hash>
//   time <unix seconds>                      (an extension line)
// A note is the body, a blank line, then signature lines "— <name> <base64(keyid || sig)>".
// Ed25519 key id = SHA-256(name || 0x0A || 0x01 || public key)[0:4]; a signature covers the
// body. A cosignature line carries keyid (type byte 0x04) || u64 timestamp || signature over
// "cosignature/v1\ntime <timestamp>\n" || body.
#ifndef CONFIDANT_CRYPTO_SIGNED_NOTE_H_
#define CONFIDANT_CRYPTO_SIGNED_NOTE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/asymmetric.h"

namespace confidant::crypto {

struct CheckpointBody {
  std::string origin;
  uint64_t tree_size = 0;
  std::array<uint8_t, 32> root{};
  int64_t time_unix_seconds = 0;
};

std::string FormatCheckpointBody(const CheckpointBody& body);
// INVALID_ARGUMENT if `text` is not exactly a checkpoint body in the form above.
absl::StatusOr<CheckpointBody> ParseCheckpointBody(std::string_view text);

// The body and signature lines of a note. INVALID_ARGUMENT if malformed.
struct SplitNote {
  std::string body;
  std::vector<std::string> signature_lines;  // without "— " prefix and trailing newline
};
absl::StatusOr<SplitNote> SplitSignedNote(std::string_view note);

// A note of `body` signed by `key` under `name`.
std::string SignNote(std::string_view body, std::string_view name, const Ed25519KeyPair& key);

// OK if `note` has a valid signature line by (name, public_key); UNAUTHENTICATED otherwise.
absl::Status VerifyNoteSignature(std::string_view note, std::string_view name,
                                 std::string_view public_key);

// `note` with a cosignature line by the witness (name, key) at `time` appended.
absl::StatusOr<std::string> AddCosignature(std::string_view note, std::string_view name,
                                           const Ed25519KeyPair& key, uint64_t time_unix_seconds);

// The time of a valid cosignature by (name, public_key) on `note`; UNAUTHENTICATED if none.
absl::StatusOr<uint64_t> VerifyCosignature(std::string_view note, std::string_view name,
                                           std::string_view public_key);

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_SIGNED_NOTE_H_
