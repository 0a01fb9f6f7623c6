// `confidant amend`, `confidant history` and `confidant get --version` through the real CLI: the
// visit team stores a second version of its record, a case officer lists the history and reads
// both versions.
#include <string>

#include "base/files.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

std::string RecordJson(const std::string& text) {
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(SyntheticRecord(text), &json).ok());
  return json;
}

TEST(CliAmendTest, AmendThenHistoryThenReadEachVersion) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::Start();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  auto cli = [&](const std::string& role, std::vector<std::string> args) {
    std::vector<std::string> full = {CONFIDANT_CLI_PATH, "--identity", vault.identity_dir(role),
                                     "--server", vault.address()};
    full.insert(full.end(), args.begin(), args.end());
    return RunCommand(full);
  };
  const std::string first = vault.root() + "/first.json", second = vault.root() + "/second.json";
  ASSERT_THAT(WriteFileAtomically(first, RecordJson("cli first"), 0600), IsOk());
  ASSERT_THAT(WriteFileAtomically(second, RecordJson("cli second"), 0600), IsOk());

  const CommandResult submitted = cli("visit_team", {"submit", first});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  const std::string id = submitted.out.substr(0, 32);

  const CommandResult amended = cli("visit_team", {"amend", id, second});
  ASSERT_EQ(amended.exit_code, 0) << amended.err;
  EXPECT_THAT(amended.out, StartsWith(id + "  version 2"));

  const CommandResult history = cli("case_officer", {"history", id});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_THAT(history.out, MatchesRegex("v1  [0-9T:Z-]+  submitted by visit_team\n"
                                        "v2  [0-9T:Z-]+  amended by visit_team\n"));

  const CommandResult newest = cli("case_officer", {"get", id, "--purpose", "follow_up"});
  ASSERT_EQ(newest.exit_code, 0) << newest.err;
  EXPECT_THAT(newest.out, HasSubstr("cli second narrative"));
  const CommandResult old =
      cli("case_officer", {"get", id, "--purpose", "follow_up", "--version", "1"});
  ASSERT_EQ(old.exit_code, 0) << old.err;
  EXPECT_THAT(old.out, HasSubstr("cli first narrative"));
  EXPECT_THAT(old.out, Not(HasSubstr("cli second")));

  // Someone else's amendment is refused with the rule; a permanent refusal is moved aside.
  const CommandResult refused = cli("bench_visit_team", {"amend", id, second});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("deny:not-submitter"));
  EXPECT_THAT(refused.err, HasSubstr("will not be sent again"));
}

}  // namespace
}  // namespace confidant::testing
