// 32 clients reading and submitting at once: every call has its entry, indices stay dense, and
// the whole log verifies.
#include <atomic>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "client/audit_commands.h"
#include "client/log_client.h"
#include "confidant/v1/audit.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

constexpr int kThreads = 32;
constexpr int kCallsPerThread = 6;

TEST(AuditConcurrencyTest, ThirtyTwoThreadsReadingAndSubmittingKeepTheLogWhole) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::Start();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  absl::StatusOr<v1::SubmitRecordResponse> seed =
      vault.ClientAs("visit_team")->Submit(SyntheticRecord("seed"), "concurrency-seed");
  ASSERT_THAT(seed, IsOk());

  absl::Mutex mu;
  std::set<std::string> request_ids;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const bool submitter = t % 2 == 0;
      // Readers are spread over three persons, each well under the policy's hourly read quota.
      static constexpr const char* kReaders[] = {"case_officer", "case_officer_qc", "legal_adviser"};
      const std::string reader = kReaders[(t / 2) % 3];
      auto identity = client::ClientIdentity::Load(vault.identity_dir(submitter ? "visit_team" : reader));
      auto stub = v1::RecordService::NewStub(RawChannel(vault.address(), *identity));
      auto key_client = vault.ClientAs("visit_team");
      absl::StatusOr<v1::IntakeKey> key = key_client->FetchIntakeKey();
      for (int i = 0; i < kCallsPerThread; ++i) {
        grpc::ClientContext context;
        SetTestDeadline(context, 60);
        grpc::Status status;
        if (submitter) {
          auto request = client::SealSubmission(*key, identity->principal, SyntheticRecord("c"),
                                                absl::StrCat("concurrent-", t, "-", i),
                                                absl::ToUnixSeconds(absl::Now()));
          v1::SubmitRecordResponse response;
          status = stub->SubmitRecord(&context, *request, &response);
        } else {
          v1::GetRecordRequest request;
          request.set_record_id(seed->record_id());
          request.set_purpose(reader == "legal_adviser" ? v1::CASE_REVIEW : v1::FOLLOW_UP);
          v1::GetRecordResponse response;
          status = stub->GetRecord(&context, request, &response);
        }
        if (!status.ok()) ++failures;
        auto it = context.GetServerTrailingMetadata().find("x-request-id");
        absl::MutexLock lock(&mu);
        request_ids.emplace(it->second.data(), it->second.size());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(request_ids.size(), static_cast<size_t>(kThreads * kCallsPerThread));

  auto auditor = vault.ClientAs("auditor");
  client::LogClient log(auditor->channel(), auditor->identity(), "");
  std::ostringstream out, progress;
  ASSERT_THAT(client::AuditVerifyCommand(log, {}, out, progress), IsOk()) << out.str();
  std::set<std::string> logged;
  uint64_t expected_index = 0;
  ASSERT_THAT(log.ReadEntries(0, 0, [&](const v1::AuditEntry& entry) {
    EXPECT_EQ(entry.index(), expected_index++);
    if (request_ids.count(entry.event().request_id()) > 0) {
      EXPECT_TRUE(logged.insert(entry.event().request_id()).second) << "logged twice";
      EXPECT_EQ(entry.event().status_code(), "OK");
    }
    return absl::OkStatus();
  }), IsOk());
  EXPECT_EQ(logged.size(), request_ids.size());
}

}  // namespace
}  // namespace confidant::testing
