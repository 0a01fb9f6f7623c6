// SecretBytes: the one type that holds secret key material.
#ifndef CONFIDANT_CRYPTO_SECRET_BYTES_H_
#define CONFIDANT_CRYPTO_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace confidant::crypto {

// Move-only buffer in libsodium guarded memory (sodium_malloc: guard pages, mlock'd, wiped and
// unlocked by sodium_free on destruction). Never printed: there is no operator<<, and the raw
// bytes are reachable only through RevealSecret()/RevealSecretMutable(), so every use of key bytes
// can be found with one grep. Not thread-safe for concurrent mutation; const use is safe.
// Allocation failure is treated as out-of-memory and aborts the process.
class SecretBytes {
 public:
  SecretBytes() = default;
  // `size` zeroed bytes.
  explicit SecretBytes(size_t size);
  // `size` bytes from libsodium's CSPRNG.
  static SecretBytes Random(size_t size);
  // Copies `bytes`; the caller remains responsible for wiping its own copy.
  static SecretBytes CopyFrom(std::string_view bytes);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Constant-time comparison (sodium_memcmp); different sizes compare unequal.
  bool ConstantTimeEquals(const SecretBytes& other) const;

  // The only accessors for the raw bytes. Review every call site.
  const uint8_t* RevealSecret() const { return data_; }
  uint8_t* RevealSecretMutable() { return data_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Overwrites a string's bytes with zeros (sodium_memzero) and clears it. For transient
// plaintext copies (serialized records) that protobuf forces into std::string.
void WipeString(std::string& text);

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_SECRET_BYTES_H_
