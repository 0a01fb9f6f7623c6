#include "crypto/init.h"

#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "crypto/internal.h"

namespace confidant::crypto {
namespace {

// Human-readable current RLIMIT_MEMLOCK soft limit.
std::string MemlockLimitText() {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_MEMLOCK, &limit) != 0) return "unknown";
  if (limit.rlim_cur == RLIM_INFINITY) return "unlimited";
  return absl::StrCat(limit.rlim_cur, " bytes");
}

}  // namespace

absl::Status InitCrypto() {
  // A function-local static runs sodium_init() once, even with concurrent first callers.
  static const bool initialised = sodium_init() >= 0;
  if (!initialised) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

absl::Status ProbeMemoryLocking(size_t bytes) {
  internal::EnsureSodiumReady();
  const size_t size = std::max<size_t>(bytes, 1);
  void* region = sodium_malloc(size);
  if (region == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot allocate ", size, " bytes of guarded memory"));
  }
  const int locked = sodium_mlock(region, size);
  const int saved_errno = errno;
  sodium_free(region);  // Also unlocks.
  if (locked != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot lock ", size, " bytes of memory (", std::strerror(saved_errno),
        "); raise RLIMIT_MEMLOCK (ulimit -l, currently ", MemlockLimitText(),
        ") so keys cannot be swapped to disk"));
  }
  return absl::OkStatus();
}

absl::Status HardenProcess() {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(
        absl::StrCat("prctl(PR_SET_DUMPABLE, 0) failed: ", std::strerror(errno)));
  }
  const struct rlimit no_core = {0, 0};
  if (setrlimit(RLIMIT_CORE, &no_core) != 0) {
    return absl::InternalError(
        absl::StrCat("setrlimit(RLIMIT_CORE, 0) failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

namespace internal {

void EnsureSodiumReady() {
  if (!InitCrypto().ok()) {
    std::fputs("confidant: libsodium failed to initialise\n", stderr);
    std::abort();
  }
}

}  // namespace internal
}  // namespace confidant::crypto
