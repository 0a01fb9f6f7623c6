// The bytes the vault identity key signs for a submission receipt.
#ifndef CONFIDANT_PROTO_RECEIPT_FORMAT_H_
#define CONFIDANT_PROTO_RECEIPT_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace confidant {

// "confidant/v1/receipt" 0x00 lp(record_id) lp(envelope_hash) u64(audit_index)
// lp(checkpoint note).
inline std::string ReceiptSigningBytes(std::string_view record_id, std::string_view envelope_hash,
                                       uint64_t audit_index, std::string_view checkpoint_note) {
  std::string out = DomainTag("confidant/v1/receipt");
  AppendLengthPrefixed(out, record_id);
  AppendLengthPrefixed(out, envelope_hash);
  AppendU64(out, audit_index);
  AppendLengthPrefixed(out, checkpoint_note);
  return out;
}

}  // namespace confidant

#endif  // CONFIDANT_PROTO_RECEIPT_FORMAT_H_
