// Randomness and hashing helpers (libsodium CSPRNG and BLAKE2b).
#ifndef CONFIDANT_CRYPTO_RANDOM_H_
#define CONFIDANT_CRYPTO_RANDOM_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/secret_bytes.h"

namespace confidant::crypto {

// `size` random bytes (randombytes_buf). For ids and nonces, not secrets.
std::string RandomBytes(size_t size);

// Lower-case hex of `size` random bytes, e.g. a 16-byte id as 32 hex characters.
std::string RandomHexId(size_t size);

// Unkeyed BLAKE2b-256 of `data` (32 raw bytes). Used for envelope hashes.
std::string Blake2b256(std::string_view data);

// Keyed BLAKE2b-256 (crypto_generichash with `key`, 16..64 bytes). Used for opaque index keys.
// Aborts on a key of invalid size (a programming error).
std::string KeyedHash(const SecretBytes& key, std::string_view data);

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_RANDOM_H_
