// The log stays usable at scale (issue 13, item 1), over real mTLS against a real confidantd:
// one identity files 20,000 erasure requests, and one retention pass shreds 5,000 records; after
// each, `confidant audit verify`, `audit export` and `audit show` succeed for an auditor and no
// entry grew with the number of requests or records. Slow (minutes): `make test-slow`.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "base/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/request_paging.h"
#include "tests/e2e/break_glass_calls.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/policy_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

constexpr size_t kMaxEntryBytes = 64 * 1024;  // far above a bounded entry, far below 256 KiB

CommandResult Cli(const VaultProcess& vault, const std::string& who,
                  std::vector<std::string> args) {
  std::vector<std::string> full = {CONFIDANT_CLI_PATH, "--identity", vault.identity_dir(who),
                                   "--server", vault.address()};
  full.insert(full.end(), args.begin(), args.end());
  return RunCommand(full);
}

// verify, export and show all succeed for the auditor, and every entry is small.
void ExpectAuditUsable(const VaultProcess& vault, const std::string& record_id,
                       const std::string& export_dir) {
  const CommandResult verified = Cli(vault, "auditor", {"audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  const CommandResult exported = Cli(vault, "auditor", {"audit", "export", export_dir});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  const CommandResult offline =
      Cli(vault, "auditor", {"audit", "verify", "--offline", export_dir});
  EXPECT_EQ(offline.exit_code, 0) << offline.err;
  const CommandResult shown = Cli(vault, "auditor", {"audit", "show", "--record", record_id});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  size_t largest = 0;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(vault)) {
    largest = std::max(largest, entry.ByteSizeLong());
  }
  EXPECT_LT(largest, kMaxEntryBytes);
}

TEST(AuditScaleSlowTest, TwentyThousandErasureRequestsFromOneIdentity) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::Start();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  // More records than one person may have open requests for.
  std::vector<std::string> records;
  for (size_t i = 0; i < server::kMaxOpenErasureRequestsPerPerson + 2; ++i) {
    absl::StatusOr<v1::SubmitRecordResponse> submitted = vault.ClientAs("visit_team")->Submit(
        SyntheticRecord("scale"), absl::StrCat("scale-erasure-", i, "-x"));
    ASSERT_THAT(submitted, IsOk());
    records.push_back(submitted->record_id());
  }
  const std::string& record = records[0];

  std::unique_ptr<v1::RecordService::Stub> stub =
      v1::RecordService::NewStub(ChannelAs(vault, "case_officer_qc"));
  std::map<grpc::StatusCode, int> outcomes;
  for (int i = 0; i < 20000; ++i) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::RequestErasureRequest request;
    request.set_record_id(records[i % records.size()]);
    request.set_reason(absl::StrCat("flood ", i));
    v1::RequestErasureResponse response;
    ++outcomes[stub->RequestErasure(&context, request, &response).error_code()];
  }
  EXPECT_EQ(outcomes[grpc::StatusCode::OK],
            static_cast<int>(server::kMaxOpenErasureRequestsPerPerson));
  // The rest: a second request for a record already asked (FAILED_PRECONDITION), the per-person
  // cap, then the call budget (RESOURCE_EXHAUSTED).
  EXPECT_EQ(outcomes[grpc::StatusCode::RESOURCE_EXHAUSTED] +
                outcomes[grpc::StatusCode::FAILED_PRECONDITION],
            20000 - static_cast<int>(server::kMaxOpenErasureRequestsPerPerson));
  EXPECT_GT(outcomes[grpc::StatusCode::RESOURCE_EXHAUSTED], 18000);

  const CommandResult listed = Cli(vault, "approver", {"erasure", "list"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  const std::vector<v1::AuditEntry> entries = AuditEntriesFrom(vault);
  EXPECT_LT(entries.size(), 200u) << "a flood from one identity costs a bounded number of entries";
  ExpectAuditUsable(vault, record, vault.root() + "/export-erasure");
}

TEST(AuditScaleSlowTest, FiveThousandRecordsShreddedInOnePass) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::StartWithDevClock();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  absl::StatusOr<std::string> text = ReadFile(DevPolicyPath(vault));
  ASSERT_THAT(text, IsOk());
  const std::string policy = absl::StrReplaceAll(
      *text, {{"\nversion: 1\n", "\nversion: 2\n"}, {"settings {\n", "settings {\n  retention_days: 3\n"}});
  ASSERT_NE(policy, *text);
  ASSERT_THAT(InstallAndReloadDevPolicy(vault, policy), IsOk());

  constexpr int kRecords = 5000;
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  std::vector<std::string> ids(kRecords);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::unique_ptr<client::VaultClient> c = vault.ClientAs("bench_visit_team");
      for (int i = next++; i < kRecords; i = next++) {
        absl::StatusOr<v1::SubmitRecordResponse> r =
            c->Submit(SyntheticRecord(absl::StrCat("scale ", i)), absl::StrFormat("shred-%08d", i));
        if (r.ok()) {
          ids[i] = r->record_id();
        } else {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);

  ASSERT_THAT(vault.SetClockOffsetSeconds(3 * 86400 + 120), IsOk());
  const CommandResult shred =
      Cli(vault, "custodian", {"operator", "shred", "--expired", "--confirm"});
  ASSERT_EQ(shred.exit_code, 0) << shred.err;
  EXPECT_THAT(shred.out, HasSubstr(absl::StrCat("shredded ", kRecords, " records")));
  ExpectAuditUsable(vault, ids[kRecords / 2], vault.root() + "/export-shred");
}

}  // namespace
}  // namespace confidant::testing
