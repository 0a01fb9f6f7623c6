// Process-wide crypto start-up: libsodium, memory-lock probe, process hardening.
#ifndef CONFIDANT_CRYPTO_INIT_H_
#define CONFIDANT_CRYPTO_INIT_H_

#include <cstddef>

#include "absl/status/status.h"

namespace confidant::crypto {

// Initialises libsodium. Safe to call more than once and from several threads.
// INTERNAL if libsodium cannot initialise.
absl::Status InitCrypto();

// libsodium 1.0.18 silently ignores mlock failures in sodium_malloc, so secrets could be swapped
// out unnoticed. This probe locks `bytes` of guarded memory itself (sodium_mlock on a
// sodium_malloc'd region) and reports FAILED_PRECONDITION, naming RLIMIT_MEMLOCK, if locking
// fails. The vault refuses to open when it fails.
absl::Status ProbeMemoryLocking(size_t bytes);

// Makes the process non-dumpable (prctl PR_SET_DUMPABLE 0, which also blocks ptrace attach by
// non-root users) and sets RLIMIT_CORE to 0, so no core dump can carry plaintext or keys.
absl::Status HardenProcess();

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_INIT_H_
