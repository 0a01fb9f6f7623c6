// Stopping confidantd (SIGTERM) with clients connected takes under a second and exits cleanly
// (issue 13): idle connections and calls in flight do not hold the stop up.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/break_glass_calls.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

TEST(StopTest, StopsUnderASecondWithClientsConnected) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::Start();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  // Idle clients: each made a call and keeps its connection open.
  std::vector<std::unique_ptr<client::VaultClient>> idle;
  for (const char* who : {"case_officer", "auditor", "approver", "health_reviewer"}) {
    idle.push_back(vault.ClientAs(who));
    v1::ListRecordsRequest request;
    (void)idle.back()->List(request);
  }
  // A busy client, calling in a loop until the vault is gone.
  std::atomic<bool> done{false};
  std::thread busy([&] {
    std::unique_ptr<client::VaultClient> c = vault.ClientAs("visit_team");
    while (!done) (void)c->FetchIntakeKey();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  const auto before = std::chrono::steady_clock::now();
  const int status = vault.Stop();
  const auto took = std::chrono::steady_clock::now() - before;
  done = true;
  busy.join();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << vault.log();
  EXPECT_LT(took, std::chrono::seconds(1))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

}  // namespace
}  // namespace confidant::testing
