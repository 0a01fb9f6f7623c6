// Early-erasure requests expire (issue 13, item 1) over real mTLS, with the vault's clock moved
// forward through its dev hook (--dev_clock_offset_file): a request nobody decides within the
// policy's erasure_request_days (the dev policy keeps the default, 30) is closed by the vault's
// timer with an audit entry, leaves the approvers' list, is refused if decided, destroys
// nothing, and no longer counts against its requester's open requests.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "confidant/v1/record_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/break_glass_calls.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kThirtyDays = int64_t{30} * 86400;

grpc::Status RequestErasureAs(const VaultProcess& vault, const std::string& who,
                              const std::string& record_id, std::string* id = nullptr) {
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::RequestErasureRequest request;
  request.set_record_id(record_id);
  request.set_reason("filed in error");
  v1::RequestErasureResponse response;
  grpc::Status status = RecordStubAs(vault, who)->RequestErasure(&context, request, &response);
  if (id != nullptr) *id = response.request_id();
  return status;
}

grpc::Status DecideErasureAs(const VaultProcess& vault, const std::string& request_id,
                             bool approve) {
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::DecideErasureRequest request;
  request.set_request_id(request_id);
  request.set_approve(approve);
  v1::DecideErasureResponse response;
  return RecordStubAs(vault, "approver")->DecideErasure(&context, request, &response);
}

bool Listed(const VaultProcess& vault, const std::string& request_id) {
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::ListErasureRequestsResponse listed;
  EXPECT_TRUE(RecordStubAs(vault, "approver")
                  ->ListErasureRequests(&context, v1::ListErasureRequestsRequest(), &listed)
                  .ok());
  for (const auto& r : listed.requests()) {
    if (r.request_id() == request_id) return true;
  }
  return false;
}

TEST(ErasureExpiryTest, UndecidedRequestExpiresAfterThirtyDaysWithAnEntry) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::StartWithDevClock();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  absl::StatusOr<v1::SubmitRecordResponse> submitted =
      vault.ClientAs("visit_team")->Submit(SyntheticRecord("erasure expiry"), "er-expiry-0001");
  ASSERT_THAT(submitted, IsOk());
  const std::string record = submitted->record_id();
  std::string id;
  ASSERT_TRUE(RequestErasureAs(vault, "case_officer_qc", record, &id).ok());
  ASSERT_TRUE(Listed(vault, id));

  ASSERT_THAT(vault.SetClockOffsetSeconds(kThirtyDays - 120), IsOk());
  EXPECT_TRUE(Listed(vault, id)) << "still open just before its 30 days";

  ASSERT_THAT(vault.SetClockOffsetSeconds(kThirtyDays + 60), IsOk());
  std::vector<v1::AuditEvent> expired;
  for (int i = 0; i < 40 && expired.empty(); ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250));
    for (const v1::AuditEntry& entry : AuditEntriesFrom(vault)) {
      if (entry.event().action() == "erasure_request_expired") expired.push_back(entry.event());
    }
  }
  ASSERT_EQ(expired.size(), 1u) << vault.log();
  EXPECT_EQ(expired[0].rule(), "vault:erasure-request-expired");
  EXPECT_EQ(expired[0].decision(), v1::ALLOW);
  EXPECT_EQ(expired[0].detail(),
            "erasure request expired " + id + " (requested by case_officer_qc)");
  EXPECT_THAT(expired[0].record_ids(), ElementsAre(record));

  EXPECT_FALSE(Listed(vault, id));
  for (bool approve : {true, false}) {
    grpc::Status decided = DecideErasureAs(vault, id, approve);
    EXPECT_EQ(decided.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(decided.error_message(),
              "this erasure request has expired: the requester may ask again");
  }
  EXPECT_TRUE(GetRecordAs(vault, "case_officer_qc", record, v1::FOLLOW_UP).ok())
      << "an expired request destroys nothing";
  std::string again;
  EXPECT_TRUE(RequestErasureAs(vault, "case_officer_qc", record, &again).ok());
  EXPECT_TRUE(Listed(vault, again));
}

}  // namespace
}  // namespace confidant::testing
