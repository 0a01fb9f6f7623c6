// Offline intake through the real CLI and a real confidantd: a record is sealed and queued while
// the vault is down (only ciphertext on the laptop), delivered later with a verified receipt; a
// permanent refusal is moved aside and never retried; a flush killed midway stores nothing twice.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/files.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/e2e/canary_scanner.h"
#include "tests/e2e/child_process.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

class OfflineIntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::Start();
    ASSERT_THAT(started, IsOk());
    vault_ = *std::move(started);
    identity_ = vault_->identity_dir("visit_team");
  }

  CommandResult Cli(const std::string& role, std::vector<std::string> args) const {
    std::vector<std::string> full = {CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir(role),
                                     "--server", vault_->address()};
    full.insert(full.end(), args.begin(), args.end());
    return RunCommand(full);
  }

  std::string WriteRecord(const std::string& name, const std::string& text,
                          const std::string& facility = "") const {
    v1::InterviewRecord record = SyntheticRecord(text);
    if (!facility.empty()) record.mutable_visit()->set_facility_id(facility);
    std::string json;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(record, &json).ok());
    const std::string path = vault_->root() + "/" + name;
    EXPECT_THAT(WriteFileAtomically(path, json, 0600), IsOk());
    return path;
  }

  std::vector<std::string> Sealed(const std::string& dir) const {
    std::vector<std::string> found;
    if (!std::filesystem::exists(dir)) return found;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".sealed") found.push_back(e.path().filename().string());
    }
    return found;
  }

  // Record ids a case officer (in scope everywhere in the dev policy) can list.
  std::set<std::string> ListedIds() const {
    const CommandResult listed = Cli("case_officer", {"list"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    std::set<std::string> ids;
    for (absl::string_view line : absl::StrSplit(listed.out, '\n', absl::SkipEmpty())) {
      ids.insert(std::string(line.substr(0, 32)));
    }
    return ids;
  }

  std::unique_ptr<VaultProcess> vault_;
  std::string identity_;
};

TEST_F(OfflineIntakeTest, SealedWhileTheVaultIsDownThenFlushedWithAVerifiedReceipt) {
  // Before the visit, online: the flush keeps the current intake key.
  const CommandResult prepared = Cli("visit_team", {"outbox", "flush"});
  EXPECT_THAT(prepared.out, ::testing::ContainsRegex(
                                "intake key version [0-9]+ confirmed current now: records sealed "
                                "offline with it are safe to deliver until 20"));
  ASSERT_EQ(prepared.exit_code, 0) << prepared.err;
  ASSERT_TRUE(std::filesystem::exists(identity_ + "/intake-key"));

  vault_->Stop();
  const std::string canary = "OFFLINE-CANARY-5e1f0a77";
  const std::string source = WriteRecord("interview.json", canary);
  const CommandResult queued = Cli("visit_team", {"submit", source, "--remove-source"});
  ASSERT_EQ(queued.exit_code, 3) << queued.err;
  EXPECT_THAT(queued.out, MatchesRegex("queued [0-9a-f]{32}\n"));
  EXPECT_THAT(queued.err, HasSubstr("encrypted and waits"));
  // Said in plain words first; the technical status only after, in brackets.
  EXPECT_THAT(queued.err, HasSubstr("confidant: queued, not sent: the vault cannot be reached: "
                                    "no network here, or the vault is down [UNAVAILABLE: "));
  EXPECT_FALSE(std::filesystem::exists(source)) << "--remove-source wipes the plaintext";
  EXPECT_EQ(Sealed(identity_ + "/outbox").size(), 1u);
  // Nothing readable on the laptop: the whole identity folder and the test's folder.
  EXPECT_THAT(FindCanary(identity_, canary), IsEmpty());
  EXPECT_THAT(FindCanary(vault_->root(), canary), IsEmpty());

  const CommandResult status = Cli("visit_team", {"outbox", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("queued: 1"));
  EXPECT_THAT(status.out, HasSubstr("safe to deliver until"));

  ASSERT_THAT(vault_->Restart(), IsOk());
  const CommandResult flushed = Cli("visit_team", {"outbox", "flush"});
  ASSERT_EQ(flushed.exit_code, 0) << flushed.err;
  EXPECT_THAT(flushed.out, HasSubstr("1 sent, 0 refused, 0 still queued"));
  EXPECT_THAT(Sealed(identity_ + "/outbox"), IsEmpty());

  const std::set<std::string> ids = ListedIds();
  ASSERT_EQ(ids.size(), 1u);
  const CommandResult read = Cli("case_officer", {"get", *ids.begin(), "--purpose", "follow_up"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_THAT(read.out, HasSubstr(canary));
  // Unanswered yes/no questions read as such.
  EXPECT_THAT(read.out, HasSubstr("\"not answered\""));
  EXPECT_THAT(read.out, Not(HasSubstr("YES_NO_UNSPECIFIED")));
}

TEST_F(OfflineIntakeTest, WithoutAKeptIntakeKeyNothingIsSealedAndTheFileStays) {
  vault_->Stop();
  const std::string source = WriteRecord("interview.json", "no key yet");
  const CommandResult refused = Cli("visit_team", {"submit", source, "--remove-source"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("no intake key yet"));
  EXPECT_TRUE(std::filesystem::exists(source));
  EXPECT_THAT(Sealed(identity_ + "/outbox"), IsEmpty());
}

TEST_F(OfflineIntakeTest, APermanentRefusalIsMovedAsideWithItsReasonAndNeverRetried) {
  // An amendment of a record that does not exist: the vault can never accept this envelope.
  const std::string source = WriteRecord("amend.json", "refused amendment");
  const std::string missing = "0123456789abcdef0123456789abcdef";
  const CommandResult refused =
      Cli("visit_team", {"amend", missing, source, "--submission-id", "refused-000001"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_THAT(refused.err, HasSubstr("moved to"));
  EXPECT_THAT(refused.err, HasSubstr("will not be sent again"));
  EXPECT_THAT(Sealed(identity_ + "/outbox"), IsEmpty());
  EXPECT_EQ(Sealed(identity_ + "/outbox/refused").size(), 1u);

  const CommandResult flushed = Cli("visit_team", {"outbox", "flush"});
  EXPECT_EQ(flushed.exit_code, 0) << flushed.err;
  EXPECT_THAT(flushed.out, HasSubstr("0 sent, 0 refused, 0 still queued"));
  const CommandResult status = Cli("visit_team", {"outbox", "status"});
  EXPECT_THAT(status.out, HasSubstr("refused: 1"));
  EXPECT_THAT(status.out, HasSubstr("NOT_FOUND"));
  const CommandResult retried =
      Cli("visit_team", {"amend", missing, source, "--submission-id", "refused-000001"});
  EXPECT_EQ(retried.exit_code, 1);
  EXPECT_THAT(retried.err, HasSubstr("was refused by the vault"));

  const CommandResult kept = Cli("visit_team", {"outbox", "wipe"});
  EXPECT_EQ(kept.exit_code, 2) << "without --yes: a usage error, nothing done";
  EXPECT_THAT(kept.err, HasSubstr("add --yes"));
  EXPECT_EQ(Sealed(identity_ + "/outbox/refused").size(), 1u) << "no --yes: nothing deleted";
  const CommandResult wiped = Cli("visit_team", {"outbox", "wipe", "--yes"});
  EXPECT_EQ(wiped.exit_code, 0) << wiped.err;
  EXPECT_THAT(Sealed(identity_ + "/outbox/refused"), IsEmpty());
}

TEST_F(OfflineIntakeTest, AFlushKilledMidwayStoresEveryRecordExactlyOnce) {
  ASSERT_EQ(Cli("visit_team", {"outbox", "flush"}).exit_code, 0);
  vault_->Stop();
  constexpr int kRecords = 30;
  for (int i = 0; i < kRecords; ++i) {
    const CommandResult queued =
        Cli("visit_team", {"submit", WriteRecord(absl::StrCat("r", i, ".json"), "killed")});
    ASSERT_EQ(queued.exit_code, 3) << queued.err;
  }
  ASSERT_THAT(vault_->Restart(), IsOk());
  const std::string out = vault_->root() + "/flush.out";
  const pid_t flush = SpawnProcess({CONFIDANT_CLI_PATH, "--identity", identity_, "--server",
                                    vault_->address(), "outbox", "flush"},
                                   out, out);
  ASSERT_GT(flush, 0);
  // Kill it once it has delivered at least one envelope, while others remain.
  for (int i = 0; i < 600; ++i) {
    absl::StatusOr<std::string> printed = ReadFile(out);
    if (printed.ok() && printed->find("sent ") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(flush, SIGKILL);
  int status = 0;
  ::waitpid(flush, &status, 0);
  EXPECT_LT(Sealed(identity_ + "/outbox").size(), static_cast<size_t>(kRecords));

  const CommandResult rest = Cli("visit_team", {"outbox", "flush"});
  ASSERT_EQ(rest.exit_code, 0) << rest.out << rest.err;
  EXPECT_THAT(Sealed(identity_ + "/outbox"), IsEmpty());
  EXPECT_EQ(ListedIds().size(), static_cast<size_t>(kRecords));
}

TEST_F(OfflineIntakeTest, ARetryOfAQueuedSubmissionWhileOfflineStaysQueued) {
  ASSERT_EQ(Cli("visit_team", {"outbox", "flush"}).exit_code, 0);
  vault_->Stop();
  const std::string source = WriteRecord("retry.json", "retry offline");
  ASSERT_EQ(Cli("visit_team", {"submit", source, "--submission-id", "retry-offline-1"}).exit_code,
            3);
  const CommandResult again =
      Cli("visit_team", {"submit", source, "--submission-id", "retry-offline-1"});
  EXPECT_EQ(again.exit_code, 3) << again.err;
  EXPECT_EQ(Sealed(identity_ + "/outbox").size(), 1u);
  ASSERT_THAT(vault_->Restart(), IsOk());
  const CommandResult sent =
      Cli("visit_team", {"submit", "/nonexistent.json", "--submission-id", "retry-offline-1"});
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_THAT(sent.out, MatchesRegex("[0-9a-f]{32}\n"));
  EXPECT_EQ(ListedIds().size(), 1u);
}

TEST_F(OfflineIntakeTest, TheSameInterviewSentTwiceIsKeptWithANoteAndListedAsLikelyDuplicate) {
  const std::string source = WriteRecord("twice.json", "sent twice");
  const CommandResult first = Cli("visit_team", {"submit", source});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, Not(HasSubstr("likely duplicate")));
  const CommandResult second = Cli("visit_team", {"submit", source});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, MatchesRegex("[0-9a-f]{32}\n")) << "stdout stays the record id alone";
  EXPECT_THAT(second.err, HasSubstr("is a likely duplicate"));
  EXPECT_THAT(second.err, HasSubstr("tell your coordinator"));

  const CommandResult listed = Cli("case_officer", {"list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::string first_id = first.out.substr(0, 32);
  const std::string second_id = second.out.substr(0, 32);
  EXPECT_THAT(listed.out, HasSubstr(absl::StrCat("likely-duplicate-of ", first_id)));
  for (absl::string_view line : absl::StrSplit(listed.out, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, first_id)) {
      EXPECT_THAT(line, Not(HasSubstr("likely-duplicate")));
    }
    if (absl::StartsWith(line, second_id)) {
      EXPECT_THAT(line, HasSubstr(first_id));
    }
  }
}

TEST_F(OfflineIntakeTest, RemoveSourceWaitsForAVerifiedReceiptAndKeepsWhatCouldBeLost) {
  // Online: the file goes once the receipt verifies.
  const std::string delivered = WriteRecord("delivered.json", "delivered");
  const CommandResult sent = Cli("visit_team", {"submit", delivered, "--remove-source"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_FALSE(std::filesystem::exists(delivered));

  // Refused online (an amendment of a record that does not exist): the file stays, exit 1.
  const std::string missing = "0123456789abcdef0123456789abcdef";
  const std::string amend = WriteRecord("amend.json", "mistyped id");
  const CommandResult refused = Cli("visit_team", {"amend", missing, amend, "--remove-source"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_THAT(refused.err, StartsWith("confidant: NOT_FOUND: "));
  EXPECT_THAT(refused.err, HasSubstr("check the record id"));
  EXPECT_THAT(refused.err, HasSubstr(amend + " was kept"));
  EXPECT_TRUE(std::filesystem::exists(amend));

  // A symbolic link is refused before sealing (bad input): wiping it would leave its target.
  const std::string target = WriteRecord("target.json", "linked");
  const std::string link = vault_->root() + "/link.json";
  std::filesystem::create_symlink(target, link);
  const CommandResult linked = Cli("visit_team", {"submit", link, "--remove-source"});
  EXPECT_EQ(linked.exit_code, 2) << linked.err;
  EXPECT_THAT(linked.err, HasSubstr("symbolic link"));
  EXPECT_THAT(linked.err, HasSubstr("Nothing was sealed"));
  absl::StatusOr<std::string> content = ReadFile(target);
  ASSERT_THAT(content, IsOk());
  EXPECT_THAT(*content, HasSubstr("linked"));

  // Offline, an amendment is kept: only the vault can say whether its record id is right.
  vault_->Stop();
  const CommandResult queued = Cli("visit_team", {"amend", missing, amend, "--remove-source"});
  EXPECT_EQ(queued.exit_code, 3) << queued.err;
  EXPECT_THAT(queued.err, HasSubstr("kept " + amend));
  EXPECT_TRUE(std::filesystem::exists(amend));
}

TEST_F(OfflineIntakeTest, AMisspeltFacilityIsRefusedBeforeSealingEvenOffline) {
  ASSERT_EQ(Cli("visit_team", {"outbox", "flush"}).exit_code, 0);  // keeps key and registry
  vault_->Stop();
  const std::string source = WriteRecord("misspelt.json", "misspelt", "qc-lav-ich");
  const CommandResult refused = Cli("visit_team", {"submit", source, "--remove-source"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("visit.facility_id: not in the facility registry"));
  EXPECT_THAT(refused.err, HasSubstr("closest: qc-lav-ihc"));
  EXPECT_THAT(refused.err, HasSubstr("Nothing was sealed"));
  EXPECT_TRUE(std::filesystem::exists(source)) << "the volunteer's file stays to be fixed";
  EXPECT_THAT(Sealed(identity_ + "/outbox"), IsEmpty());
}

TEST_F(OfflineIntakeTest, AVisitDateInTheFutureIsRefusedBeforeSealingEvenOffline) {
  ASSERT_EQ(Cli("visit_team", {"outbox", "flush"}).exit_code, 0);
  vault_->Stop();
  v1::InterviewRecord record = SyntheticRecord("future");
  record.mutable_visit()->set_visit_date("2099-01-01");
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(record, &json).ok());
  const std::string source = vault_->root() + "/future.json";
  ASSERT_THAT(WriteFileAtomically(source, json, 0600), IsOk());
  const CommandResult refused = Cli("visit_team", {"submit", source, "--remove-source"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("visit.visit_date: is in the future"));
  EXPECT_THAT(refused.err, HasSubstr("Nothing was sealed"));
  EXPECT_TRUE(std::filesystem::exists(source));
  EXPECT_THAT(Sealed(identity_ + "/outbox"), IsEmpty());
}

// Mistakes in the command line are bad input (exit 2) that say what exists.
TEST_F(OfflineIntakeTest, AMissingFileOrAMistypedDevIdentityIsBadInputNamingWhatExists) {
  const CommandResult missing =
      Cli("visit_team", {"submit", vault_->root() + "/no-such.json", "--remove-source"});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("file not found"));
  EXPECT_THAT(missing.err, HasSubstr("nothing was sealed"));
  EXPECT_THAT(Sealed(identity_ + "/outbox"), IsEmpty());

  const CommandResult typo =
      RunCommand({"/usr/bin/env", "CONFIDANT_DEV_DIR=" + vault_->dev_dir(), CONFIDANT_CLI_PATH,
                  "--server", vault_->address(), "--as", "case_oficer", "list"});
  EXPECT_EQ(typo.exit_code, 2) << typo.err;
  EXPECT_THAT(typo.err, HasSubstr("--as: no dev identity by that name"));
  EXPECT_THAT(typo.err, HasSubstr("case_officer"));
  const CommandResult path =
      RunCommand({"/usr/bin/env", "CONFIDANT_DEV_DIR=" + vault_->dev_dir(), CONFIDANT_CLI_PATH,
                  "--server", vault_->address(), "--as", "../identities/case_officer", "list"});
  EXPECT_EQ(path.exit_code, 2) << "a path is not a dev identity name";
}

// `outbox flush --retry-for S` keeps trying, with backoff, until S seconds have passed: the
// last wait is cut short rather than skipped (1 s, 2 s, then 1 s for S = 4).
TEST_F(OfflineIntakeTest, FlushKeepsTryingUntilTheEndOfRetryFor) {
  ASSERT_EQ(Cli("visit_team", {"outbox", "flush"}).exit_code, 0);
  vault_->Stop();
  ASSERT_EQ(Cli("visit_team", {"submit", WriteRecord("retry.json", "retry")}).exit_code, 3);
  const absl::Time start = absl::Now();
  const CommandResult flushed = Cli("visit_team", {"outbox", "flush", "--retry-for", "4"});
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(flushed.exit_code, 3) << flushed.err;
  EXPECT_THAT(flushed.err, HasSubstr("1 still queued; trying again in 1s"));
  EXPECT_THAT(flushed.err, HasSubstr("trying again in 2s"));
  EXPECT_GE(took, absl::Milliseconds(3900)) << "stopped before --retry-for was over";
  EXPECT_LT(took, absl::Seconds(30));
}

// A retry with --submission-id resends the envelope sealed before, not FILE (which may have
// been edited since): --remove-source then never wipes FILE.
TEST_F(OfflineIntakeTest, ARetryBySubmissionIdNeverWipesTheFileItDidNotSeal) {
  ASSERT_EQ(Cli("visit_team", {"outbox", "flush"}).exit_code, 0);
  vault_->Stop();
  const CommandResult queued =
      Cli("visit_team", {"submit", WriteRecord("first.json", "first version")});
  ASSERT_EQ(queued.exit_code, 3) << queued.err;
  const std::string id = queued.out.substr(7, 32);  // "queued ID"
  ASSERT_THAT(vault_->Restart(), IsOk());
  const std::string edited = WriteRecord("edited.json", "edited version");
  const CommandResult retried =
      Cli("visit_team", {"submit", edited, "--submission-id", id, "--remove-source"});
  EXPECT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_THAT(retried.err, HasSubstr("resends the envelope sealed before"));
  EXPECT_TRUE(std::filesystem::exists(edited)) << "the edited file was never sealed";
}

// A record class the policy does not declare is refused before sealing, offline too (from the
// signed registry kept with the intake key), not at delivery when the file is gone.
TEST_F(OfflineIntakeTest, AnUndeclaredRecordClassIsRefusedBeforeSealingEvenOffline) {
  ASSERT_EQ(Cli("visit_team", {"outbox", "flush"}).exit_code, 0);
  vault_->Stop();
  v1::InterviewRecord record = SyntheticRecord("class");
  record.set_record_class("short-stay");
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(record, &json).ok());
  const std::string source = vault_->root() + "/class.json";
  ASSERT_THAT(WriteFileAtomically(source, json, 0600), IsOk());
  const CommandResult refused = Cli("visit_team", {"submit", source, "--remove-source"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("record_class: not a retention class the policy declares"));
  EXPECT_THAT(refused.err, HasSubstr("Nothing was sealed"));
  EXPECT_TRUE(std::filesystem::exists(source));
  EXPECT_THAT(Sealed(identity_ + "/outbox"), IsEmpty());
}

}  // namespace
}  // namespace confidant::testing
