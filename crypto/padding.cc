#include "crypto/padding.h"

#include <sodium.h>

#include <algorithm>
#include <bit>
#include <limits>

#include "absl/status/status.h"
#include "crypto/internal.h"

namespace confidant::crypto {

size_t PaddingBucket(size_t length) {
  // Lengths with no power of two above them cannot be padded; PadToBucket rejects them first.
  constexpr size_t kLargestBucket = size_t{1} << (std::numeric_limits<size_t>::digits - 1);
  if (length >= kLargestBucket) return std::numeric_limits<size_t>::max();
  return std::bit_ceil(std::max(kMinPaddingBucket, length + 1));
}

absl::StatusOr<std::string> PadToBucket(std::string_view plaintext) {
  if (plaintext.size() >= kMaxPaddedSize) {
    return absl::InvalidArgumentError("plaintext too large to pad");
  }
  const size_t bucket = PaddingBucket(plaintext.size());
  std::string padded(bucket, '\0');
  std::copy(plaintext.begin(), plaintext.end(), padded.begin());
  size_t padded_size = 0;
  if (sodium_pad(&padded_size, reinterpret_cast<unsigned char*>(padded.data()),
                 plaintext.size(), bucket, padded.size()) != 0 ||
      padded_size != bucket) {
    return absl::InternalError("sodium_pad failed");
  }
  return padded;
}

absl::StatusOr<std::string> Unpad(std::string_view padded) {
  const absl::Status malformed = internal::DecryptionFailedError();
  if (padded.empty() || padded.size() > kMaxPaddedSize) return malformed;
  size_t unpadded_size = 0;
  if (sodium_unpad(&unpadded_size, reinterpret_cast<const unsigned char*>(padded.data()),
                   padded.size(), padded.size()) != 0) {
    return malformed;
  }
  // Only exact buckets are well formed: PadToBucket never produces anything else.
  if (PaddingBucket(unpadded_size) != padded.size()) return malformed;
  return std::string(padded.substr(0, unpadded_size));
}

}  // namespace confidant::crypto
