// Bounds on one audit entry, applied to every event the log appends (AuditLog::Enqueue), so no
// caller can write an entry that grows with the number of records or requests it concerns: one
// oversize entry would exceed the gRPC message limit and break `audit verify`, `export` and
// `show` for every auditor, for good (issue 13, item 1).
#ifndef CONFIDANT_SERVER_AUDIT_EVENT_BOUNDS_H_
#define CONFIDANT_SERVER_AUDIT_EVENT_BOUNDS_H_

#include <cstddef>

#include "confidant/v1/audit.pb.h"

namespace confidant::audit {

// At most this many record ids in one entry. Callers that concern more (a retention pass, a
// restore) also write one entry per record elsewhere (server/shredder.cc) or say the count.
inline constexpr size_t kMaxRecordIdsPerEntry = 100;
// At most this many bytes of detail text.
inline constexpr size_t kMaxDetailBytes = 4096;

// Keeps the first kMaxRecordIdsPerEntry record ids and appends to the detail how many more
// there were and the BLAKE2b-256 of all of them in order (hex), so a claimed list can still be
// checked against the entry; then cuts the detail to kMaxDetailBytes (marked "[cut]").
void BoundEvent(v1::AuditEvent& event);

}  // namespace confidant::audit

#endif  // CONFIDANT_SERVER_AUDIT_EVENT_BOUNDS_H_
