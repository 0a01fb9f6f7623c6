// Every RecordService handler refuses bad input with the right code, a short message that holds
// no record content, and stores nothing. Raw stub calls bypass the client library's validation.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "confidant/v1/intake.pb.h"
#include "crypto/asymmetric.h"
#include "crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/intake_key_format.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kCanary[] = "CANARY-bad-input-7f3e";

// A short message that does not leak the canary.
MATCHER(IsSanitised, "is short and holds no record content") {
  return arg.size() < 200 && arg.find(kCanary) == std::string::npos;
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    team_ = vault_->ClientAs("visit_team");
    officer_ = vault_->ClientAs("case_officer");
    ASSERT_NE(team_, nullptr);
    ASSERT_NE(officer_, nullptr);
    absl::StatusOr<v1::IntakeKey> key = team_->FetchIntakeKey();
    ASSERT_THAT(key, IsOk());
    intake_key_ = *std::move(key);
  }

  // A raw SubmitRecord by `client`; the message is checked to be sanitised.
  absl::Status RawSubmit(client::VaultClient& client, const v1::SubmitRecordRequest& request) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::SubmitRecordResponse response;
    const absl::Status status =
        client::FromGrpc(client.stub().SubmitRecord(&context, request, &response));
    EXPECT_THAT(std::string(status.message()), IsSanitised());
    if (!status.ok()) {
      EXPECT_EQ(response.ByteSizeLong(), 0u);
    }
    return status;
  }

  // A well-sealed request for `record`, bypassing the client's validation.
  v1::SubmitRecordRequest Sealed(const v1::InterviewRecord& record, const std::string& id,
                                 const std::string& submitter = DevPrincipalOf("visit_team")) {
    v1::IntakePayload payload;
    payload.set_format_version(1);
    payload.set_submission_id(id);
    payload.set_submitter(submitter);
    payload.set_intake_key_version(intake_key_.version());
    payload.set_created_unix_seconds(absl::ToUnixSeconds(absl::Now()));
    *payload.mutable_record() = record;
    absl::StatusOr<std::string> sealed =
        crypto::SealToPublicKey(intake_key_.public_key(), payload.SerializeAsString());
    EXPECT_THAT(sealed, IsOk());
    v1::SubmitRecordRequest request;
    request.set_submission_id(id);
    request.set_intake_key_version(intake_key_.version());
    request.set_sealed_envelope(sealed.ok() ? *sealed : "");
    return request;
  }

  absl::StatusOr<v1::GetRecordResponse> Get(const std::string& id, int purpose = v1::FOLLOW_UP,
                                            const std::string& reason = "") {
    v1::GetRecordRequest request;
    request.set_record_id(id);
    request.set_purpose(static_cast<v1::Purpose>(purpose));
    request.set_reason(reason);
    absl::StatusOr<v1::GetRecordResponse> got = officer_->Get(request);
    EXPECT_THAT(std::string(got.status().message()), IsSanitised());
    return got;
  }

  absl::StatusOr<v1::ListRecordsResponse> List(const v1::ListRecordsRequest& request) {
    absl::StatusOr<v1::ListRecordsResponse> listed = officer_->List(request);
    EXPECT_THAT(std::string(listed.status().message()), IsSanitised());
    return listed;
  }

  void ExpectNothingStored() {
    absl::StatusOr<v1::ListRecordsResponse> listed = List(v1::ListRecordsRequest());
    ASSERT_THAT(listed, IsOk());
    EXPECT_EQ(listed->records_size(), 0);
  }

  std::unique_ptr<VaultProcess> vault_;
  std::unique_ptr<client::VaultClient> team_;
  std::unique_ptr<client::VaultClient> officer_;
  v1::IntakeKey intake_key_;
};

TEST_F(BadInputTest, IntakeKeyIsForVisitTeamsAndSignedByTheVault) {
  EXPECT_THAT(officer_->FetchIntakeKey(), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(intake_key_.public_key().size(), 32u);
  EXPECT_THAT(crypto::VerifySignature(
                  team_->identity().vault_public_key,
                  IntakeKeySigningBytes(intake_key_.version(), intake_key_.public_key(),
                                        intake_key_.created_unix_seconds()),
                  intake_key_.signature()),
              IsOk());
}

TEST_F(BadInputTest, MalformedSubmissionsAreInvalidAndStoreNothing) {
  const v1::InterviewRecord record = SyntheticRecord(kCanary);
  const v1::SubmitRecordRequest good = Sealed(record, "bad-input-0001");
  auto with = [&](auto mutate) {
    v1::SubmitRecordRequest request = good;
    mutate(request);
    return RawSubmit(*team_, request);
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(with([](auto& r) { r.set_submission_id(""); }), StatusIs(kInvalid, HasSubstr("submission_id")));
  EXPECT_THAT(with([](auto& r) { r.set_submission_id("1234567"); }), StatusIs(kInvalid, HasSubstr("submission_id")));
  EXPECT_THAT(with([](auto& r) { r.set_submission_id("bad/id-0001"); }), StatusIs(kInvalid, HasSubstr("submission_id")));
  EXPECT_THAT(with([](auto& r) { r.set_intake_key_version(99); }), StatusIs(kInvalid, HasSubstr("intake_key_version")));
  EXPECT_THAT(with([](auto& r) { r.set_sealed_envelope(""); }), StatusIs(kInvalid, HasSubstr("sealed_envelope")));
  EXPECT_THAT(with([](auto& r) { r.set_sealed_envelope(crypto::RandomBytes(600)); }),
              StatusIs(kInvalid, HasSubstr("sealed_envelope")));
  v1::IntakePayload plain;
  plain.set_format_version(1);
  plain.set_submission_id(good.submission_id());
  plain.set_submitter(DevPrincipalOf("visit_team"));
  plain.set_intake_key_version(intake_key_.version());
  *plain.mutable_record() = record;
  EXPECT_THAT(with([&](auto& r) { r.set_sealed_envelope(plain.SerializeAsString()); }),
              StatusIs(kInvalid, HasSubstr("sealed_envelope")));
  EXPECT_THAT(with([](auto& r) { r.set_sealed_envelope(crypto::RandomBytes(200 * 1024)); }),
              StatusIs(kInvalid, HasSubstr("sealed_envelope")));
  // The sealed request, replayed under another submission id, does not match its payload.
  EXPECT_THAT(with([](auto& r) { r.set_submission_id("bad-input-0002"); }), StatusIs(kInvalid));
  ExpectNothingStored();
}

TEST_F(BadInputTest, MessageOverTheGrpcLimitIsResourceExhausted) {
  // A channel without the client library's own limit, so the server's limit is what answers.
  auto stub = v1::RecordService::NewStub(RawChannel(vault_->address(), team_->identity()));
  v1::SubmitRecordRequest request = Sealed(SyntheticRecord(kCanary), "bad-input-0003");
  request.set_sealed_envelope(crypto::RandomBytes(300 * 1024));
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::SubmitRecordResponse response;
  const grpc::Status status = stub->SubmitRecord(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  // The client library refuses to send it too.
  EXPECT_THAT(team_->SubmitSealed(request), StatusIs(absl::StatusCode::kResourceExhausted));
  ExpectNothingStored();
}

TEST_F(BadInputTest, SubmissionByNonSubmittingRoleIsDenied) {
  EXPECT_THAT(RawSubmit(*officer_, Sealed(SyntheticRecord(kCanary), "bad-input-0004",
                                          DevPrincipalOf("case_officer"))),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ExpectNothingStored();
}

TEST_F(BadInputTest, EnvelopeSealedForAnotherPrincipalIsRefused) {
  EXPECT_THAT(RawSubmit(*team_, Sealed(SyntheticRecord(kCanary), "bad-input-0005",
                                       DevPrincipalOf("case_officer"))),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("another principal")));
  ExpectNothingStored();
}

TEST_F(BadInputTest, InvalidRecordInsideAWellSealedEnvelopeIsRefusedNamingTheField) {
  v1::InterviewRecord no_visit = SyntheticRecord(kCanary);
  no_visit.clear_visit();
  EXPECT_THAT(RawSubmit(*team_, Sealed(no_visit, "bad-input-0006")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("visit")));
  v1::InterviewRecord bad_region = SyntheticRecord(kCanary);
  bad_region.mutable_visit()->set_region(static_cast<v1::Region>(99));
  EXPECT_THAT(RawSubmit(*team_, Sealed(bad_region, "bad-input-0007")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("visit.region")));
  v1::InterviewRecord long_narrative = SyntheticRecord(kCanary);
  std::string narrative;
  while (narrative.size() < 40 * 1024) narrative += kCanary;
  long_narrative.mutable_interview()->set_narrative(narrative);
  EXPECT_THAT(RawSubmit(*team_, Sealed(long_narrative, "bad-input-0008")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interview.narrative")));
  // A visit that has not happened yet (a probe of the likely-duplicate index, or a typo).
  v1::InterviewRecord future = SyntheticRecord(kCanary);
  future.mutable_visit()->set_visit_date("2099-01-01");
  EXPECT_THAT(RawSubmit(*team_, Sealed(future, "bad-input-0009")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("visit.visit_date"), HasSubstr("in the future"))));
  ExpectNothingStored();
  EXPECT_THAT(vault_->log(), Not(HasSubstr(kCanary)));
}

// A client built against another version of the contract (or crafting bytes by hand, as a
// grpc-js client did) can add fields this vault does not know. They would be stored inside the
// record and served to every lister past every length limit and section grant: refused,
// naming the field by path and number only, audited, and nothing stored.
TEST_F(BadInputTest, UnknownFieldsAreRefusedNamingTheFieldAndNothingIsStored) {
  const auto with_unknown = [](google::protobuf::Message& message, int number) {
    message.GetReflection()->MutableUnknownFields(&message)->AddLengthDelimited(
        number, std::string(kCanary) + std::string(1024, 'x'));
  };
  v1::InterviewRecord in_visit = SyntheticRecord(kCanary);
  with_unknown(*in_visit.mutable_visit(), 99);
  EXPECT_THAT(RawSubmit(*team_, Sealed(in_visit, "bad-input-0010")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sealed_envelope.record.visit: carries field number 99")));
  v1::InterviewRecord in_consent = SyntheticRecord(kCanary);
  if (in_consent.consents_size() == 0) in_consent.add_consents()->set_purpose(v1::FOLLOW_UP);
  with_unknown(*in_consent.mutable_consents(0), 15);
  EXPECT_THAT(RawSubmit(*team_, Sealed(in_consent, "bad-input-0011")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sealed_envelope.record.consents[0]: carries field number 15")));
  // On the outer request: every handler refuses it before reading it.
  v1::SubmitRecordRequest outer = Sealed(SyntheticRecord(kCanary), "bad-input-0012");
  with_unknown(outer, 40);
  EXPECT_THAT(RawSubmit(*team_, outer),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("request: carries field number 40")));
  v1::ListRecordsRequest list;
  with_unknown(list, 41);
  EXPECT_THAT(List(list), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("request: carries field number 41")));
  ExpectNothingStored();
  EXPECT_THAT(vault_->log(), Not(HasSubstr(kCanary)));
  // Each refusal is audited as a denial with its real status.
  int refused = 0;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
    if (entry.event().status_code() == "INVALID_ARGUMENT") {
      ++refused;
      EXPECT_EQ(entry.event().decision(), v1::DENY);
    }
  }
  EXPECT_GE(refused, 2) << "merged denials count once per action";
}

TEST_F(BadInputTest, GetRecordValidatesIdPurposeAndReason) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(Get("0123456789abcdef"), StatusIs(kInvalid, HasSubstr("record_id")));
  EXPECT_THAT(Get(""), StatusIs(kInvalid, HasSubstr("record_id")));
  EXPECT_THAT(Get("0123456789ABCDEF0123456789ABCDEF"), StatusIs(kInvalid, HasSubstr("record_id")));
  EXPECT_THAT(Get("0123456789abcdef0123456789abcdeg"), StatusIs(kInvalid, HasSubstr("record_id")));
  EXPECT_THAT(Get("../../../../etc/passwd0123456789a"), StatusIs(kInvalid, HasSubstr("record_id")));
  const std::string unknown = "0123456789abcdef0123456789abcdef";
  EXPECT_THAT(Get(unknown), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Get(unknown, 99), StatusIs(kInvalid, HasSubstr("purpose")));
  EXPECT_THAT(Get(unknown, v1::PURPOSE_UNSPECIFIED), StatusIs(kInvalid, HasSubstr("purpose")));
  EXPECT_THAT(Get(unknown, v1::FOLLOW_UP, std::string(501, 'r')), StatusIs(kInvalid, HasSubstr("reason")));
  EXPECT_THAT(Get(unknown, v1::FOLLOW_UP, std::string(500, 'r')), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BadInputTest, ListRecordsValidatesItsArguments) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  v1::ListRecordsRequest request;
  request.set_since("2026-13-40");
  EXPECT_THAT(List(request), StatusIs(kInvalid, HasSubstr("since")));
  request.set_since("2026-02-30");
  EXPECT_THAT(List(request), StatusIs(kInvalid, "since: is not a day of the calendar: 2026-02 has "
                                                "28 days"));
  request.Clear();
  request.set_page_size(1001);
  EXPECT_THAT(List(request), StatusIs(kInvalid, HasSubstr("page_size")));
  request.set_page_size(1000);
  EXPECT_THAT(List(request), IsOk());
  request.Clear();
  // The message names the request's field: a ListRecordsRequest has no record_id.
  request.set_page_token("not-a-token");
  EXPECT_THAT(List(request), StatusIs(kInvalid, HasSubstr("page_token")));
  request.set_page_token("0123456789ABCDEF0123456789ABCDEF");
  EXPECT_THAT(List(request), StatusIs(kInvalid, HasSubstr("page_token")));
}

// A page is bounded by bytes as well as by count (RecordVault::List, kMaxListPageBytes): with
// summaries as large as validation allows, a page of 1000 ends early with a token, and paging
// on returns every record exactly once.
TEST_F(BadInputTest, AListingPageIsBoundedByBytesAndPagingStillReturnsEveryRecord) {
  std::unique_ptr<client::VaultClient> bench = vault_->ClientAs("bench_visit_team");
  ASSERT_NE(bench, nullptr);
  v1::InterviewRecord record = SyntheticRecord(kCanary);
  record.mutable_visit()->set_team(std::string(64, 't'));
  constexpr int kRecords = 800;  // ~180 bytes a summary: more than 128 KiB in all
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_THAT(bench->Submit(record, absl::StrCat("byte-page-", 100000 + i)), IsOk()) << i;
  }
  v1::ListRecordsRequest request;
  request.set_page_size(1000);
  std::set<std::string> ids;
  int pages = 0;
  do {
    absl::StatusOr<v1::ListRecordsResponse> page = List(request);
    ASSERT_THAT(page, IsOk());
    ++pages;
    EXPECT_LE(page->ByteSizeLong(), 128u * 1024 + 256);
    for (const v1::RecordSummary& summary : page->records()) ids.insert(summary.record_id());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 2) << "the first page ended on bytes, not on its count of 1000";
  EXPECT_THAT(ids, SizeIs(kRecords));
}

TEST_F(BadInputTest, ListingPagesAndFiltersWithoutRepeats) {
  v1::InterviewRecord ontario = SyntheticRecord(kCanary);
  ontario.mutable_visit()->set_facility_id("on-tor-ihc");
  ontario.mutable_visit()->set_region(v1::ONTARIO);
  ontario.mutable_visit()->set_visit_date("2026-11-15");
  ASSERT_THAT(team_->Submit(SyntheticRecord(kCanary), "paging-0001"), IsOk());
  ASSERT_THAT(team_->Submit(ontario, "paging-0002"), IsOk());
  ASSERT_THAT(team_->Submit(SyntheticRecord(kCanary), "paging-0003"), IsOk());

  v1::ListRecordsRequest request;
  request.set_page_size(2);
  absl::StatusOr<v1::ListRecordsResponse> first = List(request);
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->records_size(), 2);
  ASSERT_FALSE(first->next_page_token().empty());
  request.set_page_token(first->next_page_token());
  absl::StatusOr<v1::ListRecordsResponse> second = List(request);
  ASSERT_THAT(second, IsOk());
  ASSERT_EQ(second->records_size(), 1);
  EXPECT_TRUE(second->next_page_token().empty());
  std::set<std::string> ids;
  for (const auto* page : {&*first, &*second}) {
    for (const v1::RecordSummary& summary : page->records()) ids.insert(summary.record_id());
  }
  EXPECT_THAT(ids, SizeIs(3));

  request.Clear();
  request.set_page_size(3);
  absl::StatusOr<v1::ListRecordsResponse> exact = List(request);
  ASSERT_THAT(exact, IsOk());
  EXPECT_EQ(exact->records_size(), 3);
  EXPECT_TRUE(exact->next_page_token().empty());

  request.Clear();
  request.set_facility_id("on-tor-ihc");
  absl::StatusOr<v1::ListRecordsResponse> by_facility = List(request);
  ASSERT_THAT(by_facility, IsOk());
  ASSERT_EQ(by_facility->records_size(), 1);
  EXPECT_EQ(by_facility->records(0).visit().facility_id(), "on-tor-ihc");

  request.Clear();
  request.set_since("2026-11-01");
  absl::StatusOr<v1::ListRecordsResponse> since = List(request);
  ASSERT_THAT(since, IsOk());
  ASSERT_EQ(since->records_size(), 1);
  EXPECT_EQ(since->records(0).visit().visit_date(), "2026-11-15");
  request.set_since("2026-10-02");  // on or after: inclusive
  EXPECT_THAT(List(request), IsOk());
  EXPECT_EQ(List(request)->records_size(), 3);

  // Filtered paging: two Quebec records, one per page.
  request.Clear();
  request.set_facility_id("qc-lav-ihc");
  request.set_page_size(1);
  absl::StatusOr<v1::ListRecordsResponse> qc1 = List(request);
  ASSERT_THAT(qc1, IsOk());
  ASSERT_EQ(qc1->records_size(), 1);
  ASSERT_FALSE(qc1->next_page_token().empty());
  request.set_page_token(qc1->next_page_token());
  absl::StatusOr<v1::ListRecordsResponse> qc2 = List(request);
  ASSERT_THAT(qc2, IsOk());
  ASSERT_EQ(qc2->records_size(), 1);
  EXPECT_NE(qc2->records(0).record_id(), qc1->records(0).record_id());
  EXPECT_TRUE(qc2->next_page_token().empty());
  // Listing metadata only: the canary sits in every free-text section, never in a summary.
  EXPECT_THAT(exact->DebugString(), Not(HasSubstr(kCanary)));
}

}  // namespace
}  // namespace confidant::testing
