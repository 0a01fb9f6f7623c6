// Reporting with a witness (issue 5, "rollback"): releases are made once the witness cosigns the
// vault's log; a data directory rolled back to an older copy (not a --restore) has a log the
// witness refuses, so the releases the copy lacks are never computed again with fresh noise.
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/identity.h"
#include "client/vault_client.h"
#include "confidant/v1/reporting.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "tests/e2e/witnessed_vault.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

class ReportingWitnessTest : public WitnessedVaultTest {
 protected:
  ReportingWitnessTest() : WitnessedVaultTest("witness.test/reporting") {}

  grpc::StatusCode ReleaseCode(const std::string& period, std::string* bytes = nullptr) {
    absl::StatusOr<client::ClientIdentity> identity =
        client::ClientIdentity::Load(vault_->identity_dir("reporting"));
    EXPECT_THAT(identity, IsOk());
    auto c = client::VaultClient::Connect(vault_->reporting_address(), *std::move(identity));
    EXPECT_THAT(c, IsOk());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
    v1::GetReleaseRequest request;
    request.set_table_id("persons-by-facility");
    request.set_period(period);
    v1::GetReleaseResponse response;
    const grpc::Status s = v1::ReportingService::NewStub((*c)->channel())->GetRelease(&context, request, &response);
    if (bytes != nullptr) *bytes = response.signed_release();
    return s.error_code();
  }

  bool WaitForRelease(const std::string& period) {
    for (int i = 0; i < 150; ++i) {
      if (ReleaseCode(period) == grpc::OK) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
};

TEST_F(ReportingWitnessTest, ReleasesWaitForTheWitnessAndARolledBackDirectoryComputesNothing) {
  for (int i = 0; i < 20; ++i) {
    v1::InterviewRecord record = SyntheticRecord(absl::StrCat("person ", i));
    record.mutable_visit()->set_visit_date("2026-02-10");
    ASSERT_THAT(vault_->ClientAs("visit_team")->Submit(record, absl::StrCat("witnessed-", i)), IsOk());
  }
  // The operator's copy of the data directory, before anything was released.
  vault_->Stop();
  const std::string copy = tmp_ + "/data-copy";
  std::filesystem::copy(vault_->data_dir(), copy, std::filesystem::copy_options::recursive);

  // With the witness cosigning, the job releases the closed quarters.
  vault_->AddArgs({"--release-check-seconds=1"});
  ASSERT_THAT(vault_->Restart(), IsOk());
  ASSERT_TRUE(WaitForRelease("2026Q1")) << vault_->log();

  // The copy is put back (no --restore, no withholding mark): its log is one the witness has
  // already seen grow past, so it never cosigns it, and nothing is computed again.
  vault_->Stop();
  std::filesystem::remove_all(vault_->data_dir());
  std::filesystem::rename(copy, vault_->data_dir());
  const size_t log_before = vault_->log().size();
  ASSERT_THAT(vault_->Restart(), IsOk());
  std::this_thread::sleep_for(std::chrono::seconds(4));  // four passes of the job
  EXPECT_EQ(ReleaseCode("2026Q1"), grpc::NOT_FOUND);
  EXPECT_EQ(ReleaseCode("2026Q2"), grpc::NOT_FOUND);
  EXPECT_THAT(vault_->log().substr(log_before), HasSubstr("release_job_deferred"));
}

}  // namespace
}  // namespace confidant::testing
