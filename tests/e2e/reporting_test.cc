// The reporting service end to end (issue 5), over a real confidantd, real mTLS and a synthetic
// population submitted through the real client: the listener serves nothing else and only
// reporting-only persons; the catalogue is the signed policy's; releases are frozen, signed,
// identical on every call and across restarts; refusals are one constant error; no displayed
// value lies between 1 and 9; a late record changes nothing; every call is audited; a canary in
// every free-text field reaches no release, ledger or log. The CLI, revisions and links:
// reporting_actions_test.cc.
#include <filesystem>
#include <regex>
#include <set>

#include "absl/strings/numbers.h"
#include "confidant/v1/audit.grpc.pb.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "confidant/v1/policy_service.grpc.pb.h"
#include "confidant/v1/record_service.grpc.pb.h"
#include "crypto/asymmetric.h"
#include "crypto/random.h"
#include "tests/e2e/canary_scanner.h"
#include "tests/e2e/reporting_fixture.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/witness_process.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kNoSuchRelease[] = "no such release in the catalogue";

class ReportingTest : public ReportingVaultTest {
 protected:
  static void SetUpTestSuite() { StartSeeded(300); }

  static std::shared_ptr<grpc::Channel> ReportingChannelAs(const std::string& role) {
    absl::StatusOr<client::ClientIdentity> identity =
        client::ClientIdentity::Load(vault_->identity_dir(role));
    EXPECT_THAT(identity, IsOk());
    return (*client::VaultClient::Connect(vault_->reporting_address(), *identity))->channel();
  }

  static uint64_t AuditTreeSize() {
    grpc::ClientContext context;
    v1::GetCheckpointResponse response;
    auto stub = v1::LogService::NewStub(vault_->ClientAs("auditor")->channel());
    EXPECT_TRUE(stub->GetCheckpoint(&context, v1::GetCheckpointRequest(), &response).ok());
    return response.checkpoint().tree_size();
  }
};

TEST_F(ReportingTest, TheReportingListenerServesNoOtherMethod) {
  std::shared_ptr<grpc::Channel> channel = ReportingChannelAs("reporting");
  auto code = [](const grpc::Status& s) { return s.error_code(); };
  {
    grpc::ClientContext c;
    v1::ListRecordsResponse r;
    EXPECT_EQ(code(v1::RecordService::NewStub(channel)->ListRecords(&c, {}, &r)), grpc::UNIMPLEMENTED);
  }
  {
    grpc::ClientContext c;
    v1::IntakeKey r;
    EXPECT_EQ(code(v1::RecordService::NewStub(channel)->GetIntakeKey(&c, {}, &r)), grpc::UNIMPLEMENTED);
  }
  {
    grpc::ClientContext c;
    v1::GetCheckpointResponse r;
    EXPECT_EQ(code(v1::LogService::NewStub(channel)->GetCheckpoint(&c, {}, &r)), grpc::UNIMPLEMENTED);
  }
  {
    grpc::ClientContext c;
    v1::GetEntriesRequest request;
    auto reader = v1::AuditService::NewStub(channel)->GetEntries(&c, request);
    v1::AuditEntry entry;
    while (reader->Read(&entry)) {
    }
    EXPECT_EQ(code(reader->Finish()), grpc::UNIMPLEMENTED);
  }
  {
    grpc::ClientContext c;
    v1::VaultStatus r;
    EXPECT_EQ(code(v1::OperatorService::NewStub(channel)->GetStatus(&c, {}, &r)), grpc::UNIMPLEMENTED);
  }
  // And the record port does not serve reporting at all.
  grpc::ClientContext c;
  v1::Catalogue r;
  EXPECT_EQ(code(v1::ReportingService::NewStub(vault_->ClientAs("reporting")->channel())
                     ->ListCatalogue(&c, {}, &r)),
            grpc::UNIMPLEMENTED);
}

TEST_F(ReportingTest, RecordPortsRefuseReportingIdentitiesAndReportingRefusesEveryoneElse) {
  std::unique_ptr<client::VaultClient> reporting = vault_->ClientAs("reporting");
  EXPECT_THAT(reporting->List(v1::ListRecordsRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(reporting->FetchIntakeKey(), StatusIs(absl::StatusCode::kPermissionDenied));
  {
    // Not even the log's checkpoint: its exact size counts audited events (submissions at a
    // tiny facility among them).
    grpc::ClientContext context;
    v1::GetCheckpointResponse checkpoint;
    EXPECT_EQ(v1::LogService::NewStub(reporting->channel())
                  ->GetCheckpoint(&context, v1::GetCheckpointRequest(), &checkpoint)
                  .error_code(),
              grpc::PERMISSION_DENIED);
    EXPECT_EQ(checkpoint.checkpoint().tree_size(), 0u);
  }
  for (const std::string role : {"case_officer", "auditor", "custodian", "visit_team", "approver"}) {
    EXPECT_THAT(Catalogue(role), StatusIs(absl::StatusCode::kPermissionDenied)) << role;
    EXPECT_THAT(Release("persons-by-facility", "2026Q1", role),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << role;
    EXPECT_THAT(Ledger(role), StatusIs(absl::StatusCode::kPermissionDenied)) << role;
  }
}

TEST_F(ReportingTest, TheCatalogueIsThePolicysWithItsBudget) {
  absl::StatusOr<v1::Catalogue> catalogue = Catalogue();
  ASSERT_THAT(catalogue, IsOk());
  EXPECT_EQ(catalogue->tables_size(), 12);  // facility, 9 concerns, 2 annual
  EXPECT_EQ(catalogue->max_pseudonyms_per_person(), 3u);
  EXPECT_EQ(catalogue->epsilon_cap_millis(), 4000u);
  EXPECT_EQ(catalogue->worst_case_epsilon_millis(), 3980u);
  EXPECT_EQ(catalogue->release_public_key().size(), 32u);
  for (const v1::CatalogueEntry& table : catalogue->tables()) {
    if (table.period() != "quarter") continue;
    const std::set<std::string> released(table.released_periods().begin(),
                                         table.released_periods().end());
    for (const char* q : {"2026Q1", "2026Q2", "2026Q3"}) {
      EXPECT_TRUE(released.count(q)) << table.id() << " " << q;
    }
    // No concern statistics at facility level.
    if (table.measure() != "persons" || table.id().rfind("concern-", 0) == 0) {
      for (const std::string& d : table.dimensions()) EXPECT_NE(d, "facility") << table.id();
    }
  }
}

TEST_F(ReportingTest, EveryRefusalIsOneConstantError) {
  std::unique_ptr<v1::ReportingService::Stub> stub = ReportingAs("reporting");
  std::vector<std::pair<std::string, std::string>> bad = {
      {"no-such-table", "2026Q1"},           {"persons-by-facility", "2026Q5"},
      {"persons-by-facility", "2099Q1"},     {"persons-by-facility", "2026"},
      {"persons-by-facility", ""},           {"", "2026Q1"},
      {"medical-care-by-region", "2026Q1"},  {"medical-care-by-region", "2099"},
      {"persons-by-facility", " 2026Q1"},    {"PERSONS-BY-FACILITY", "2026Q1"},
      {"persons-by-facility/../x", "2026Q1"}, {"persons-by-facility", "2025Q4"}};
  for (const auto& [table, period] : bad) {
    v1::GetReleaseRequest request;
    request.set_table_id(table);
    request.set_period(period);
    EXPECT_THAT(Release(*stub, request), StatusIs(absl::StatusCode::kNotFound, kNoSuchRelease))
        << table << " " << period;
  }
  // A field the contract does not have: refused like on every service (server/call.h), before
  // any release is looked up, so it says nothing about which releases exist.
  v1::GetReleaseRequest extra;
  extra.set_table_id("persons-by-facility");
  extra.set_period("2026Q1");
  ASSERT_THAT(Release(*stub, extra), IsOk());
  extra.GetReflection()->MutableUnknownFields(&extra)->AddVarint(99, 1);
  EXPECT_THAT(Release(*stub, extra), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("request: carries field number 99")));
  extra.set_table_id("no-such-table");
  EXPECT_THAT(Release(*stub, extra), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("request: carries field number 99")));
  // The other two methods take no fields at all.
  {
    grpc::ClientContext context;
    v1::ListCatalogueRequest request;
    request.GetReflection()->MutableUnknownFields(&request)->AddLengthDelimited(1, "2026Q1");
    v1::Catalogue catalogue;
    EXPECT_EQ(stub->ListCatalogue(&context, request, &catalogue).error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_EQ(catalogue.tables_size(), 0);
  }
  {
    grpc::ClientContext context;
    v1::GetLedgerRequest request;
    request.GetReflection()->MutableUnknownFields(&request)->AddVarint(2, 7);
    v1::Ledger ledger;
    EXPECT_EQ(stub->GetLedger(&context, request, &ledger).error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_EQ(ledger.entries_size(), 0);
  }
}

TEST_F(ReportingTest, ReleasesAreSignedFrozenAndShowNoValueFromOneToNine) {
  absl::StatusOr<v1::Catalogue> catalogue = Catalogue();
  ASSERT_THAT(catalogue, IsOk());
  const std::regex share("^(|<5%|>95%|[1-9]?[05]%)$");
  int cells = 0;
  for (const v1::CatalogueEntry& table : catalogue->tables()) {
    for (const std::string& period : table.released_periods()) {
      absl::StatusOr<std::string> bytes = Release(table.id(), period);
      ASSERT_THAT(bytes, IsOk());
      v1::SignedRelease signed_release;
      ASSERT_TRUE(signed_release.ParseFromString(*bytes));
      EXPECT_EQ(signed_release.release_public_key(), catalogue->release_public_key());
      EXPECT_THAT(crypto::VerifySignature(
                      signed_release.release_public_key(),
                      absl::StrCat("confidant/v1/release", std::string(1, '\0'), signed_release.release()),
                      signed_release.signature()),
                  IsOk());
      v1::Release release;
      ASSERT_TRUE(release.ParseFromString(signed_release.release()));
      EXPECT_EQ(release.table_id(), table.id());
      EXPECT_EQ(release.period(), period);
      EXPECT_EQ(release.epsilon_millis(), table.epsilon_millis());
      EXPECT_GT(release.interval95(), 0u);
      for (const v1::ReleaseCell& cell : release.cells()) {
        ++cells;
        EXPECT_TRUE(std::regex_match(cell.share(), share)) << cell.share();
        if (cell.value() == "<10") {
          EXPECT_TRUE(cell.suppressed());
          EXPECT_EQ(cell.share(), "");
          continue;
        }
        int64_t value = 0;
        ASSERT_TRUE(absl::SimpleAtoi(cell.value(), &value)) << cell.value();
        EXPECT_GE(value, 10) << table.id() << " " << period;
        EXPECT_EQ(value % 5, 0);
      }
    }
  }
  // At least 2026Q1..Q3 (more once later periods close): 10 facility groups, yes/no per concern.
  EXPECT_GE(cells, 3 * (10 + 9 * 2));
}

TEST_F(ReportingTest, RepeatedCallsFromSeveralIdentitiesGetIdenticalBytesAndEveryCallIsAudited) {
  absl::StatusOr<std::string> first = Release("persons-by-facility", "2026Q2");
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<v1::Ledger> ledger = Ledger();
  ASSERT_THAT(ledger, IsOk());
  const uint64_t audited_before = AuditTreeSize();
  std::unique_ptr<v1::ReportingService::Stub> one = ReportingAs("reporting");
  std::unique_ptr<v1::ReportingService::Stub> two = ReportingAs("reporting_2");
  v1::GetReleaseRequest request;
  request.set_table_id("persons-by-facility");
  request.set_period("2026Q2");
  constexpr int kCalls = 100;  // 1000, across a restart, in the slow suite
  for (int i = 0; i < kCalls; ++i) {
    absl::StatusOr<std::string> again = Release(i % 2 == 0 ? *one : *two, request);
    ASSERT_THAT(again, IsOk());
    ASSERT_EQ(*again, *first) << "call " << i;
  }
  EXPECT_GE(AuditTreeSize(), audited_before + kCalls) << "one audit entry per call";
  int audited = 0;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_, audited_before)) {
    const v1::AuditEvent& event = entry.event();
    if (event.action() != "read_reports") continue;
    ++audited;
    EXPECT_EQ(event.decision(), v1::ALLOW);
    EXPECT_THAT(event.principal(), ::testing::AnyOf(HasSubstr("/dev/reporting"), HasSubstr("/dev/reporting_2")));
    EXPECT_THAT(event.detail(), HasSubstr("table persons-by-facility period 2026Q2"));
  }
  EXPECT_EQ(audited, kCalls);
  absl::StatusOr<v1::Ledger> after = Ledger();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->head(), ledger->head());
  EXPECT_EQ(after->entries_size(), ledger->entries_size());
}

// Each reporting call is a synced audit entry: they count against the reads quota (the dev
// reporting_2 has 600 an hour), so an analyst's identity cannot flood the audit log.
TEST_F(ReportingTest, ReportingCallsCountAgainstTheReadsQuota) {
  std::unique_ptr<v1::ReportingService::Stub> stub = ReportingAs("reporting_2");
  grpc::StatusCode last = grpc::OK;
  int allowed = 0;
  for (int i = 0; i < 601 && last == grpc::OK; ++i) {
    grpc::ClientContext context;
    v1::Catalogue catalogue;
    last = stub->ListCatalogue(&context, v1::ListCatalogueRequest(), &catalogue).error_code();
    allowed += last == grpc::OK ? 1 : 0;
  }
  EXPECT_EQ(last, grpc::RESOURCE_EXHAUSTED);
  EXPECT_LE(allowed, 600);
  EXPECT_THAT(Catalogue("reporting"), IsOk()) << "another person is unaffected";
}

TEST_F(ReportingTest, ALateRecordChangesNothingReleased) {
  absl::StatusOr<std::string> before = Release("persons-by-facility", "2026Q1");
  ASSERT_THAT(before, IsOk());
  absl::StatusOr<v1::Ledger> ledger = Ledger();
  ASSERT_THAT(ledger, IsOk());
  v1::InterviewRecord late = SyntheticRecord("late");
  late.mutable_visit()->set_visit_date("2026-02-03");
  for (int i = 0; i < 20; ++i) {
    late.mutable_identity()->set_full_name(absl::StrCat("Late Person ", i));
    ASSERT_THAT(vault_->ClientAs("visit_team")->Submit(late, absl::StrCat("late-record-", i)), IsOk());
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));  // three passes of the release job
  EXPECT_THAT(Release("persons-by-facility", "2026Q1"), IsOkAndHolds(*before));
  absl::StatusOr<v1::Ledger> after = Ledger();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->head(), ledger->head());
}

TEST_F(ReportingTest, TheLedgerChainsEveryReleaseWithinTheCap) {
  absl::StatusOr<v1::Ledger> ledger = Ledger();
  ASSERT_THAT(ledger, IsOk());
  ASSERT_GE(ledger->entries_size(), 30);
  std::map<uint32_t, uint32_t> spent;
  for (const v1::LedgerEntry& e : ledger->entries()) {
    spent[e.year()] += e.epsilon_millis();
    EXPECT_EQ(e.year_spent_millis(), spent[e.year()]);
    EXPECT_LE(e.year_spent_millis(), ledger->epsilon_cap_millis());
    absl::StatusOr<std::string> bytes = Release(e.table_id(), e.period(), "reporting", e.version());
    ASSERT_THAT(bytes, IsOk());
    EXPECT_EQ(crypto::Blake2b256(*bytes), e.release_hash());
  }
  EXPECT_EQ(ledger->head().size(), 32u);
}

TEST_F(ReportingTest, TheCanaryReachesNoReleaseLedgerOrLog) {
  absl::StatusOr<v1::Catalogue> catalogue = Catalogue();
  ASSERT_THAT(catalogue, IsOk());
  std::string everything;
  for (const v1::CatalogueEntry& table : catalogue->tables()) {
    for (const std::string& period : table.released_periods()) {
      absl::StatusOr<std::string> bytes = Release(table.id(), period);
      ASSERT_THAT(bytes, IsOk());
      everything += *bytes;
    }
  }
  absl::StatusOr<v1::Ledger> ledger = Ledger();
  ASSERT_THAT(ledger, IsOk());
  everything += ledger->SerializeAsString() + catalogue->SerializeAsString() + vault_->log();
  for (const std::string& needle : CanaryNeedles(kReportingCanary)) {
    EXPECT_EQ(everything.find(needle), std::string::npos) << needle;
  }
  EXPECT_THAT(FindCanary(vault_->data_dir(), kReportingCanary), IsEmpty());
}

}  // namespace
}  // namespace confidant::testing
