// Reporting end to end, the actions around releases (issue 5): the real `confidant-report`
// binary against a real vault (table, CSV, chart, pinned key, refusals), a custodian's revision
// request (bad input, permissions, the job's headroom rule), and case officers' person links
// (scope, bad input, the K limit). Same seeded population as reporting_test.cc.
#include <filesystem>
#include <thread>

#include "absl/strings/escaping.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "confidant/v1/record_service.grpc.pb.h"
#include "tests/e2e/reporting_fixture.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/canary_scanner.h"
#include "tests/e2e/witness_process.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kNoSuchRelease[] = "no such release in the catalogue";

class ReportingActionsTest : public ReportingVaultTest {
 protected:
  static void SetUpTestSuite() { StartSeeded(300); }
};

TEST_F(ReportingActionsTest, ConfidantReportPrintsAVerifiedTableAndWritesItsChart) {
  const std::string dir = vault_->root() + "/report";
  std::filesystem::create_directories(dir);
  auto report = [&](std::vector<std::string> args, const std::string& role = "reporting") {
    std::vector<std::string> command = {CONFIDANT_REPORT_PATH, "--identity", vault_->identity_dir(role),
                                        "--server", vault_->reporting_address()};
    command.insert(command.end(), args.begin(), args.end());
    return RunCommand(command);
  };
  CommandResult catalogue = report({"catalogue"});
  ASSERT_EQ(catalogue.exit_code, 0) << catalogue.err;
  EXPECT_THAT(catalogue.out, HasSubstr("persons-by-facility"));
  EXPECT_THAT(catalogue.out, HasSubstr("2026Q3"));

  const std::string chart = dir + "/persons-by-facility.svg";
  CommandResult table = report({"table", "persons-by-facility", "--period", "2026Q3", "--chart", chart});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("on-tor-ihc"));
  EXPECT_THAT(table.out, HasSubstr("ontario-pooled"));
  EXPECT_THAT(table.out, HasSubstr("0.25"));  // epsilon
  const std::string svg = ReadWholeFile(chart);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u) << svg.substr(0, 80);
  EXPECT_THAT(svg, HasSubstr("on-tor-ihc"));
  EXPECT_THAT(svg, HasSubstr("</svg>"));

  CommandResult csv = report({"table", "persons-by-facility", "--period", "2026Q3", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_THAT(csv.out, HasSubstr("on-tor-ihc,"));
  CommandResult json = report({"table", "medical-care-by-region", "--period", "2099", "--format", "json"});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_THAT(json.err, HasSubstr(kNoSuchRelease));
  EXPECT_EQ(json.out, "");

  // A pinned release key that is not the vault's: refused, nothing shown or written.
  const std::string other_chart = dir + "/other.svg";
  CommandResult pinned = report({"table", "persons-by-facility", "--period", "2026Q3", "--release-key",
                                 absl::Base64Escape(std::string(32, '\x01')), "--chart", other_chart});
  EXPECT_EQ(pinned.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(other_chart));
  EXPECT_THAT(pinned.out, ::testing::Not(HasSubstr("on-tor-ihc")));

  CommandResult ledger = report({"ledger"});
  ASSERT_EQ(ledger.exit_code, 0) << ledger.err;
  EXPECT_THAT(ledger.out, HasSubstr("persons-by-facility"));
  CommandResult officer = report({"catalogue"}, "case_officer");
  EXPECT_EQ(officer.exit_code, 1);
  EXPECT_THAT(officer.err, HasSubstr("PERMISSION_DENIED"));
}

TEST_F(ReportingActionsTest, ACustodianAsksForARevisionAndTheJobChargesItOnlyWithinHeadroom) {
  auto revise = [&](const std::string& role, const std::string& table, const std::string& period,
                    const std::string& reason) -> absl::StatusOr<v1::RequestRevisionResponse> {
    grpc::ClientContext context;
    v1::RequestRevisionRequest request;
    request.set_table_id(table);
    request.set_period(period);
    request.set_reason(reason);
    v1::RequestRevisionResponse response;
    grpc::Status s =
        v1::OperatorService::NewStub(vault_->ClientAs(role)->channel())->RequestRevision(&context, request, &response);
    if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return response;
  };
  const std::string table = "concern-segregation";
  absl::StatusOr<std::string> first = Release(table, "2026Q2");
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<v1::Ledger> before = Ledger();
  ASSERT_THAT(before, IsOk());
  const std::string reason = "late records from the spring visits";
  EXPECT_THAT(revise("custodian", table, "2026Q2", ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(revise("custodian", "no-such-table", "2026Q2", reason),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(revise("custodian", table, "2026", reason), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(revise("custodian", table, "2099Q1", reason),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  for (const char* role : {"reporting", "case_officer", "auditor"}) {
    EXPECT_THAT(revise(role, table, "2026Q2", reason), StatusIs(absl::StatusCode::kPermissionDenied)) << role;
  }
  absl::StatusOr<v1::RequestRevisionResponse> asked = revise("custodian", table, "2026Q2", reason);
  ASSERT_THAT(asked, IsOk());
  EXPECT_EQ(asked->released_version(), 1u);
  EXPECT_THAT(revise("custodian_2", table, "2026Q2", reason), StatusIs(absl::StatusCode::kAlreadyExists));

  // The dev catalogue's worst case (3.98) leaves 0.02 of the cap for revisions: this one (0.055)
  // does not fit, so the job refuses it (flagged, audited), clears the request, and version 1
  // stays the only one. tests/server/release_job_test.cc computes revisions within headroom.
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {  // the job's next pass (every second here)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
      if (entry.event().action() == "release_revision_refused") {
        refused = true;
        EXPECT_TRUE(entry.event().flagged());
        EXPECT_THAT(entry.event().detail(), HasSubstr("may spend 20/1000"));
      }
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_THAT(Release(table, "2026Q2"), IsOkAndHolds(*first));
  EXPECT_THAT(Release(table, "2026Q2", "reporting", 1), IsOkAndHolds(*first));
  EXPECT_THAT(Release(table, "2026Q2", "reporting", 2), StatusIs(absl::StatusCode::kNotFound, kNoSuchRelease));
  absl::StatusOr<v1::Ledger> after = Ledger();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->head(), before->head());
  // The request was cleared: it may be asked again.
  EXPECT_THAT(revise("custodian", table, "2026Q2", reason), IsOk());
}

TEST_F(ReportingActionsTest, CaseOfficersLinkRecordsInTheirScopeAndBadLinksChangeNothing) {
  const std::string a = vault_->ClientAs("visit_team")->Submit(SyntheticRecord("a"), "link-record-a")->record_id();
  const std::string b = vault_->ClientAs("visit_team")->Submit(SyntheticRecord("b"), "link-record-b")->record_id();
  auto link = [&](const std::string& role, const std::string& x, const std::string& y)
      -> absl::StatusOr<v1::LinkPersonsResponse> {
    grpc::ClientContext context;
    v1::LinkPersonsRequest request;
    request.set_record_id(x);
    request.set_other_record_id(y);
    v1::LinkPersonsResponse response;
    grpc::Status s = vault_->ClientAs(role)->stub().LinkPersons(&context, request, &response);
    if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return response;
  };
  EXPECT_THAT(link("case_officer", a, a), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(link("case_officer", a, "not-an-id"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(link("case_officer", a, std::string(32, '0')), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(link("case_officer_on", a, b), StatusIs(absl::StatusCode::kPermissionDenied))
      << "Quebec records are outside an Ontario case officer's scope";
  for (const char* role : {"reporting", "auditor", "visit_team", "approver", "custodian"}) {
    EXPECT_THAT(link(role, a, b), StatusIs(absl::StatusCode::kPermissionDenied)) << role;
  }
  absl::StatusOr<v1::LinkPersonsResponse> linked = link("case_officer", a, b);
  ASSERT_THAT(linked, IsOk());
  EXPECT_FALSE(linked->already_linked());
  linked = link("case_officer_qc", b, a);
  ASSERT_THAT(linked, IsOk());
  EXPECT_TRUE(linked->already_linked());
  // K = 3: one person has at most three pseudonyms, so a fourth is refused (and the group of
  // three stays as it was).
  const std::string c = vault_->ClientAs("visit_team")->Submit(SyntheticRecord("c"), "link-record-c")->record_id();
  const std::string d = vault_->ClientAs("visit_team")->Submit(SyntheticRecord("d"), "link-record-d")->record_id();
  ASSERT_THAT(link("case_officer", c, a), IsOk());
  EXPECT_THAT(link("case_officer", d, b),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("at most 3")));
}

}  // namespace
}  // namespace confidant::testing
