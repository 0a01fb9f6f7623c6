#include "crypto/shamir.h"

// libgfshare.h has no extern "C" guard of its own.
extern "C" {
#include <libgfshare.h>
}
#include <sodium.h>

#include <bitset>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "crypto/internal.h"

// libgfshare's random fill: every coefficient of every split comes from here, and
// gfshare_ctx_free overwrites the context's buffers with it before freeing them. Debian's
// libgfshare 2.0.0 leaves gfshare_fill_rand NULL and offers a fallback built on libc random(),
// which is predictable; neither may ever be used.
extern "C" {
static void ConfidantGfshareFillRandom(unsigned char* buffer, unsigned int count) {
  randombytes_buf(buffer, count);
}
}

namespace confidant::crypto {
namespace {

constexpr char kShareHashLabel[] = "confidant/v1/share-hash";

// Installs ConfidantGfshareFillRandom once per process (thread-safe static initialisation).
void InstallLibsodiumRandom() {
  [[maybe_unused]] static const bool installed = [] {
    internal::EnsureSodiumReady();
    gfshare_fill_rand = &ConfidantGfshareFillRandom;
    return true;
  }();
}

// Fails closed if something replaced our random source after we installed it.
absl::Status RequireLibsodiumRandom() {
  InstallLibsodiumRandom();
  if (!ShamirUsesLibsodiumRandom()) {
    return absl::InternalError(
        "libgfshare's random source is no longer libsodium's randombytes_buf; refusing to use it");
  }
  return absl::OkStatus();
}

struct GfshareCtxDeleter {
  void operator()(gfshare_ctx* ctx) const { gfshare_ctx_free(ctx); }  // Scrubs, then frees.
};
using GfshareCtx = std::unique_ptr<gfshare_ctx, GfshareCtxDeleter>;

std::string ShareName(const Share& share) { return absl::StrCat("share ", share.index()); }

absl::Status CheckThreshold(int threshold) {
  if (threshold < kShamirMinThreshold) {
    return absl::InvalidArgumentError(
        absl::StrCat("threshold must be at least ", kShamirMinThreshold, " (got ", threshold,
                     "): one person must never be able to open the vault alone"));
  }
  if (threshold > kShamirMaxShares) {
    return absl::InvalidArgumentError(
        absl::StrCat("threshold must be at most ", kShamirMaxShares, " (got ", threshold, ")"));
  }
  return absl::OkStatus();
}

// Interpolates the secret (x = 0) from `chosen`, which have distinct indices.
absl::StatusOr<SecretBytes> Interpolate(const std::vector<const Share*>& chosen) {
  std::vector<unsigned char> xs;
  for (const Share* share : chosen) xs.push_back(static_cast<unsigned char>(share->index()));
  GfshareCtx ctx(
      gfshare_ctx_init_dec(xs.data(), static_cast<unsigned int>(xs.size()), kShamirSecretSize));
  if (ctx == nullptr) return absl::InternalError("libgfshare could not start a recombination");
  // gfshare_ctx_dec_giveshare takes a non-const pointer (it only copies from it), so give it
  // a guarded copy rather than casting const away from the shares.
  SecretBytes payload(kShamirSecretSize);
  for (size_t i = 0; i < chosen.size(); ++i) {
    std::memcpy(payload.RevealSecretMutable(), chosen[i]->payload().RevealSecret(),
                kShamirSecretSize);
    gfshare_ctx_dec_giveshare(ctx.get(), static_cast<unsigned char>(i),
                              payload.RevealSecretMutable());
  }
  SecretBytes secret(kShamirSecretSize);
  gfshare_ctx_dec_extract(ctx.get(), secret.RevealSecretMutable());
  return secret;
}

// Every share from one split, agreeing on the threshold, distinct indices, enough of them.
absl::Status CheckCombinable(const std::vector<Share>& shares) {
  if (shares.empty()) return absl::InvalidArgumentError("no shares given");
  const Share& first = shares.front();
  std::bitset<kShamirMaxShares + 1> seen;
  for (const Share& share : shares) {
    if (share.set_id() != first.set_id()) {
      return absl::InvalidArgumentError(absl::StrCat(
          ShareName(share), " is from share set ", ShareSetIdHex(share.set_id()), " but ",
          ShareName(first), " is from share set ", ShareSetIdHex(first.set_id()),
          ": shares from different inits cannot be mixed"));
    }
    if (share.threshold() != first.threshold()) {
      return absl::InvalidArgumentError(
          absl::StrCat("threshold mismatch: ", ShareName(share), " says ", share.threshold(),
                       " shares are needed but ", ShareName(first), " says ", first.threshold()));
    }
    if (seen.test(static_cast<size_t>(share.index()))) {
      return absl::InvalidArgumentError(absl::StrCat(ShareName(share), " was given twice"));
    }
    seen.set(static_cast<size_t>(share.index()));
  }
  if (shares.size() < static_cast<size_t>(first.threshold())) {
    return absl::InvalidArgumentError(
        absl::StrCat("need ", first.threshold(), " distinct shares, got ", shares.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Share> Share::Create(uint32_t set_id, int threshold, int index,
                                    SecretBytes payload) {
  RETURN_IF_ERROR(CheckThreshold(threshold));
  if (index < 1 || index > kShamirMaxShares) {
    return absl::InvalidArgumentError(
        absl::StrCat("share index must be from 1 to ", kShamirMaxShares, " (got ", index, ")"));
  }
  if (payload.size() != kShamirSecretSize) {
    return absl::InvalidArgumentError(absl::StrCat("share payload must be ", kShamirSecretSize,
                                                   " bytes (got ", payload.size(), ")"));
  }
  return Share(set_id, threshold, index, std::move(payload));
}

absl::StatusOr<ShareHashes> ShareHashes::Create(uint32_t set_id, int threshold,
                                                std::vector<std::string> hashes) {
  RETURN_IF_ERROR(CheckThreshold(threshold));
  if (hashes.size() < static_cast<size_t>(threshold) ||
      hashes.size() > static_cast<size_t>(kShamirMaxShares)) {
    return absl::InvalidArgumentError(absl::StrCat("expected from ", threshold, " to ",
                                                   kShamirMaxShares, " share hashes, got ",
                                                   hashes.size()));
  }
  for (const std::string& hash : hashes) {
    if (hash.size() != kShareHashSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("a share hash must be ", kShareHashSize, " bytes"));
    }
  }
  return ShareHashes(set_id, threshold, std::move(hashes));
}

absl::StatusOr<SplitShares> Split(const SecretBytes& secret, int threshold, int share_count) {
  if (secret.size() != kShamirSecretSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("the secret to split must be ", kShamirSecretSize, " bytes"));
  }
  RETURN_IF_ERROR(CheckThreshold(threshold));
  if (share_count < threshold || share_count > kShamirMaxShares) {
    return absl::InvalidArgumentError(absl::StrCat("share count must be from the threshold (",
                                                   threshold, ") to ", kShamirMaxShares, " (got ",
                                                   share_count, ")"));
  }
  RETURN_IF_ERROR(RequireLibsodiumRandom());

  std::vector<unsigned char> xs;
  for (int x = 1; x <= share_count; ++x) xs.push_back(static_cast<unsigned char>(x));
  GfshareCtx ctx(gfshare_ctx_init_enc(xs.data(), static_cast<unsigned int>(share_count),
                                      static_cast<unsigned char>(threshold), kShamirSecretSize));
  if (ctx == nullptr) return absl::InternalError("libgfshare could not start a split");
  {
    // gfshare_ctx_enc_setsecret takes a non-const pointer (it only copies from it).
    SecretBytes copy(kShamirSecretSize);
    std::memcpy(copy.RevealSecretMutable(), secret.RevealSecret(), kShamirSecretSize);
    gfshare_ctx_enc_setsecret(ctx.get(), copy.RevealSecretMutable());  // Draws coefficients.
  }

  const uint32_t set_id = randombytes_random();
  std::vector<Share> shares;
  std::vector<std::string> hashes;
  for (int i = 0; i < share_count; ++i) {
    SecretBytes payload(kShamirSecretSize);
    gfshare_ctx_enc_getshare(ctx.get(), static_cast<unsigned char>(i),
                             payload.RevealSecretMutable());
    ASSIGN_OR_RETURN(Share share, Share::Create(set_id, threshold, i + 1, std::move(payload)));
    hashes.push_back(ShareHash(share));
    shares.push_back(std::move(share));
  }
  ASSIGN_OR_RETURN(ShareHashes recorded, ShareHashes::Create(set_id, threshold, std::move(hashes)));

  // Self-check before anyone writes a share down: the first `threshold` shares give the secret.
  std::vector<const Share*> first;
  for (int i = 0; i < threshold; ++i) first.push_back(&shares[static_cast<size_t>(i)]);
  ASSIGN_OR_RETURN(SecretBytes recombined, Interpolate(first));
  if (!recombined.ConstantTimeEquals(secret)) {
    return absl::InternalError("libgfshare's shares do not recombine to the secret");
  }
  return SplitShares{std::move(shares), std::move(recorded)};
}

absl::StatusOr<SecretBytes> Combine(const std::vector<Share>& shares) {
  RETURN_IF_ERROR(CheckCombinable(shares));
  RETURN_IF_ERROR(RequireLibsodiumRandom());
  const size_t threshold = static_cast<size_t>(shares.front().threshold());
  std::vector<const Share*> chosen;
  for (size_t i = 0; i < threshold; ++i) chosen.push_back(&shares[i]);
  ASSIGN_OR_RETURN(SecretBytes secret, Interpolate(chosen));

  // Each extra share, with the first threshold-1, must give the same secret: the difference of
  // two polynomials of degree < threshold that agree on threshold-1 non-zero points is
  // c * prod(x - x_i), which is non-zero at x = 0 unless c = 0 (byte by byte in GF(2^8)).
  for (size_t extra = threshold; extra < shares.size(); ++extra) {
    chosen.back() = &shares[extra];
    ASSIGN_OR_RETURN(SecretBytes other, Interpolate(chosen));
    if (!other.ConstantTimeEquals(secret)) {
      return absl::InvalidArgumentError(
          "the shares do not agree: at least one is wrong (check each against the share hashes "
          "recorded at init)");
    }
  }
  return secret;
}

std::string ShareHash(const Share& share) {
  internal::EnsureSodiumReady();
  std::string header = DomainTag(kShareHashLabel);
  AppendU32(header, share.set_id());
  header.push_back(static_cast<char>(share.threshold()));
  header.push_back(static_cast<char>(share.index()));

  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kShareHashSize);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(header.data()),
                            header.size());
  crypto_generichash_update(&state, share.payload().RevealSecret(), share.payload().size());
  std::string digest(kShareHashSize, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(digest.data()), digest.size());
  sodium_memzero(&state, sizeof(state));  // It absorbed the payload.
  return digest;
}

absl::StatusOr<int> VerifyShareAgainst(const ShareHashes& hashes, const Share& share) {
  if (share.set_id() != hashes.set_id()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ShareName(share), " is from share set ", ShareSetIdHex(share.set_id()),
                     " but this vault's shares are from share set ", ShareSetIdHex(hashes.set_id()),
                     ": shares from different inits cannot be mixed"));
  }
  if (share.threshold() != hashes.threshold()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "threshold mismatch: ", ShareName(share), " says ", share.threshold(),
        " shares are needed but this vault was split with threshold ", hashes.threshold()));
  }
  if (share.index() > hashes.share_count()) {
    return absl::InvalidArgumentError(absl::StrCat(ShareName(share),
                                                   " does not exist: this vault was split into ",
                                                   hashes.share_count(), " shares"));
  }
  const std::string actual = ShareHash(share);
  const std::string& recorded = hashes.hash(share.index());
  if (sodium_memcmp(actual.data(), recorded.data(), kShareHashSize) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(ShareName(share), " does not match the share hashes recorded at init"));
  }
  return share.index();
}

absl::StatusOr<SecretBytes> CombineVerified(const ShareHashes& hashes,
                                            const std::vector<Share>& shares) {
  for (const Share& share : shares) RETURN_IF_ERROR(VerifyShareAgainst(hashes, share).status());
  return Combine(shares);
}

bool ShamirUsesLibsodiumRandom() { return gfshare_fill_rand == &ConfidantGfshareFillRandom; }

std::string ShareSetIdHex(uint32_t set_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(8, '0');
  for (int i = 7; i >= 0; --i, set_id >>= 4) hex[static_cast<size_t>(i)] = kHex[set_id & 0xf];
  return hex;
}

}  // namespace confidant::crypto
