// Policy-driven wrap changes over a real RocksDB store, audit log and record vault: after a grant
// the rewrap job adds wraps for the newly granted role (which then reads old records, every
// version); after a revoke the revoked role's wraps are gone from storage; a re-grant adds them
// back; the job resumes from a stored cursor after a crash; a shredded record gets no wrap back;
// a section the policy grants to no role keeps its wraps; a wrap that does not open stops the
// job (DATA_LOSS) with nothing written for that record; a grant change during a run makes the
// pass start over under the newest policy.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "server/policy_grants.h"
#include "server/rewrapper.h"
#include "tests/server/shredder_fixture.h"

namespace confidant::server {
namespace {

using namespace shredder_testing;  // NOLINT: the fixture and its helpers
using policy::v1::Role;

constexpr char kCaseOfficerSections[] = "readable_sections: [IDENTITY, INTERVIEW, LEGAL]";
constexpr char kHealthReviewerSections[] = "readable_sections: [HEALTH, INTERVIEW]";

std::string DevPolicyWith(const std::vector<std::pair<std::string, std::string>>& edits) {
  std::string text = kDevPolicyText;
  for (const auto& [from, to] : edits) {
    EXPECT_NE(text.find(from), std::string::npos) << from;
    text = absl::StrReplaceAll(text, {{from, to}});
  }
  return text;
}

class RewrapperGrantsTest : public ShredderTest {
 protected:
  // Flips one byte of the version-1 wrap of `section` for `role` of record `raw`.
  void DamageWrap(const std::string& raw, v1::Section section, policy::v1::Role role) {
    std::string wrap_key;
    std::string wrap_value;
    ASSERT_THAT(store_->Scan(store::Space::kWraps, WrapPrefix(raw, 1, section, role),
                             [&](std::string_view k, std::string_view v) {
                               wrap_key = std::string(k);
                               wrap_value = std::string(v);
                               return false;
                             }),
                IsOk());
    ASSERT_FALSE(wrap_key.empty());
    wrap_value[wrap_value.size() / 2] ^= 0x01;
    store::Mutation tamper;
    tamper.Put(store::Space::kWraps, wrap_key, wrap_value);
    ASSERT_THAT(store_->Commit(tamper), IsOk());
  }
  void TearDown() override {
    SetDevRewrapPauseMillis(0);
    ShredderTest::TearDown();
  }

  std::unique_ptr<Rewrapper> NewRewrapper() {
    return std::make_unique<Rewrapper>(*store_, *keys_, *records_, *shredder_, *recorder_,
                                       authorizer_);
  }

  // Puts `policy_text` in force for the job and runs it to its end.
  v1::RewrapStatus ChangeGrantsAndWait(Rewrapper& rewrapper, const std::string& policy_text) {
    authorizer_ = AuthorizerFrom(policy_text);
    rewrapper.SetAuthorizer(authorizer_);
    EXPECT_THAT(rewrapper.StartForGrants("policy test",
                                         [&](store::Mutation cursor) {
                                           v1::AuditEvent event;
                                           event.set_action("wrap_grants_changed");
                                           return recorder_->Record(event, std::move(cursor))
                                               .status();
                                         }),
                IsOk());
    return WaitForJob(rewrapper);
  }

  static v1::RewrapStatus WaitForJob(Rewrapper& rewrapper) {
    for (int i = 0; i < 3000 && rewrapper.Status().running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    v1::RewrapStatus status = rewrapper.Status();
    EXPECT_FALSE(status.running());
    return status;
  }

  std::optional<std::string> StoredCursor() {
    absl::StatusOr<std::optional<std::string>> cursor =
        store_->Get(store::Space::kMeta, "rewrap/cursor");
    EXPECT_THAT(cursor, IsOk());
    return cursor.ok() ? *cursor : std::nullopt;
  }

  // The stored wraps of one section of one record version for `role` (any key version).
  std::vector<std::string> WrapsOf(const std::string& id, uint64_t version, v1::Section section,
                                   Role role) {
    return ValuesUnder(store::Space::kWraps,
                       WrapPrefix(RecordIdFromHex(id), version, section, role));
  }

  // An allowed read of `section` of `id` (version 0: the newest) through `role`.
  absl::StatusOr<v1::GetRecordResponse> ReadAs(const std::string& id, Role role,
                                               policy::v1::Section section, uint64_t version = 0) {
    policy::Decision decision;
    decision.outcome = policy::Decision::Outcome::kAllow;
    decision.person_id = "reader";
    decision.role = role;
    decision.sections.push_back({section, role});
    return records_->Get(id, decision, version);
  }
};

TEST_F(RewrapperGrantsTest, ANewlyGrantedRoleGetsWrapsForEveryVersionAndReadsOldRecords) {
  const std::string first = Submit(RecordWith("first"), "grant-first-0001");
  Submit(RecordWith("first amended"), "grant-first-0002", first);
  const std::string second = Submit(RecordWith("second"), "grant-second-001");
  EXPECT_THAT(ReadAs(first, policy::v1::CASE_OFFICER, policy::v1::HEALTH),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_THAT(WrapsOf(first, 1, v1::HEALTH, policy::v1::CASE_OFFICER), IsEmpty());

  auto rewrapper = NewRewrapper();
  const v1::RewrapStatus status = ChangeGrantsAndWait(
      *rewrapper, DevPolicyWith({{kCaseOfficerSections,
                                  "readable_sections: [IDENTITY, INTERVIEW, LEGAL, HEALTH]"}}));
  EXPECT_TRUE(status.completed());
  EXPECT_EQ(status.error(), "");
  EXPECT_EQ(status.wraps_added(), 3u);  // three record versions, one health section each
  EXPECT_EQ(status.wraps_removed(), 0u);
  EXPECT_EQ(status.trigger(), "policy test");
  for (uint64_t version : {1, 2}) {
    EXPECT_EQ(WrapsOf(first, version, v1::HEALTH, policy::v1::CASE_OFFICER).size(), 1u);
    absl::StatusOr<v1::GetRecordResponse> read =
        ReadAs(first, policy::v1::CASE_OFFICER, policy::v1::HEALTH, version);
    ASSERT_THAT(read, IsOk());
    EXPECT_EQ(read->health().observations(),
              version == 1 ? "first observations" : "first amended observations");
  }
  absl::StatusOr<v1::GetRecordResponse> other =
      ReadAs(second, policy::v1::CASE_OFFICER, policy::v1::HEALTH);
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->health().observations(), "second observations");
  // The health reviewer keeps its wrap.
  EXPECT_EQ(WrapsOf(second, 1, v1::HEALTH, policy::v1::HEALTH_REVIEWER).size(), 1u);
  std::vector<v1::AuditEvent> done = EntriesWithAction("rewrap_completed");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_THAT(done[0].detail(), HasSubstr("3 wraps added for newly granted roles"));
  EXPECT_EQ(StoredCursor(), std::nullopt);
}

TEST_F(RewrapperGrantsTest, ARevokedRolesWrapsAreDeletedAndARegrantAddsThemBack) {
  const std::string id = Submit(RecordWith("revoked"), "revoke-record-01");
  ASSERT_EQ(WrapsOf(id, 1, v1::INTERVIEW, policy::v1::HEALTH_REVIEWER).size(), 1u);
  ASSERT_THAT(ReadAs(id, policy::v1::HEALTH_REVIEWER, policy::v1::INTERVIEW), IsOk());

  auto rewrapper = NewRewrapper();
  v1::RewrapStatus status = ChangeGrantsAndWait(
      *rewrapper, DevPolicyWith({{kHealthReviewerSections, "readable_sections: [HEALTH]"}}));
  EXPECT_TRUE(status.completed());
  EXPECT_EQ(status.wraps_removed(), 1u);
  EXPECT_EQ(status.wraps_added(), 0u);
  EXPECT_THAT(WrapsOf(id, 1, v1::INTERVIEW, policy::v1::HEALTH_REVIEWER), IsEmpty());
  EXPECT_THAT(ReadAs(id, policy::v1::HEALTH_REVIEWER, policy::v1::INTERVIEW),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Other roles' wraps of the section, and the reviewer's other section, stay.
  EXPECT_EQ(WrapsOf(id, 1, v1::INTERVIEW, policy::v1::CASE_OFFICER).size(), 1u);
  EXPECT_EQ(WrapsOf(id, 1, v1::HEALTH, policy::v1::HEALTH_REVIEWER).size(), 1u);

  status = ChangeGrantsAndWait(*rewrapper, kDevPolicyText);
  EXPECT_TRUE(status.completed());
  EXPECT_EQ(status.wraps_added(), 1u);
  EXPECT_EQ(WrapsOf(id, 1, v1::INTERVIEW, policy::v1::HEALTH_REVIEWER).size(), 1u);
  absl::StatusOr<v1::GetRecordResponse> read =
      ReadAs(id, policy::v1::HEALTH_REVIEWER, policy::v1::INTERVIEW);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->interview().narrative(), "revoked narrative");
}

TEST_F(RewrapperGrantsTest, AGrantChangeWhileTheJobRunsStartsThePassOverUnderTheNewPolicy) {
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(Submit(RecordWith("restart"), absl::StrCat("grant-restart-0", i)));
  }
  SetDevRewrapPauseMillis(40);  // each record version visited takes a while
  auto rewrapper = NewRewrapper();
  authorizer_ = AuthorizerFrom(DevPolicyWith(
      {{kCaseOfficerSections, "readable_sections: [IDENTITY, INTERVIEW, LEGAL, HEALTH]"}}));
  rewrapper->SetAuthorizer(authorizer_);
  auto record_start = [&](store::Mutation cursor) {
    v1::AuditEvent event;
    event.set_action("wrap_grants_changed");
    return recorder_->Record(event, std::move(cursor)).status();
  };
  ASSERT_THAT(rewrapper->StartForGrants("first", record_start), IsOk());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  ASSERT_TRUE(rewrapper->Status().running());
  // Revoked again before the first pass is done: every record must end without the wrap.
  authorizer_ = AuthorizerFrom(kDevPolicyText);
  rewrapper->SetAuthorizer(authorizer_);
  ASSERT_THAT(rewrapper->StartForGrants("second", record_start), IsOk());
  const v1::RewrapStatus status = WaitForJob(*rewrapper);
  EXPECT_TRUE(status.completed());
  EXPECT_EQ(status.restarts(), 1u);
  EXPECT_EQ(status.trigger(), "second");
  for (const std::string& id : ids) {
    EXPECT_THAT(WrapsOf(id, 1, v1::HEALTH, policy::v1::CASE_OFFICER), IsEmpty());
    EXPECT_EQ(WrapsOf(id, 1, v1::HEALTH, policy::v1::HEALTH_REVIEWER).size(), 1u);
  }
  EXPECT_EQ(EntriesWithAction("rewrap_completed").size(), 1u);
}

TEST_F(RewrapperGrantsTest, AJobCutOffAfterItsStartResumesFromTheStoredCursor) {
  const std::string id = Submit(RecordWith("resumed"), "resume-record-01");
  // What StartForGrants stores with its entry, left behind by a crash before any record.
  store::Mutation cursor;
  cursor.Put(store::Space::kMeta, "rewrap/cursor", "");
  ASSERT_THAT(store_->Commit(cursor), IsOk());
  authorizer_ = AuthorizerFrom(DevPolicyWith(
      {{kCaseOfficerSections, "readable_sections: [IDENTITY, INTERVIEW, LEGAL, HEALTH]"}}));
  auto rewrapper = NewRewrapper();
  ASSERT_THAT(rewrapper->ResumeIfPending(), IsOk());
  const v1::RewrapStatus status = WaitForJob(*rewrapper);
  EXPECT_TRUE(status.resumed());
  EXPECT_TRUE(status.completed());
  EXPECT_EQ(WrapsOf(id, 1, v1::HEALTH, policy::v1::CASE_OFFICER).size(), 1u);
}

TEST_F(RewrapperGrantsTest, AShreddedRecordGetsNoWrapBack) {
  const std::string doomed = Submit(RecordWith("doomed"), "grant-doomed-001");
  ASSERT_THAT(shredder_->Shred({doomed}, Order()), IsOk());
  auto rewrapper = NewRewrapper();
  const v1::RewrapStatus status = ChangeGrantsAndWait(
      *rewrapper, DevPolicyWith({{kCaseOfficerSections,
                                  "readable_sections: [IDENTITY, INTERVIEW, LEGAL, HEALTH]"}}));
  EXPECT_TRUE(status.completed());
  EXPECT_THAT(ValuesUnder(store::Space::kWraps, RecordIdFromHex(doomed)), IsEmpty());
}

TEST_F(RewrapperGrantsTest, ASectionGrantedToNoRoleKeepsItsWrapsAndSuchAReloadIsRefused) {
  const std::string id = Submit(RecordWith("kept"), "grant-keep-0001");
  // While anyone may submit, such a policy does not even load (policy/policy_loader.cc).
  EXPECT_THAT(policy::Policy::FromText(
                  DevPolicyWith({{kHealthReviewerSections, "readable_sections: [INTERVIEW]"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("health")));
  // With submission closed it loads, but a reload onto it is refused and the rewrapper keeps
  // the health wraps: nothing already filed is sealed for no one.
  const std::string no_health = DevPolicyWith({{kHealthReviewerSections,
                                                "readable_sections: [INTERVIEW]"},
                                               {"may_submit: true may_amend_own: true", ""}});
  EXPECT_THAT(CheckSectionsStillRead(authorizer_->policy(), AuthorizerFrom(no_health)->policy()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("health")));
  EXPECT_THAT(CheckSectionsStillRead(authorizer_->policy(), authorizer_->policy()), IsOk());
  auto rewrapper = NewRewrapper();
  const v1::RewrapStatus status = ChangeGrantsAndWait(*rewrapper, no_health);
  EXPECT_TRUE(status.completed());
  EXPECT_EQ(status.wraps_removed(), 0u);
  EXPECT_EQ(WrapsOf(id, 1, v1::HEALTH, policy::v1::HEALTH_REVIEWER).size(), 1u);
}

TEST_F(RewrapperGrantsTest, AWrapThatDoesNotOpenStopsTheJobAndChangesNothingForItsRecord) {
  const std::string id = Submit(RecordWith("tampered"), "grant-tamper-001");
  const std::string raw = RecordIdFromHex(id);
  // The health section's only wrap (health reviewer), one byte flipped.
  DamageWrap(raw, v1::HEALTH, policy::v1::HEALTH_REVIEWER);

  auto rewrapper = NewRewrapper();
  const v1::RewrapStatus status = ChangeGrantsAndWait(
      *rewrapper, DevPolicyWith({{kCaseOfficerSections,
                                  "readable_sections: [IDENTITY, INTERVIEW, LEGAL, HEALTH]"}}));
  EXPECT_FALSE(status.completed());
  EXPECT_EQ(status.error(), "a stored record does not open");
  EXPECT_THAT(WrapsOf(id, 1, v1::HEALTH, policy::v1::CASE_OFFICER), IsEmpty());
  EXPECT_THAT(EntriesWithAction("rewrap_completed"), IsEmpty());
  // The cursor stays: the job is still pending.
  EXPECT_EQ(StoredCursor(), std::optional<std::string>(""));
}

TEST_F(RewrapperGrantsTest, ADamagedWrapDoesNotHideTheOtherRolesWraps) {
  const std::string id = Submit(RecordWith("one damaged"), "grant-damage-001");
  const std::string raw = RecordIdFromHex(id);
  // The case officer's identity wrap is damaged; the legal adviser's still opens the key.
  DamageWrap(raw, v1::IDENTITY, policy::v1::CASE_OFFICER);

  auto rewrapper = NewRewrapper();
  const v1::RewrapStatus status = ChangeGrantsAndWait(
      *rewrapper, DevPolicyWith({{"readable_sections: [HEALTH, INTERVIEW]",
                                  "readable_sections: [HEALTH, INTERVIEW, IDENTITY]"}}));
  EXPECT_TRUE(status.completed()) << status.error();
  EXPECT_THAT(WrapsOf(id, 1, v1::IDENTITY, policy::v1::HEALTH_REVIEWER), ::testing::SizeIs(1));
}

}  // namespace
}  // namespace confidant::server
