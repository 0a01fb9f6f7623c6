#include "server/audit/audit_leaf.h"

#include "base/bytes.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "crypto/padding.h"

namespace confidant::audit {
namespace {

uint64_t ReadU64(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

}  // namespace

std::string EncodeLeaf(const Leaf& leaf) {
  std::string out(1, static_cast<char>(kLeafFormat));
  AppendU64(out, leaf.index);
  AppendU64(out, static_cast<uint64_t>(leaf.time_unix_micros));
  AppendLengthPrefixed(out, leaf.ciphertext);
  return out;
}

absl::StatusOr<Leaf> DecodeLeaf(std::string_view bytes) {
  const absl::Status malformed = absl::DataLossError("audit leaf is malformed");
  if (bytes.size() < 21 || static_cast<uint8_t>(bytes[0]) != kLeafFormat) return malformed;
  Leaf leaf;
  leaf.index = ReadU64(bytes.substr(1));
  leaf.time_unix_micros = static_cast<int64_t>(ReadU64(bytes.substr(9)));
  uint64_t length = 0;
  for (size_t i = 17; i < 21; ++i) length = (length << 8) | static_cast<uint8_t>(bytes[i]);
  if (bytes.size() != 21 + length) return malformed;
  leaf.ciphertext = std::string(bytes.substr(21));
  return leaf;
}

std::string EventAssociatedData(uint64_t index, int64_t time_unix_micros) {
  std::string ad = DomainTag("confidant/v1/audit-entry");
  AppendU64(ad, index);
  AppendU64(ad, static_cast<uint64_t>(time_unix_micros));
  return ad;
}

absl::StatusOr<Leaf> SealEvent(const crypto::SecretBytes& audit_key, uint64_t index,
                               int64_t time_unix_micros, const v1::AuditEvent& event) {
  Leaf leaf{index, time_unix_micros, ""};
  // Padded to a size bucket, so a leaf's length does not tell which kind of access it records.
  ASSIGN_OR_RETURN(std::string padded, crypto::PadToBucket(event.SerializeAsString()));
  ASSIGN_OR_RETURN(leaf.ciphertext,
                   crypto::AeadSeal(audit_key, padded, EventAssociatedData(index, time_unix_micros)));
  return leaf;
}

absl::StatusOr<v1::AuditEvent> OpenEvent(const crypto::SecretBytes& audit_key, const Leaf& leaf) {
  ASSIGN_OR_RETURN(std::string padded,
                   crypto::AeadOpen(audit_key, leaf.ciphertext,
                                    EventAssociatedData(leaf.index, leaf.time_unix_micros)));
  ASSIGN_OR_RETURN(std::string plaintext, crypto::Unpad(padded));
  v1::AuditEvent event;
  if (!event.ParseFromString(plaintext)) return absl::DataLossError("decryption failed");
  return event;
}

}  // namespace confidant::audit
