#include "crypto/asymmetric.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "crypto/internal.h"

namespace confidant::crypto {
namespace {

static_assert(kX25519PublicKeySize == crypto_box_PUBLICKEYBYTES);
static_assert(kX25519SecretKeySize == crypto_box_SECRETKEYBYTES);
static_assert(kEd25519PublicKeySize == crypto_sign_PUBLICKEYBYTES);
static_assert(kEd25519SecretKeySize == crypto_sign_SECRETKEYBYTES);
static_assert(kEd25519SignatureSize == crypto_sign_BYTES);

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* MutableBytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

}  // namespace

X25519KeyPair X25519KeyPair::Generate() {
  internal::EnsureSodiumReady();
  X25519KeyPair pair{std::string(kX25519PublicKeySize, '\0'), SecretBytes(kX25519SecretKeySize)};
  crypto_box_keypair(MutableBytes(pair.public_key), pair.secret_key.RevealSecretMutable());
  return pair;
}

absl::StatusOr<X25519KeyPair> X25519KeyPair::FromSecretKey(SecretBytes secret_key) {
  if (secret_key.size() != kX25519SecretKeySize) {
    return absl::InvalidArgumentError("X25519 secret key must be 32 bytes");
  }
  X25519KeyPair pair{std::string(kX25519PublicKeySize, '\0'), std::move(secret_key)};
  if (crypto_scalarmult_base(MutableBytes(pair.public_key), pair.secret_key.RevealSecret()) !=
      0) {
    return absl::InvalidArgumentError("invalid X25519 secret key");
  }
  return pair;
}

absl::StatusOr<std::string> SealToPublicKey(std::string_view public_key,
                                            std::string_view plaintext) {
  if (public_key.size() != kX25519PublicKeySize) {
    return absl::InvalidArgumentError("X25519 public key must be 32 bytes");
  }
  internal::EnsureSodiumReady();
  std::string sealed(plaintext.size() + crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal(MutableBytes(sealed), Bytes(plaintext), plaintext.size(),
                      Bytes(public_key)) != 0) {
    return absl::InvalidArgumentError("invalid X25519 public key");
  }
  return sealed;
}

absl::StatusOr<std::string> OpenSealedBox(const X25519KeyPair& key_pair,
                                          std::string_view sealed) {
  const absl::Status failed = internal::DecryptionFailedError();
  if (key_pair.public_key.size() != kX25519PublicKeySize ||
      key_pair.secret_key.size() != kX25519SecretKeySize || sealed.size() < crypto_box_SEALBYTES) {
    return failed;
  }
  std::string plaintext(sealed.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(MutableBytes(plaintext), Bytes(sealed), sealed.size(),
                           Bytes(key_pair.public_key), key_pair.secret_key.RevealSecret()) != 0) {
    return failed;
  }
  return plaintext;
}

Ed25519KeyPair Ed25519KeyPair::Generate() {
  internal::EnsureSodiumReady();
  Ed25519KeyPair pair{std::string(kEd25519PublicKeySize, '\0'),
                      SecretBytes(kEd25519SecretKeySize)};
  crypto_sign_keypair(MutableBytes(pair.public_key), pair.secret_key.RevealSecretMutable());
  return pair;
}

absl::StatusOr<Ed25519KeyPair> Ed25519KeyPair::FromSecretKey(SecretBytes secret_key) {
  if (secret_key.size() != kEd25519SecretKeySize) {
    return absl::InvalidArgumentError("Ed25519 secret key must be 64 bytes");
  }
  // Recompute the key pair from the embedded seed and check the embedded public key matches.
  SecretBytes seed(crypto_sign_SEEDBYTES);
  crypto_sign_ed25519_sk_to_seed(seed.RevealSecretMutable(), secret_key.RevealSecret());
  std::string public_key(kEd25519PublicKeySize, '\0');
  SecretBytes rebuilt(kEd25519SecretKeySize);
  crypto_sign_seed_keypair(MutableBytes(public_key), rebuilt.RevealSecretMutable(),
                           seed.RevealSecret());
  if (!rebuilt.ConstantTimeEquals(secret_key)) {
    return absl::InvalidArgumentError("Ed25519 public key does not match its seed");
  }
  return Ed25519KeyPair{std::move(public_key), std::move(secret_key)};
}

std::string Sign(const Ed25519KeyPair& key_pair, std::string_view message) {
  if (key_pair.secret_key.size() != kEd25519SecretKeySize) {
    std::fputs("confidant: Sign called with an Ed25519 key of invalid size\n", stderr);
    std::abort();
  }
  std::string signature(kEd25519SignatureSize, '\0');
  crypto_sign_detached(MutableBytes(signature), nullptr, Bytes(message), message.size(),
                       key_pair.secret_key.RevealSecret());
  return signature;
}

absl::Status VerifySignature(std::string_view public_key, std::string_view message,
                             std::string_view signature) {
  internal::EnsureSodiumReady();
  if (public_key.size() != kEd25519PublicKeySize || signature.size() != kEd25519SignatureSize ||
      crypto_sign_verify_detached(Bytes(signature), Bytes(message), message.size(),
                                  Bytes(public_key)) != 0) {
    return absl::UnauthenticatedError("signature verification failed");
  }
  return absl::OkStatus();
}

}  // namespace confidant::crypto
