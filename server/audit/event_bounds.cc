#include "server/audit/event_bounds.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "crypto/random.h"

namespace confidant::audit {

void BoundEvent(v1::AuditEvent& event) {
  const size_t ids = static_cast<size_t>(event.record_ids_size());
  if (ids > kMaxRecordIdsPerEntry) {
    std::string all;
    for (const std::string& id : event.record_ids()) absl::StrAppend(&all, id, "\n");
    const std::string digest = absl::BytesToHexString(crypto::Blake2b256(all));
    event.mutable_record_ids()->DeleteSubrange(
        static_cast<int>(kMaxRecordIdsPerEntry), static_cast<int>(ids - kMaxRecordIdsPerEntry));
    absl::StrAppend(event.mutable_detail(), event.detail().empty() ? "" : "; ", ids,
                    " record ids, the first ", kMaxRecordIdsPerEntry,
                    " listed; BLAKE2b-256 of all (each followed by a newline): ", digest);
  }
  if (event.detail().size() > kMaxDetailBytes) {
    constexpr char kCut[] = " [cut]";
    size_t keep = kMaxDetailBytes - (sizeof(kCut) - 1);
    // Never split a UTF-8 sequence: back up over continuation bytes.
    while (keep > 0 && (static_cast<unsigned char>(event.detail()[keep]) & 0xC0) == 0x80) --keep;
    event.mutable_detail()->resize(keep);
    event.mutable_detail()->append(kCut);
  }
}

}  // namespace confidant::audit
