// Authenticated encryption: XChaCha20-Poly1305-IETF with a random 24-byte nonce.
#ifndef CONFIDANT_CRYPTO_AEAD_H_
#define CONFIDANT_CRYPTO_AEAD_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace confidant::crypto {

inline constexpr size_t kAeadKeySize = 32;    // crypto_aead_xchacha20poly1305_ietf_KEYBYTES
inline constexpr size_t kAeadNonceSize = 24;  // ..._NPUBBYTES
inline constexpr size_t kAeadTagSize = 16;    // ..._ABYTES

// The message every decryption failure carries, whatever the cause: no oracle.
inline constexpr std::string_view kDecryptionFailed = "decryption failed";

// Returns nonce || ciphertext || tag. INVALID_ARGUMENT if `key` is not kAeadKeySize bytes.
absl::StatusOr<std::string> AeadSeal(const SecretBytes& key, std::string_view plaintext,
                                     std::string_view associated_data);

// Opens the output of AeadSeal. Any failure (short input, wrong key, wrong associated data,
// tampering) is DATA_LOSS with message kDecryptionFailed.
absl::StatusOr<std::string> AeadOpen(const SecretBytes& key, std::string_view sealed,
                                     std::string_view associated_data);

// As AeadOpen, but the plaintext is secret key material and goes straight to guarded memory.
absl::StatusOr<SecretBytes> AeadOpenSecret(const SecretBytes& key, std::string_view sealed,
                                           std::string_view associated_data);

// Seals secret key material (the plaintext never leaves guarded memory except as ciphertext).
absl::StatusOr<std::string> AeadSealSecret(const SecretBytes& key, const SecretBytes& plaintext,
                                           std::string_view associated_data);

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_AEAD_H_
