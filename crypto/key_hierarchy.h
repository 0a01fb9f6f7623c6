// The key hierarchy of docs/ARCHITECTURE.md, as pure functions (no I/O, no storage):
//
//   master key (32 B, never stored)
//     -> key-wrapping key  = crypto_kdf_derive_from_key(master, subkey 1, context "cfdtkeys")
//          wraps every stored key: role KEKs (per role, per version), the vault identity key,
//          intake key pairs, the metadata key and the index key
//     role KEK (random, 32 B, versioned) -> wraps per record, per section data keys
//     data key (random, 32 B, one per record version and section) -> encrypts one section
//
// Associated data, byte for byte (`lp(x)` = 4-byte big-endian length, then the bytes of x;
// `u32`/`u64` = big-endian integers):
//
//   key at rest:  "confidant/v1/key"     0x00 lp(purpose) u32(version)
//   section:      "confidant/v1/section" 0x00 lp(record_id) u64(record_version) lp(section)
//                                            lp(data_key_id)
//   wrap:         "confidant/v1/wrap"    0x00 lp(record_id) lp(section) lp(role)
//                                            u32(role_key_version) lp(data_key_id)
//   commitment:   BLAKE2b-256 keyed with the data key over
//                 "confidant/v1/commit"  0x00 lp(record_id) u64(record_version) lp(section)
//                                            lp(data_key_id)
//
// The section AD never contains a role key version, so rewrapping a data key under a new role
// key version leaves section ciphertexts untouched. The commitment is stored with the record and
// checked on every unwrap: XChaCha20-Poly1305 is not key-committing, so without it a forged wrap
// for one role could make that role open a different plaintext than every other role.
#ifndef CONFIDANT_CRYPTO_KEY_HIERARCHY_H_
#define CONFIDANT_CRYPTO_KEY_HIERARCHY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace confidant::crypto {

inline constexpr size_t kMasterKeySize = 32;
inline constexpr size_t kDataKeySize = 32;
inline constexpr size_t kCommitmentSize = 32;

struct KeyLabel {
  std::string_view purpose;  // e.g. "role-kek/case_officer", "intake", "vault-identity"
  uint32_t version = 0;
};

struct SectionContext {
  std::string_view record_id;
  uint64_t record_version = 0;
  std::string_view section;
  std::string_view data_key_id;
};

struct WrapContext {
  std::string_view record_id;
  std::string_view section;
  std::string_view role;
  uint32_t role_key_version = 0;
  std::string_view data_key_id;
};

std::string KeyAssociatedData(const KeyLabel& label);
std::string SectionAssociatedData(const SectionContext& context);
std::string WrapAssociatedData(const WrapContext& context);

// The key-wrapping key derived from the master key. INVALID_ARGUMENT on a master key that is not
// kMasterKeySize bytes.
absl::StatusOr<SecretBytes> DeriveKeyWrappingKey(const SecretBytes& master_key);

// Wraps/unwraps stored key material under the key-wrapping key, bound to `label`.
// Unwrap failures are DATA_LOSS kDecryptionFailed.
absl::StatusOr<std::string> WrapStoredKey(const SecretBytes& key_wrapping_key,
                                          const KeyLabel& label, const SecretBytes& key);
absl::StatusOr<SecretBytes> UnwrapStoredKey(const SecretBytes& key_wrapping_key,
                                            const KeyLabel& label, std::string_view wrapped);

// Section encryption: pads `plaintext` to its bucket (crypto/padding.h), then AEAD-seals with
// SectionAssociatedData(context). Decrypt reverses both; any failure is DATA_LOSS
// kDecryptionFailed.
absl::StatusOr<std::string> EncryptSection(const SecretBytes& data_key,
                                           const SectionContext& context,
                                           std::string_view plaintext);
absl::StatusOr<std::string> DecryptSection(const SecretBytes& data_key,
                                           const SectionContext& context,
                                           std::string_view ciphertext);

// The keyed commitment to `data_key` for `context` (kCommitmentSize raw bytes).
std::string CommitToDataKey(const SecretBytes& data_key, const SectionContext& context);

// Wraps a data key under a role KEK with WrapAssociatedData(context).
absl::StatusOr<std::string> WrapDataKey(const SecretBytes& role_kek, const WrapContext& wrap,
                                        const SecretBytes& data_key);

// Unwraps and then checks the commitment for `section` in constant time. Any failure (bad
// wrap, wrong role key, commitment mismatch) is DATA_LOSS kDecryptionFailed.
absl::StatusOr<SecretBytes> UnwrapDataKey(const SecretBytes& role_kek, const WrapContext& wrap,
                                          std::string_view wrapped,
                                          const SectionContext& section,
                                          std::string_view expected_commitment);

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_KEY_HIERARCHY_H_
