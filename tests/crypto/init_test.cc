#include "crypto/init.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::crypto {
namespace {

// AddressSanitizer replaces mlock() with a no-op that always succeeds.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMlockIsIntercepted = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kMlockIsIntercepted = true;
#else
constexpr bool kMlockIsIntercepted = false;
#endif
#else
constexpr bool kMlockIsIntercepted = false;
#endif

using ::confidant::testing::IsOk;

// Runs `body` in a forked child so process-wide changes stay there; returns its exit code.
int RunInChild(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) _exit(body());
  int wait_status = 0;
  if (pid < 0 || waitpid(pid, &wait_status, 0) != pid || !WIFEXITED(wait_status)) return -1;
  return WEXITSTATUS(wait_status);
}

TEST(InitTest, InitCryptoIsIdempotent) {
  EXPECT_THAT(InitCrypto(), IsOk());
  EXPECT_THAT(InitCrypto(), IsOk());
}

TEST(InitTest, ProbeMemoryLockingSucceedsWithEnoughLockableMemory) {
  EXPECT_THAT(ProbeMemoryLocking(4096), IsOk());
}

TEST(InitTest, ProbeMemoryLockingFailsNamingRlimitMemlockWhenLockingIsRefused) {
  if (kMlockIsIntercepted) GTEST_SKIP() << "AddressSanitizer makes mlock() always succeed";
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop privileges in a child";
  // Root ignores RLIMIT_MEMLOCK, so the child lowers the limit and then drops to nobody.
  const int code = RunInChild([] {
    const struct rlimit no_lock = {0, 0};
    if (setrlimit(RLIMIT_MEMLOCK, &no_lock) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
      return 2;
    }
    absl::Status status = ProbeMemoryLocking(1 << 20);
    const bool named = status.message().find("RLIMIT_MEMLOCK") != absl::string_view::npos &&
                       status.message().find("ulimit -l") != absl::string_view::npos &&
                       status.message().find("0 bytes") != absl::string_view::npos;
    return status.code() == absl::StatusCode::kFailedPrecondition && named ? 0 : 1;
  });
  if (code == 2) GTEST_SKIP() << "cannot drop privileges here";
  EXPECT_EQ(code, 0);
}

TEST(InitTest, HardenProcessMakesProcessNonDumpableWithoutCoreDumps) {
  const int code = RunInChild([] {
    if (!HardenProcess().ok()) return 1;
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) return 2;
    struct rlimit core {};
    if (getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 || core.rlim_max != 0) return 3;
    return 0;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace confidant::crypto
