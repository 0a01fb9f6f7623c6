// Public-key primitives: X25519 sealed boxes (intake) and Ed25519 signatures.
#ifndef CONFIDANT_CRYPTO_ASYMMETRIC_H_
#define CONFIDANT_CRYPTO_ASYMMETRIC_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace confidant::crypto {

inline constexpr size_t kX25519PublicKeySize = 32;
inline constexpr size_t kX25519SecretKeySize = 32;
inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SecretKeySize = 64;  // libsodium's seed || public key form
inline constexpr size_t kEd25519SignatureSize = 64;

// An X25519 key pair for crypto_box_seal. Move-only; the secret half is guarded memory.
struct X25519KeyPair {
  std::string public_key;  // 32 raw bytes
  SecretBytes secret_key;  // 32 bytes

  static X25519KeyPair Generate();
  // Rebuilds the pair from a stored secret key (public key recomputed with scalarmult_base).
  // INVALID_ARGUMENT on a wrong size.
  static absl::StatusOr<X25519KeyPair> FromSecretKey(SecretBytes secret_key);
};

// Anonymous sealed box to `public_key` (crypto_box_seal). INVALID_ARGUMENT on a bad key size.
absl::StatusOr<std::string> SealToPublicKey(std::string_view public_key,
                                            std::string_view plaintext);

// Opens a sealed box. Any failure is DATA_LOSS kDecryptionFailed.
absl::StatusOr<std::string> OpenSealedBox(const X25519KeyPair& key_pair,
                                          std::string_view sealed);

// An Ed25519 signing key pair. Move-only.
struct Ed25519KeyPair {
  std::string public_key;  // 32 raw bytes
  SecretBytes secret_key;  // 64 bytes (libsodium form)

  static Ed25519KeyPair Generate();
  // INVALID_ARGUMENT on a wrong size or if the embedded public key does not match the seed.
  static absl::StatusOr<Ed25519KeyPair> FromSecretKey(SecretBytes secret_key);
};

// Detached Ed25519 signature (64 bytes).
std::string Sign(const Ed25519KeyPair& key_pair, std::string_view message);

// OK if `signature` is a valid signature of `message` under `public_key`; otherwise
// UNAUTHENTICATED "signature verification failed" (also for malformed sizes).
absl::Status VerifySignature(std::string_view public_key, std::string_view message,
                             std::string_view signature);

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_ASYMMETRIC_H_
