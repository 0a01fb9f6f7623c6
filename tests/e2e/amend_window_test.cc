// The amendment window over real mTLS, with the vault's clock moved forward through its dev hook
// (--dev_clock_offset_file): the submitter amends 10 hours after submitting (allowed), and 80
// hours after (refused, deny:amendment-window, audited with the rule). The window runs from the
// first submission: an amendment does not reopen it.
#include <memory>
#include <string>

#include "base/files.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

TEST(AmendWindowTest, SubmitterAmendsAt10HoursButNotAt80) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::StartWithDevClock();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  auto team = vault.ClientAs("visit_team");
  absl::StatusOr<v1::SubmitRecordResponse> submitted =
      team->Submit(SyntheticRecord("window"), "amend-window-1");
  ASSERT_THAT(submitted, IsOk());
  const std::string id = submitted->record_id();

  ASSERT_THAT(vault.SetClockOffsetSeconds(10 * 3600), IsOk());
  absl::StatusOr<v1::SubmitRecordResponse> at10 =
      team->Amend(id, SyntheticRecord("window 10h"), "amend-window-2");
  ASSERT_THAT(at10, IsOk());
  EXPECT_EQ(at10->record_version(), 2u);

  ASSERT_THAT(vault.SetClockOffsetSeconds(80 * 3600), IsOk());
  EXPECT_THAT(team->Amend(id, SyntheticRecord("window 80h"), "amend-window-3"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deny:amendment-window")));
  absl::StatusOr<v1::ListRecordVersionsResponse> history =
      vault.ClientAs("case_officer")->Versions(id);
  ASSERT_THAT(history, IsOk());
  EXPECT_EQ(history->versions_size(), 2);

  int refused = 0;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(vault)) {
    const v1::AuditEvent& e = entry.event();
    if (e.action() == "amend_record" && e.decision() == v1::DENY) {
      ++refused;
      EXPECT_EQ(e.rule(), "deny:amendment-window");
      EXPECT_EQ(e.status_code(), "PERMISSION_DENIED");
      ASSERT_EQ(e.record_ids_size(), 1);
      EXPECT_EQ(e.record_ids(0), id);
    }
  }
  EXPECT_EQ(refused, 1);

  // Through the CLI, the refusal says the record can no longer be amended (not "fix the file").
  std::string json;
  ASSERT_TRUE(
      google::protobuf::util::MessageToJsonString(SyntheticRecord("window cli"), &json).ok());
  const std::string file = vault.root() + "/amend.json";
  ASSERT_THAT(WriteFileAtomically(file, json, 0600), IsOk());
  const CommandResult cli =
      RunCommand({CONFIDANT_CLI_PATH, "--identity", vault.identity_dir("visit_team"), "--server",
                  vault.address(), "amend", id, file});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_THAT(cli.err, HasSubstr("The time to amend this record has passed"));
}

}  // namespace
}  // namespace confidant::testing
