// The one process clock every server decision reads: audit entry times, policy decisions
// (validity windows, break-glass expiry, quotas), consent change times, and the break-glass
// timer. Thread-safe.
//
// Dev mode can shift it for tests (SetDevClockOffsetFile): every reading, wall and steady
// alike, then adds the signed number of seconds written in a file, so a test can make time pass
// or set the wall clock back without touching the host's clock. Production never sets it.
#ifndef CONFIDANT_SERVER_CLOCK_H_
#define CONFIDANT_SERVER_CLOCK_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace confidant::server {

// The wall clock (unix time), plus the dev offset. It can jump either way when the host's clock
// is set; the vault refuses to serve while it reads earlier than the audit log's last entry.
int64_t WallMicros();
int64_t WallSeconds();

// A monotonic clock from an arbitrary origin (CLOCK_MONOTONIC: does not jump when the wall clock
// is set; does not count suspended time), plus the dev offset. For durations within one run.
int64_t SteadyMicros();

// Dev only (confidantd --dev --dev_clock_offset_file=F): from now on every reading adds the
// offset in `path`, read again on each reading. A missing or empty file means 0; content that
// does not parse keeps the last offset that did (and logs a warning). Call once at start,
// before any thread reads the clock.
void SetDevClockOffsetFile(std::string path);

// The offset a file holds: optional whitespace, an optional sign and decimal digits, optional
// whitespace; empty (or only whitespace) is 0. INVALID_ARGUMENT otherwise, or beyond ±10 years.
absl::StatusOr<int64_t> ParseClockOffsetSeconds(std::string_view text);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_CLOCK_H_
