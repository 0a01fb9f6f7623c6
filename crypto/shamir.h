// Shamir unseal shares of the master key: k-of-n splitting and recombination over GF(2^8),
// done by Debian's libgfshare with libsodium's CSPRNG as its random source, plus the share
// hashes a vault records at init so that a wrong share is named instead of silently producing a
// wrong key. Pure: no I/O. The custodians' text form of a share is in crypto/share_text.h.
//
// Share hash, byte for byte (BLAKE2b-256, unkeyed, so it can be checked while the vault is
// sealed; `u32`/`u8` big-endian):
//
//   BLAKE2b-256("confidant/v1/share-hash" 0x00 u32(set_id) u8(threshold) u8(index) payload)
//
// A share's payload is uniformly random given fewer than `threshold` other shares, so its hash
// reveals nothing a brute force could use (2^256 candidates per share).
//
// Memory: every share payload and recombined secret lives in SecretBytes. libgfshare keeps its
// own copy of the secret and coefficients (or of the shares) in malloc'd memory while a split or
// combine runs; gfshare_ctx_free overwrites it with random bytes before freeing it, but that
// memory is not mlock'd. Thread-safe: all functions may be called concurrently.
#ifndef CONFIDANT_CRYPTO_SHAMIR_H_
#define CONFIDANT_CRYPTO_SHAMIR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace confidant::crypto {

inline constexpr size_t kShamirSecretSize = 32;  // the master key
inline constexpr int kShamirMinThreshold = 2;    // one person must never open the vault alone
inline constexpr int kShamirMaxShares = 255;     // GF(2^8) has 255 non-zero x coordinates
inline constexpr size_t kShareHashSize = 32;

// One custodian's share: which split it belongs to (a random 32-bit set id shared by every
// share of one init), the threshold of that split, its index (the x coordinate, 1..255) and its
// kShamirSecretSize-byte payload in guarded memory. Move-only; not thread-safe for mutation.
class Share {
 public:
  // INVALID_ARGUMENT if threshold is outside 2..255, index outside 1..255, or the payload is not
  // kShamirSecretSize bytes.
  static absl::StatusOr<Share> Create(uint32_t set_id, int threshold, int index,
                                      SecretBytes payload);

  Share(Share&&) noexcept = default;
  Share& operator=(Share&&) noexcept = default;
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;

  uint32_t set_id() const { return set_id_; }
  int threshold() const { return threshold_; }
  int index() const { return index_; }
  const SecretBytes& payload() const { return payload_; }

 private:
  Share(uint32_t set_id, int threshold, int index, SecretBytes payload)
      : set_id_(set_id), threshold_(threshold), index_(index), payload_(std::move(payload)) {}

  uint32_t set_id_;
  int threshold_;
  int index_;
  SecretBytes payload_;
};

// What a vault records at init to recognise its own shares later: the set id, the threshold and
// ShareHash() of every share, by index. Holds no secret. Copyable; immutable after Create.
class ShareHashes {
 public:
  // `hashes[i]` is the hash of the share with index i + 1. INVALID_ARGUMENT if the threshold is
  // outside 2..255, there are fewer hashes than the threshold or more than 255, or a hash is not
  // kShareHashSize bytes.
  static absl::StatusOr<ShareHashes> Create(uint32_t set_id, int threshold,
                                            std::vector<std::string> hashes);

  uint32_t set_id() const { return set_id_; }
  int threshold() const { return threshold_; }
  int share_count() const { return static_cast<int>(hashes_.size()); }
  // Hash of the share with `index` (1..share_count()).
  const std::string& hash(int index) const { return hashes_[static_cast<size_t>(index - 1)]; }

 private:
  ShareHashes(uint32_t set_id, int threshold, std::vector<std::string> hashes)
      : set_id_(set_id), threshold_(threshold), hashes_(std::move(hashes)) {}

  uint32_t set_id_;
  int threshold_;
  std::vector<std::string> hashes_;
};

// The output of one split: `shares[i]` has index i + 1; `hashes` are theirs.
struct SplitShares {
  std::vector<Share> shares;
  ShareHashes hashes;
};

// Splits `secret` (exactly kShamirSecretSize bytes) into `share_count` shares, any `threshold` of
// which recombine to it, under a fresh random set id. Every call draws new coefficients and a new
// set id, so two splits of the same secret share nothing. INVALID_ARGUMENT for a secret of the
// wrong size, a threshold below 2 (one custodian could open the vault alone), a threshold above
// the share count, or more than 255 shares. INTERNAL if libgfshare's random source is not
// libsodium's (something replaced it), libgfshare fails, or the first `threshold` shares do not
// recombine to `secret` (a self-check run before any share is handed out).
absl::StatusOr<SplitShares> Split(const SecretBytes& secret, int threshold, int share_count);

// Recombines the secret from at least `threshold` shares of one split. INVALID_ARGUMENT, naming
// the share, when the shares come from different splits (set ids differ), disagree on the
// threshold, repeat an index, or are fewer than the threshold; when more shares than the
// threshold are given, every extra one is checked against the polynomial the others define, and
// any disagreement is INVALID_ARGUMENT (a wrong share; VerifyShareAgainst names which). With
// exactly `threshold` shares a wrong one cannot be detected here: verify each share first.
absl::StatusOr<SecretBytes> Combine(const std::vector<Share>& shares);

// ShareHash of `share` (kShareHashSize raw bytes; see the file comment for the encoding).
std::string ShareHash(const Share& share);

// Checks `share` against the hashes recorded at init and returns its index. INVALID_ARGUMENT
// naming the share when it belongs to another split (set id), claims another threshold, has an
// index the split never produced, or does not match its recorded hash ("share 3 does not match
// the share hashes recorded at init"). The hash comparison is constant-time.
absl::StatusOr<int> VerifyShareAgainst(const ShareHashes& hashes, const Share& share);

// VerifyShareAgainst on every share, then Combine: the first wrong share is named.
absl::StatusOr<SecretBytes> CombineVerified(const ShareHashes& hashes,
                                            const std::vector<Share>& shares);

// True when libgfshare's global random fill (gfshare_fill_rand) is this module's function that
// calls libsodium's randombytes_buf. It is installed before the first split or combine; Split
// refuses to run if it has since been replaced.
bool ShamirUsesLibsodiumRandom();

// Lower-case 8-hex-digit form of a set id, as in error messages and the share text.
std::string ShareSetIdHex(uint32_t set_id);

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_SHAMIR_H_
