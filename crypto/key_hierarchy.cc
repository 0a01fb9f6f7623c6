#include "crypto/key_hierarchy.h"

#include <sodium.h>

#include "absl/status/status.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "crypto/internal.h"
#include "crypto/padding.h"
#include "crypto/random.h"

namespace confidant::crypto {
namespace {

static_assert(kDataKeySize == kAeadKeySize);
static_assert(kCommitmentSize == crypto_generichash_BYTES);

constexpr uint64_t kKeyWrappingSubkeyId = 1;
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "cfdtkeys";

// Appends `value` as `width` big-endian bytes.
void AppendBigEndian(std::string& out, uint64_t value, int width) {
  for (int shift = 8 * (width - 1); shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}
void AppendU32(std::string& out, uint32_t value) { AppendBigEndian(out, value, 4); }
void AppendU64(std::string& out, uint64_t value) { AppendBigEndian(out, value, 8); }

// lp(x): 4-byte big-endian length, then the bytes. Fields are ids and labels, far below 4 GiB.
void AppendLengthPrefixed(std::string& out, std::string_view value) {
  AppendU32(out, static_cast<uint32_t>(value.size()));
  out.append(value);
}

// The domain string followed by its 0x00 separator.
std::string Domain(std::string_view name) {
  std::string out(name);
  out.push_back('\0');
  return out;
}

std::string CommitmentMessage(const SectionContext& context) {
  std::string out = Domain("confidant/v1/commit");
  AppendLengthPrefixed(out, context.record_id);
  AppendU64(out, context.record_version);
  AppendLengthPrefixed(out, context.section);
  AppendLengthPrefixed(out, context.data_key_id);
  return out;
}

// True if the wrap and the section name the same record, section and data key.
bool SameDataKey(const WrapContext& wrap, const SectionContext& section) {
  return wrap.record_id == section.record_id && wrap.section == section.section &&
         wrap.data_key_id == section.data_key_id;
}

}  // namespace

std::string KeyAssociatedData(const KeyLabel& label) {
  std::string out = Domain("confidant/v1/key");
  AppendLengthPrefixed(out, label.purpose);
  AppendU32(out, label.version);
  return out;
}

std::string SectionAssociatedData(const SectionContext& context) {
  std::string out = Domain("confidant/v1/section");
  AppendLengthPrefixed(out, context.record_id);
  AppendU64(out, context.record_version);
  AppendLengthPrefixed(out, context.section);
  AppendLengthPrefixed(out, context.data_key_id);
  return out;
}

std::string WrapAssociatedData(const WrapContext& context) {
  std::string out = Domain("confidant/v1/wrap");
  AppendLengthPrefixed(out, context.record_id);
  AppendLengthPrefixed(out, context.section);
  AppendLengthPrefixed(out, context.role);
  AppendU32(out, context.role_key_version);
  AppendLengthPrefixed(out, context.data_key_id);
  return out;
}

absl::StatusOr<SecretBytes> DeriveKeyWrappingKey(const SecretBytes& master_key) {
  if (master_key.size() != kMasterKeySize) {
    return absl::InvalidArgumentError("master key must be 32 bytes");
  }
  SecretBytes key_wrapping_key(kAeadKeySize);
  if (crypto_kdf_derive_from_key(key_wrapping_key.RevealSecretMutable(), key_wrapping_key.size(),
                                 kKeyWrappingSubkeyId, kKdfContext,
                                 master_key.RevealSecret()) != 0) {
    return absl::InternalError("key derivation failed");
  }
  return key_wrapping_key;
}

absl::StatusOr<std::string> WrapStoredKey(const SecretBytes& key_wrapping_key,
                                          const KeyLabel& label, const SecretBytes& key) {
  return AeadSealSecret(key_wrapping_key, key, KeyAssociatedData(label));
}

absl::StatusOr<SecretBytes> UnwrapStoredKey(const SecretBytes& key_wrapping_key,
                                            const KeyLabel& label, std::string_view wrapped) {
  return AeadOpenSecret(key_wrapping_key, wrapped, KeyAssociatedData(label));
}

absl::StatusOr<std::string> EncryptSection(const SecretBytes& data_key,
                                           const SectionContext& context,
                                           std::string_view plaintext) {
  ASSIGN_OR_RETURN(std::string padded, PadToBucket(plaintext));
  absl::StatusOr<std::string> sealed = AeadSeal(data_key, padded, SectionAssociatedData(context));
  sodium_memzero(padded.data(), padded.size());
  return sealed;
}

absl::StatusOr<std::string> DecryptSection(const SecretBytes& data_key,
                                           const SectionContext& context,
                                           std::string_view ciphertext) {
  ASSIGN_OR_RETURN(std::string padded,
                   AeadOpen(data_key, ciphertext, SectionAssociatedData(context)));
  absl::StatusOr<std::string> plaintext = Unpad(padded);
  sodium_memzero(padded.data(), padded.size());
  return plaintext;
}

std::string CommitToDataKey(const SecretBytes& data_key, const SectionContext& context) {
  return KeyedHash(data_key, CommitmentMessage(context));
}

absl::StatusOr<std::string> WrapDataKey(const SecretBytes& role_kek, const WrapContext& wrap,
                                        const SecretBytes& data_key) {
  if (data_key.size() != kDataKeySize) {
    return absl::InvalidArgumentError("data key must be 32 bytes");
  }
  return AeadSealSecret(role_kek, data_key, WrapAssociatedData(wrap));
}

absl::StatusOr<SecretBytes> UnwrapDataKey(const SecretBytes& role_kek, const WrapContext& wrap,
                                          std::string_view wrapped,
                                          const SectionContext& section,
                                          std::string_view expected_commitment) {
  if (!SameDataKey(wrap, section) || expected_commitment.size() != kCommitmentSize) {
    return internal::DecryptionFailedError();
  }
  ASSIGN_OR_RETURN(SecretBytes data_key,
                   AeadOpenSecret(role_kek, wrapped, WrapAssociatedData(wrap)));
  if (data_key.size() != kDataKeySize) return internal::DecryptionFailedError();
  const std::string commitment = CommitToDataKey(data_key, section);
  if (sodium_memcmp(commitment.data(), expected_commitment.data(), kCommitmentSize) != 0) {
    return internal::DecryptionFailedError();
  }
  return data_key;
}

}  // namespace confidant::crypto
