// The bytes of one audit log leaf, and the associated data of its encrypted body.
//
//   leaf = u8(1) u64(index) i64(time_unix_micros) lp(ciphertext)            (big-endian)
//   ciphertext = XChaCha20-Poly1305(audit key, AuditEvent padded to its bucket (crypto/padding.h),
//                  ad = "confidant/v1/audit-entry" 0x00 u64(index) i64(time_unix_micros))
//
// The Merkle leaf hash is SHA-256(0x00 || leaf) (RFC 9162), so anyone holding the leaves can
// check the tree without the audit key, and nothing in a leaf reveals content.
#ifndef CONFIDANT_SERVER_AUDIT_AUDIT_LEAF_H_
#define CONFIDANT_SERVER_AUDIT_AUDIT_LEAF_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "confidant/v1/audit.pb.h"
#include "crypto/secret_bytes.h"

namespace confidant::audit {

inline constexpr uint8_t kLeafFormat = 1;

struct Leaf {
  uint64_t index = 0;
  int64_t time_unix_micros = 0;
  std::string ciphertext;
};

std::string EncodeLeaf(const Leaf& leaf);
// DATA_LOSS "audit leaf is malformed" on anything but an exact encoding.
absl::StatusOr<Leaf> DecodeLeaf(std::string_view bytes);

std::string EventAssociatedData(uint64_t index, int64_t time_unix_micros);

// Encrypts `event` into a leaf at `index`, `time`.
absl::StatusOr<Leaf> SealEvent(const crypto::SecretBytes& audit_key, uint64_t index,
                               int64_t time_unix_micros, const v1::AuditEvent& event);
// Decrypts a leaf's body. DATA_LOSS "decryption failed" on any failure.
absl::StatusOr<v1::AuditEvent> OpenEvent(const crypto::SecretBytes& audit_key, const Leaf& leaf);

}  // namespace confidant::audit

#endif  // CONFIDANT_SERVER_AUDIT_AUDIT_LEAF_H_
