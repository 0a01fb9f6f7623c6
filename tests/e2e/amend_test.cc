// Amendments over real mTLS: the visit team member who submitted a record stores new versions of
// it; every earlier version stays readable by the roles that may read it, the history lists each
// version with who stored it and when, and nothing is overwritten. Envelopes are bound to the
// record they amend, retries are idempotent, concurrent amendments each get their own version,
// and the scope (region, facility) cannot be changed. The amendment window itself is exercised
// with an injected clock in clock_test.cc.
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "confidant/v1/intake.pb.h"
#include "crypto/asymmetric.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/shared_vault_test.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AmendTest : public SharedVaultTest {
 protected:
  static absl::StatusOr<v1::GetRecordResponse> Read(const std::string& record_id,
                                                    uint64_t version,
                                                    const std::string& as = "case_officer") {
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(v1::FOLLOW_UP);
    request.set_version(version);
    return vault_->ClientAs(as)->Get(request);
  }

  static absl::StatusOr<v1::ListRecordVersionsResponse> History(
      const std::string& record_id, const std::string& as = "case_officer") {
    return vault_->ClientAs(as)->Versions(record_id);
  }

  // A sealed amendment of `record_id` with `text`, under `submission_id`, by the visit team.
  static v1::AmendRecordRequest SealedAmendment(const std::string& record_id,
                                                const v1::InterviewRecord& record,
                                                const std::string& submission_id,
                                                const std::string& amends) {
    auto client = vault_->ClientAs("visit_team");
    absl::StatusOr<v1::IntakeKey> key = client->FetchIntakeKey();
    EXPECT_THAT(key, IsOk());
    v1::AmendRecordRequest request;
    request.set_record_id(record_id);
    absl::StatusOr<v1::SubmitRecordRequest> sealed = client::SealSubmission(
        *key, DevPrincipalOf("visit_team"), record, submission_id, absl::ToUnixSeconds(absl::Now()), amends);
    EXPECT_THAT(sealed, IsOk());
    *request.mutable_submission() = *sealed;
    return request;
  }

};

TEST_F(AmendTest, NewVersionKeepsTheOldOneReadableAndListsTheHistory) {
  const std::string id = SubmitRecord("first account", "amend-history-1");
  auto team = vault_->ClientAs("visit_team");
  absl::StatusOr<v1::SubmitRecordResponse> amended =
      team->Amend(id, SyntheticRecord("corrected account"), "amend-history-2");
  ASSERT_THAT(amended, IsOk());
  EXPECT_EQ(amended->record_id(), id);
  EXPECT_EQ(amended->record_version(), 2u);
  EXPECT_FALSE(amended->duplicate());
  EXPECT_FALSE(amended->receipt_signature().empty());

  absl::StatusOr<v1::GetRecordResponse> newest = Read(id, 0);
  ASSERT_THAT(newest, IsOk());
  EXPECT_EQ(newest->record_version(), 2u);
  EXPECT_EQ(newest->interview().narrative(), "corrected account narrative");
  absl::StatusOr<v1::GetRecordResponse> first = Read(id, 1);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->record_version(), 1u);
  EXPECT_EQ(first->interview().narrative(), "first account narrative");
  EXPECT_EQ(first->identity().full_name(), "first account name");
  // Roles read earlier versions exactly as they read the newest: the health reviewer gets
  // health and interview of version 1, never identity.
  absl::StatusOr<v1::GetRecordResponse> health = [&] {
    v1::GetRecordRequest request;
    request.set_record_id(id);
    request.set_purpose(v1::CASE_REVIEW);
    request.set_version(1);
    return vault_->ClientAs("health_reviewer")->Get(request);
  }();
  ASSERT_THAT(health, IsOk());
  EXPECT_EQ(health->health().observations(), "first account observations");
  EXPECT_FALSE(health->has_identity());

  absl::StatusOr<v1::ListRecordVersionsResponse> history = History(id);
  ASSERT_THAT(history, IsOk());
  ASSERT_EQ(history->versions_size(), 2);
  EXPECT_EQ(history->versions(0).version(), 1u);
  EXPECT_EQ(history->versions(1).version(), 2u);
  EXPECT_EQ(history->versions(0).author_person_id(), "visit_team");
  EXPECT_EQ(history->versions(1).author_person_id(), "visit_team");
  EXPECT_LE(history->versions(0).created_unix_seconds(), history->versions(1).created_unix_seconds());
  EXPECT_GT(history->versions(0).created_unix_seconds(), 0);

  // The listing shows the newest version.
  absl::StatusOr<v1::ListRecordsResponse> listed = vault_->ClientAs("case_officer")->List({});
  ASSERT_THAT(listed, IsOk());
  bool seen = false;
  for (const v1::RecordSummary& r : listed->records()) {
    if (r.record_id() == id) {
      seen = true;
      EXPECT_EQ(r.record_version(), 2u);
    }
  }
  EXPECT_TRUE(seen);

  // No such version, and version numbers are not guesses at other records.
  EXPECT_THAT(Read(id, 3), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AmendTest, AmendmentAndHistoryAreAuditedNamingTheRecord) {
  const std::string id = SubmitRecord("audited", "amend-audit-1");
  const uint64_t from = AuditEntriesFrom(*vault_).size();
  ASSERT_THAT(vault_->ClientAs("visit_team")->Amend(id, SyntheticRecord("audited 2"),
                                                      "amend-audit-2"),
              IsOk());
  ASSERT_THAT(History(id), IsOk());
  ASSERT_THAT(Read(id, 1), IsOk());
  std::vector<v1::AuditEntry> entries = AuditEntriesFrom(*vault_, from);
  std::vector<std::string> seen;
  for (const v1::AuditEntry& entry : entries) {
    const v1::AuditEvent& e = entry.event();
    if (e.record_ids_size() != 1 || e.record_ids(0) != id) continue;
    seen.push_back(absl::StrCat(e.action(), " ", e.rule(), " ", e.detail()));
  }
  EXPECT_THAT(seen, ElementsAre("amend_record allow:grant/visit_team stored version 2",
                                "list_records allow:grant/case_officer record versions",
                                "get_record allow:grant/case_officer version 1"));
}

TEST_F(AmendTest, RetryIsIdempotentAndAReusedIdWithOtherContentIsRefused) {
  const std::string id = SubmitRecord("retry", "amend-retry-1");
  const v1::AmendRecordRequest request =
      SealedAmendment(id, SyntheticRecord("retry 2"), "amend-retry-2", id);
  auto team = vault_->ClientAs("visit_team");
  absl::StatusOr<v1::SubmitRecordResponse> once = team->AmendSealed(request);
  ASSERT_THAT(once, IsOk());
  absl::StatusOr<v1::SubmitRecordResponse> twice = team->AmendSealed(request);
  ASSERT_THAT(twice, IsOk());
  EXPECT_TRUE(twice->duplicate());
  EXPECT_EQ(twice->record_version(), 2u);
  EXPECT_EQ(twice->envelope_hash(), once->envelope_hash());
  // Same submission id, other envelope.
  EXPECT_THAT(team->AmendSealed(SealedAmendment(id, SyntheticRecord("retry 3"), "amend-retry-2", id)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // The submission id of the original submission cannot be reused for an amendment.
  EXPECT_THAT(team->AmendSealed(SealedAmendment(id, SyntheticRecord("retry 4"), "amend-retry-1", id)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  absl::StatusOr<v1::ListRecordVersionsResponse> history = History(id);
  ASSERT_THAT(history, IsOk());
  EXPECT_EQ(history->versions_size(), 2);
}

TEST_F(AmendTest, EnvelopesAreBoundToTheRecordTheyAmend) {
  const std::string a = SubmitRecord("bound a", "amend-bound-a");
  const std::string b = SubmitRecord("bound b", "amend-bound-b");
  auto team = vault_->ClientAs("visit_team");
  // An amendment of A sent against B.
  v1::AmendRecordRequest moved = SealedAmendment(b, SyntheticRecord("x"), "amend-bound-1", a);
  EXPECT_THAT(team->AmendSealed(moved), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 HasSubstr("not sealed as an amendment")));
  // A plain submission's envelope sent as an amendment.
  v1::AmendRecordRequest plain = SealedAmendment(a, SyntheticRecord("x"), "amend-bound-2", "");
  EXPECT_THAT(team->AmendSealed(plain), StatusIs(absl::StatusCode::kInvalidArgument));
  // An amendment's envelope sent as a submission.
  v1::AmendRecordRequest sealed = SealedAmendment(a, SyntheticRecord("x"), "amend-bound-3", a);
  EXPECT_THAT(team->SubmitSealed(sealed.submission()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("AmendRecord")));
  for (const std::string& id : {a, b}) {
    absl::StatusOr<v1::ListRecordVersionsResponse> history = History(id);
    ASSERT_THAT(history, IsOk());
    EXPECT_EQ(history->versions_size(), 1) << "a refused amendment changed " << id;
  }
}

TEST_F(AmendTest, OnlyTheSubmitterMayAmendAndTheScopeCannotMove) {
  const std::string id = SubmitRecord("owner", "amend-owner-1");
  // Another visit team person.
  EXPECT_THAT(vault_->ClientAs("bench_visit_team")->Amend(id, SyntheticRecord("x"), "amend-owner-2"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deny:not-submitter")));
  // Roles without the amend grant.
  for (const std::string role : {"case_officer", "auditor", "custodian", "approver"}) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::SubmitRecordResponse response;
    v1::AmendRecordRequest request = SealedAmendment(id, SyntheticRecord("x"), "amend-owner-3", id);
    grpc::Status status = vault_->ClientAs(role)->stub().AmendRecord(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << role;
  }
  // Moving the record to another facility or region.
  v1::InterviewRecord moved = SyntheticRecord("moved");
  moved.mutable_visit()->set_facility_id("qc-other");
  EXPECT_THAT(vault_->ClientAs("visit_team")->Amend(id, moved, "amend-owner-4"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("region or facility")));
  moved = SyntheticRecord("moved");
  moved.mutable_visit()->set_region(v1::ONTARIO);
  EXPECT_THAT(vault_->ClientAs("visit_team")->Amend(id, moved, "amend-owner-5"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("region or facility")));
  absl::StatusOr<v1::ListRecordVersionsResponse> history = History(id);
  ASSERT_THAT(history, IsOk());
  EXPECT_EQ(history->versions_size(), 1);
}

TEST_F(AmendTest, BadInputGetsAPreciseStatus) {
  auto team = vault_->ClientAs("visit_team");
  const std::string id = SubmitRecord("bad input", "amend-bad-1");
  EXPECT_THAT(team->Amend("not-a-record-id", SyntheticRecord("x"), "amend-bad-2"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(team->Amend("0123456789abcdef0123456789abcdef", SyntheticRecord("x"), "amend-bad-3"),
              StatusIs(absl::StatusCode::kNotFound));
  v1::AmendRecordRequest empty;
  empty.set_record_id(id);
  EXPECT_THAT(team->AmendSealed(empty), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::AmendRecordRequest garbage = SealedAmendment(id, SyntheticRecord("x"), "amend-bad-4", id);
  garbage.mutable_submission()->set_sealed_envelope("not an envelope");
  EXPECT_THAT(team->AmendSealed(garbage), StatusIs(absl::StatusCode::kInvalidArgument));
  // An invalid record sealed without the client's validation: the server validates too.
  v1::InterviewRecord invalid = SyntheticRecord("x");
  invalid.mutable_visit()->set_visit_date("yesterday");
  absl::StatusOr<v1::IntakeKey> key = team->FetchIntakeKey();
  ASSERT_THAT(key, IsOk());
  v1::IntakePayload payload;
  payload.set_format_version(1);
  payload.set_submission_id("amend-bad-5");
  payload.set_submitter(DevPrincipalOf("visit_team"));
  payload.set_intake_key_version(key->version());
  payload.set_amends_record_id(id);
  payload.set_created_unix_seconds(absl::ToUnixSeconds(absl::Now()));
  *payload.mutable_record() = invalid;
  absl::StatusOr<std::string> sealed =
      crypto::SealToPublicKey(key->public_key(), payload.SerializeAsString());
  ASSERT_THAT(sealed, IsOk());
  v1::AmendRecordRequest unvalidated;
  unvalidated.set_record_id(id);
  unvalidated.mutable_submission()->set_submission_id("amend-bad-5");
  unvalidated.mutable_submission()->set_intake_key_version(key->version());
  unvalidated.mutable_submission()->set_sealed_envelope(*sealed);
  EXPECT_THAT(team->AmendSealed(unvalidated), StatusIs(absl::StatusCode::kInvalidArgument));
  // History and versioned reads.
  EXPECT_THAT(History("zz"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(History("0123456789abcdef0123456789abcdef"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(History(id, "auditor"), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(History(id, "visit_team"), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Read(id, 99), StatusIs(absl::StatusCode::kNotFound));
  // Out of scope: the Ontario case officer sees neither the history nor an old version.
  EXPECT_THAT(History(id, "case_officer_on"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deny:scope")));
  EXPECT_THAT(Read(id, 1, "case_officer_on"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deny:scope")));
}

// Review finding: a consent withdrawn by an amendment must not be revived by an earlier
// consent change; and an amendment never gives consent (that is a recorded consent change).
TEST_F(AmendTest, AmendmentsMayNarrowConsentButNeverWiden) {
  auto read_raise = [&](const std::string& id) {
    v1::GetRecordRequest request;
    request.set_record_id(id);
    request.set_purpose(v1::RAISE_WITH_AUTHORITY);
    return vault_->ClientAs("case_officer")->Get(request);
  };
  auto consent_change = [&](const std::string& id, bool give) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::RecordConsentRequest request;
    request.set_record_id(id);
    request.set_purpose(v1::RAISE_WITH_AUTHORITY);
    request.set_given(give);
    request.set_recorded_on("2026-10-03");
    v1::RecordConsentResponse response;
    return vault_->ClientAs("case_officer")->stub().RecordConsent(&context, request, &response);
  };
  // SyntheticRecord has no consent for raise_with_authority.
  const std::string id = SubmitRecord("consent narrowed", "amend-consent-1");
  EXPECT_THAT(read_raise(id), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("consent")));
  ASSERT_TRUE(consent_change(id, true).ok());
  ASSERT_THAT(read_raise(id), IsOk());
  // The detainee withdraws; the team files a corrected record that says so.
  v1::InterviewRecord withdrawn = SyntheticRecord("consent narrowed 2");
  v1::Consent* c = withdrawn.add_consents();
  c->set_purpose(v1::RAISE_WITH_AUTHORITY);
  c->set_given(false);
  c->set_recorded_on("2026-10-04");
  ASSERT_THAT(vault_->ClientAs("visit_team")->Amend(id, withdrawn, "amend-consent-2"), IsOk());
  EXPECT_THAT(read_raise(id), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deny:consent")));
  absl::StatusOr<v1::GetRecordResponse> shown = Read(id, 1);
  ASSERT_THAT(shown, IsOk());
  bool listed = false;
  for (const v1::Consent& consent : shown->consents()) {
    if (consent.purpose() != v1::RAISE_WITH_AUTHORITY) continue;
    listed = true;
    EXPECT_FALSE(consent.given()) << "every version shows the record's consent now";
  }
  EXPECT_TRUE(listed);
  // A later consent change gives it again.
  ASSERT_TRUE(consent_change(id, true).ok());
  EXPECT_THAT(read_raise(id), IsOk());

  // An amendment that claims consent does not give it.
  const std::string other = SubmitRecord("consent widened", "amend-consent-3");
  v1::InterviewRecord widened = SyntheticRecord("consent widened 2");
  c = widened.add_consents();
  c->set_purpose(v1::RAISE_WITH_AUTHORITY);
  c->set_given(true);
  c->set_recorded_on("2026-10-04");
  ASSERT_THAT(vault_->ClientAs("visit_team")->Amend(other, widened, "amend-consent-4"), IsOk());
  EXPECT_THAT(read_raise(other), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("deny:consent")));
}

TEST_F(AmendTest, ConcurrentAmendmentsEachGetTheirOwnVersion) {
  const std::string id = SubmitRecord("concurrent", "amend-conc-0");
  constexpr int kThreads = 8;
  std::vector<uint64_t> versions(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<v1::SubmitRecordResponse> r = vault_->ClientAs("visit_team")->Amend(
          id, SyntheticRecord(absl::StrCat("concurrent ", i)), absl::StrCat("amend-conc-", i + 1));
      if (r.ok()) versions[i] = r->record_version();
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<uint64_t> distinct(versions.begin(), versions.end());
  EXPECT_EQ(distinct, (std::set<uint64_t>{2, 3, 4, 5, 6, 7, 8, 9}));
  absl::StatusOr<v1::ListRecordVersionsResponse> history = History(id);
  ASSERT_THAT(history, IsOk());
  ASSERT_EQ(history->versions_size(), kThreads + 1);
  for (int i = 0; i <= kThreads; ++i) {
    absl::StatusOr<v1::GetRecordResponse> r = Read(id, i + 1);
    ASSERT_THAT(r, IsOk()) << "version " << i + 1;
    EXPECT_EQ(r->record_version(), static_cast<uint64_t>(i + 1));
  }
}

}  // namespace
}  // namespace confidant::testing
