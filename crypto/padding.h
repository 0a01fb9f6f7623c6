// Length hiding: plaintexts are padded to size buckets before encryption.
#ifndef CONFIDANT_CRYPTO_PADDING_H_
#define CONFIDANT_CRYPTO_PADDING_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace confidant::crypto {

// Smallest bucket, in bytes. Every padded plaintext is at least this long.
inline constexpr size_t kMinPaddingBucket = 1024;
// Largest plaintext accepted for padding (buckets stop growing here).
inline constexpr size_t kMaxPaddedSize = 1 << 20;

// The bucket a plaintext of `length` bytes pads to: the smallest power of two that is
// >= max(kMinPaddingBucket, length + 1) (ISO/IEC 7816-4 padding needs at least one byte).
size_t PaddingBucket(size_t length);

// Pads with sodium_pad (ISO/IEC 7816-4: 0x80 then zeros) to exactly PaddingBucket(size).
// INVALID_ARGUMENT if the result would exceed kMaxPaddedSize.
absl::StatusOr<std::string> PadToBucket(std::string_view plaintext);

// Inverse of PadToBucket (sodium_unpad). DATA_LOSS "decryption failed" on malformed padding.
absl::StatusOr<std::string> Unpad(std::string_view padded);

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_PADDING_H_
