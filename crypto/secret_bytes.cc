#include "crypto/secret_bytes.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "crypto/internal.h"

namespace confidant::crypto {
namespace {

// Guarded allocation of `size` > 0 bytes; aborts on failure (out of memory).
uint8_t* AllocateGuarded(size_t size) {
  internal::EnsureSodiumReady();
  void* memory = sodium_malloc(size);
  if (memory == nullptr) {
    std::fputs("confidant: sodium_malloc failed (out of guarded memory)\n", stderr);
    std::abort();
  }
  return static_cast<uint8_t*>(memory);
}

}  // namespace

SecretBytes::SecretBytes(size_t size) : size_(size) {
  if (size_ == 0) return;
  data_ = AllocateGuarded(size_);
  sodium_memzero(data_, size_);  // sodium_malloc fills with garbage (0xdb), not zeros.
}

SecretBytes SecretBytes::Random(size_t size) {
  SecretBytes secret(size);
  if (size > 0) randombytes_buf(secret.data_, size);
  return secret;
}

SecretBytes SecretBytes::CopyFrom(std::string_view bytes) {
  SecretBytes secret(bytes.size());
  if (!bytes.empty()) std::memcpy(secret.data_, bytes.data(), bytes.size());
  return secret;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) sodium_free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  if (data_ != nullptr) sodium_free(data_);  // Wipes, unlocks and unmaps.
}

bool SecretBytes::ConstantTimeEquals(const SecretBytes& other) const {
  if (size_ != other.size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(data_, other.data_, size_) == 0;
}

}  // namespace confidant::crypto
