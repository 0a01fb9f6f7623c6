// Helpers private to crypto/ (not part of its contract; other folders must not include this).
#ifndef CONFIDANT_CRYPTO_INTERNAL_H_
#define CONFIDANT_CRYPTO_INTERNAL_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "crypto/aead.h"

namespace confidant::crypto::internal {

// Initialises libsodium once (thread-safe, cheap after the first call). sodium_init() fails only
// when the OS has no usable randomness, which no caller could recover from: it aborts then.
void EnsureSodiumReady();

// The one status every decryption failure returns: DATA_LOSS kDecryptionFailed.
inline absl::Status DecryptionFailedError() {
  // Debian's Abseil has its own string_view type, so convert explicitly.
  return absl::DataLossError(absl::string_view(kDecryptionFailed.data(), kDecryptionFailed.size()));
}

}  // namespace confidant::crypto::internal

#endif  // CONFIDANT_CRYPTO_INTERNAL_H_
