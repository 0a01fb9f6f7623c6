#include "crypto/random.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "crypto/internal.h"

namespace confidant::crypto {

std::string RandomBytes(size_t size) {
  internal::EnsureSodiumReady();
  std::string bytes(size, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return bytes;
}

std::string RandomHexId(size_t size) { return absl::BytesToHexString(RandomBytes(size)); }

std::string Blake2b256(std::string_view data) {
  internal::EnsureSodiumReady();
  std::string digest(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(digest.data()), digest.size(),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size(), nullptr,
                     0);
  return digest;
}

std::string KeyedHash(const SecretBytes& key, std::string_view data) {
  if (key.size() < crypto_generichash_KEYBYTES_MIN ||
      key.size() > crypto_generichash_KEYBYTES_MAX) {
    std::fputs("confidant: KeyedHash called with a key of invalid size\n", stderr);
    std::abort();
  }
  std::string digest(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(digest.data()), digest.size(),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                     key.RevealSecret(), key.size());
  return digest;
}

}  // namespace confidant::crypto
