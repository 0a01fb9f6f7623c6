// RFC 9162 §2.1.1 hashing and the compact frontier. Proofs live in merkle_proofs.cc.
#include "crypto/merkle.h"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <memory>

#include "base/bytes.h"

namespace confidant::crypto {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;  // RFC 9162 §2.1.1
constexpr uint8_t kNodePrefix = 0x01;  // RFC 9162 §2.1.1
constexpr uint8_t kFrontierVersion = 1;
constexpr size_t kFrontierHeaderSize = 1 + 8;  // version, big-endian size

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// SHA-256 fetched once (OpenSSL 3's implicit fetch on every call would dominate small hashes).
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// One reusable context per thread: no allocation per hash.
EVP_MD_CTX* ThreadContext() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

// SHA-256 of prefix || first || second. Aborts if OpenSSL cannot hash (see merkle.h).
Hash Sha256(const uint8_t* prefix, size_t prefix_size, std::string_view first,
            std::string_view second) {
  EVP_MD_CTX* ctx = ThreadContext();
  Hash out;
  unsigned int out_size = 0;
  if (Sha256Md() == nullptr || ctx == nullptr ||
      EVP_DigestInit_ex2(ctx, Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, prefix, prefix_size) != 1 ||
      EVP_DigestUpdate(ctx, first.data(), first.size()) != 1 ||
      EVP_DigestUpdate(ctx, second.data(), second.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &out_size) != 1 || out_size != out.size()) {
    std::abort();
  }
  return out;
}

std::string_view View(const Hash& hash) {
  return std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

uint64_t ReadU64(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

absl::Status MalformedFrontier() { return absl::DataLossError("malformed Merkle frontier"); }

}  // namespace

std::string HashToString(const Hash& hash) { return std::string(View(hash)); }

absl::StatusOr<Hash> HashFromString(std::string_view bytes) {
  if (bytes.size() != kMerkleHashSize) {
    return absl::InvalidArgumentError("Merkle hash must be 32 bytes");
  }
  Hash hash;
  std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

Hash EmptyTreeRoot() { return Sha256(nullptr, 0, {}, {}); }

Hash LeafHash(std::string_view leaf) { return Sha256(&kLeafPrefix, 1, leaf, {}); }

Hash NodeHash(const Hash& left, const Hash& right) {
  return Sha256(&kNodePrefix, 1, View(left), View(right));
}

std::vector<MerkleNode> MerkleFrontier::Append(const Hash& leaf_hash) {
  if (size_ == UINT64_MAX) std::abort();  // 2^64 - 1 appends: unreachable (see merkle.h)
  std::vector<MerkleNode> completed;
  const uint64_t new_size = size_ + 1;
  Hash hash = leaf_hash;
  completed.push_back({0, size_, hash});
  // Each trailing one bit of the old size is a perfect subtree the new leaf now completes a
  // sibling for: merge them bottom-up (RFC 9162 §2.1.1, MTH of a power-of-two range).
  for (uint64_t level = 0; (size_ >> level) & 1; ++level) {
    hash = NodeHash(hashes_.back(), hash);
    hashes_.pop_back();
    completed.push_back({level + 1, (new_size >> (level + 1)) - 1, hash});
  }
  hashes_.push_back(hash);
  size_ = new_size;
  return completed;
}

Hash MerkleFrontier::Root() const {
  if (hashes_.empty()) return EmptyTreeRoot();
  // MTH splits at the largest power of two, so the root folds the frontier from the right.
  Hash root = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) root = NodeHash(hashes_[i], root);
  return root;
}

std::string MerkleFrontier::Serialize() const {
  std::string out;
  out.reserve(kFrontierHeaderSize + hashes_.size() * kMerkleHashSize);
  out.push_back(static_cast<char>(kFrontierVersion));
  AppendU64(out, size_);
  for (const Hash& hash : hashes_) out.append(View(hash));
  return out;
}

absl::StatusOr<MerkleFrontier> MerkleFrontier::Deserialize(std::string_view bytes) {
  if (bytes.size() < kFrontierHeaderSize || static_cast<uint8_t>(bytes[0]) != kFrontierVersion) {
    return MalformedFrontier();
  }
  MerkleFrontier frontier;
  frontier.size_ = ReadU64(bytes.substr(1, 8));
  const size_t count = static_cast<size_t>(std::popcount(frontier.size_));
  std::string_view body = bytes.substr(kFrontierHeaderSize);
  if (body.size() != count * kMerkleHashSize) return MalformedFrontier();
  frontier.hashes_.resize(count);
  for (size_t i = 0; i < count; ++i) {
    std::string_view piece = body.substr(i * kMerkleHashSize, kMerkleHashSize);
    std::copy(piece.begin(), piece.end(), frontier.hashes_[i].begin());
  }
  return frontier;
}

}  // namespace confidant::crypto
