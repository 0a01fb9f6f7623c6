#include "crypto/aead.h"

#include <sodium.h>

#include "absl/status/status.h"
#include "crypto/internal.h"
#include "crypto/random.h"

namespace confidant::crypto {
namespace {

static_assert(kAeadKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kAeadNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kAeadTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Seals `plaintext_size` bytes at `plaintext` into nonce || ciphertext || tag.
absl::StatusOr<std::string> Seal(const SecretBytes& key, const unsigned char* plaintext,
                                 size_t plaintext_size, std::string_view associated_data) {
  if (key.size() != kAeadKeySize) return absl::InvalidArgumentError("AEAD key must be 32 bytes");
  if (plaintext_size > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX - kAeadNonceSize) {
    return absl::InvalidArgumentError("plaintext too large");
  }
  std::string sealed = RandomBytes(kAeadNonceSize);
  sealed.resize(kAeadNonceSize + plaintext_size + kAeadTagSize);
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kAeadNonceSize, nullptr, plaintext,
                                             plaintext_size, Bytes(associated_data),
                                             associated_data.size(), nullptr, out,
                                             key.RevealSecret());
  return sealed;
}

// Opens `sealed` into `plaintext`, which the caller sized to PlaintextSize(sealed).
bool Open(const SecretBytes& key, std::string_view sealed, std::string_view associated_data,
          unsigned char* plaintext) {
  const unsigned char* nonce = Bytes(sealed);
  return crypto_aead_xchacha20poly1305_ietf_decrypt(
             plaintext, nullptr, nullptr, nonce + kAeadNonceSize,
             sealed.size() - kAeadNonceSize, Bytes(associated_data), associated_data.size(),
             nonce, key.RevealSecret()) == 0;
}

// True if `sealed` can be opened with `key` at all (sizes only).
bool WellFormed(const SecretBytes& key, std::string_view sealed) {
  return key.size() == kAeadKeySize && sealed.size() >= kAeadNonceSize + kAeadTagSize;
}

size_t PlaintextSize(std::string_view sealed) {
  return sealed.size() - kAeadNonceSize - kAeadTagSize;
}

}  // namespace

absl::StatusOr<std::string> AeadSeal(const SecretBytes& key, std::string_view plaintext,
                                     std::string_view associated_data) {
  return Seal(key, Bytes(plaintext), plaintext.size(), associated_data);
}

absl::StatusOr<std::string> AeadSealSecret(const SecretBytes& key, const SecretBytes& plaintext,
                                           std::string_view associated_data) {
  return Seal(key, plaintext.RevealSecret(), plaintext.size(), associated_data);
}

absl::StatusOr<std::string> AeadOpen(const SecretBytes& key, std::string_view sealed,
                                     std::string_view associated_data) {
  if (!WellFormed(key, sealed)) return internal::DecryptionFailedError();
  std::string plaintext(PlaintextSize(sealed), '\0');
  if (!Open(key, sealed, associated_data, reinterpret_cast<unsigned char*>(plaintext.data()))) {
    return internal::DecryptionFailedError();
  }
  return plaintext;
}

absl::StatusOr<SecretBytes> AeadOpenSecret(const SecretBytes& key, std::string_view sealed,
                                           std::string_view associated_data) {
  if (!WellFormed(key, sealed)) return internal::DecryptionFailedError();
  SecretBytes plaintext(PlaintextSize(sealed));
  // Decrypts straight into guarded memory; libsodium checks the tag before it writes plaintext.
  if (!Open(key, sealed, associated_data, plaintext.RevealSecretMutable())) {
    return internal::DecryptionFailedError();
  }
  return plaintext;
}

}  // namespace confidant::crypto
