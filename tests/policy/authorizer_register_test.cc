// InScope, WhoCan (the register of personnel with access), validity windows, persons with
// several certificates, and Explain.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/authorizer.h"
#include "tests/policy/policy_test_util.h"

namespace confidant::policy {
namespace {

using namespace testing_util;  // NOLINT: test helpers
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The table policy plus: a facility-scoped case officer, one whose window has ended, one with
// two certificates who is also an approver, and a Quebec health reviewer.
std::string RegisterPolicyText() {
  return TablePolicyText() + R"(
persons { id: "co-fac" display_name: "Facility officer" roles: [CASE_OFFICER]
  scope { facilities: ["on-tor-ihc"] } certificates: ["spiffe://t/co-fac"] }
persons { id: "co-gone" roles: [CASE_OFFICER] scope { everywhere: true }
  valid_from: "2024-01-01" valid_until: "2025-05-31" certificates: ["spiffe://t/co-gone"] }
persons { id: "twin" roles: [CASE_OFFICER, APPROVER] scope { regions: [ONTARIO] }
  certificates: ["spiffe://t/twin-laptop", "spiffe://t/twin-phone"] }
persons { id: "hr-qc" roles: [HEALTH_REVIEWER] scope { regions: [QUEBEC] } certificates: ["spiffe://t/hr-qc"] }
)";
}

class RegisterTest : public ::testing::Test {
 protected:
  RegisterTest() : authorizer_(Load(RegisterPolicyText())) {}
  const v1::Person& Person(const std::string& id) {
    return *authorizer_.policy().FindPersonById(id);
  }
  Authorizer authorizer_;
};

TEST_F(RegisterTest, InScopeByRegionFacilityOrEverywhere) {
  const RecordFacts on = Record("r-on", v1::ONTARIO);
  const RecordFacts qc = Record("r-qc", v1::QUEBEC);
  EXPECT_TRUE(authorizer_.InScope(Person("co-on"), on));
  EXPECT_FALSE(authorizer_.InScope(Person("co-on"), qc));
  EXPECT_TRUE(authorizer_.InScope(Person("co-fac"), on));  // facility on-tor-ihc
  EXPECT_FALSE(authorizer_.InScope(Person("co-fac"), qc));
  EXPECT_TRUE(authorizer_.InScope(Person("co-gone"), qc));  // everywhere
  EXPECT_EQ(ScopeReason(Person("co-on"), on), "region ontario");
  EXPECT_EQ(ScopeReason(Person("co-fac"), on), "facility on-tor-ihc");
  EXPECT_EQ(ScopeReason(Person("co-gone"), on), "everywhere");
  EXPECT_EQ(ScopeReason(Person("co-on"), qc), "");
  // A record with no region or facility is in nobody's regional scope.
  EXPECT_FALSE(authorizer_.InScope(Person("co-on"), RecordFacts{}));
}

TEST_F(RegisterTest, PersonOutsideTheValidityWindowIsDeniedEverything) {
  const RecordFacts on = Record("r-on", v1::ONTARIO, v1::FOLLOW_UP, Consent::kGiven);
  AccessRequest request;
  request.principal = "spiffe://t/co-gone";
  request.purpose = v1::FOLLOW_UP;
  request.record = &on;
  request.now_unix_seconds = kNow;  // 2025-06-02: after 2025-05-31 ended
  EXPECT_EQ(authorizer_.Decide(request).rule, "deny:person-not-valid-now");
  request.action = Action::kReadCheckpoint;
  EXPECT_EQ(authorizer_.Decide(request).rule, "deny:person-not-valid-now");
  request.action = Action::kGetRecord;
  request.now_unix_seconds = 1748735999;  // 2025-05-31T23:59:59Z: last second of the window
  EXPECT_TRUE(authorizer_.Decide(request).allowed());
  request.now_unix_seconds = 1748736000;  // 2025-06-01T00:00:00Z
  EXPECT_EQ(authorizer_.Decide(request).rule, "deny:person-not-valid-now");
  request.now_unix_seconds = 1704067199;  // 2023-12-31T23:59:59Z: not yet valid
  EXPECT_EQ(authorizer_.Decide(request).rule, "deny:person-not-valid-now");
}

TEST_F(RegisterTest, OnePersonWithTwoCertificatesIsOnePerson) {
  AccessRequest request;
  request.action = Action::kApproveBreakGlass;
  request.requester_person_id = "twin";  // requested from the laptop...
  request.principal = "spiffe://t/twin-phone";  // ...approved from the phone
  const Decision d = authorizer_.Decide(request);
  EXPECT_EQ(d.rule, "deny:self-approval");
  EXPECT_EQ(d.person_id, "twin");
  // Nor does an approval by the requester's own person id count towards a grant.
  const RecordFacts qc = Record("r-qc", v1::QUEBEC, v1::FOLLOW_UP, Consent::kGiven);
  BreakGlassGrant grant;
  grant.record_id = "r-qc";
  grant.requester_person_id = "twin";
  grant.expires_unix_seconds = kNow + 600;
  grant.approver_person_ids = {"twin", "twin"};
  AccessRequest read;
  read.principal = "spiffe://t/twin-laptop";
  read.purpose = v1::FOLLOW_UP;
  read.record = &qc;
  read.break_glass = &grant;
  read.now_unix_seconds = kNow;
  EXPECT_EQ(authorizer_.Decide(read).rule, "deny:break-glass-not-approved");
  grant.approver_person_ids.push_back("approver");
  EXPECT_EQ(authorizer_.Decide(read).rule, "allow:break-glass/case_officer");
}

TEST_F(RegisterTest, WhoCanListsEveryPersonWhoCouldReadEachSectionAndWhy) {
  // An Ontario record with consent given for medical referral only.
  const RecordFacts on = Record("r-on", v1::ONTARIO, v1::MEDICAL_REFERRAL, Consent::kGiven);
  std::vector<std::string> lines;
  for (const WhoCanRead& w : authorizer_.WhoCan(on, kNow)) {
    std::string line = absl::StrCat(SectionName(w.section), " ", w.person_id, " ",
                                    RoleName(w.role), " (", w.scope_reason, ")");
    for (v1::Purpose p : w.purposes) absl::StrAppend(&line, " ", PurposeName(p));
    lines.push_back(line);
  }
  // Not listed: co-gone (window ended), hr-qc (out of scope), vt-on, approvers, auditor,
  // reporting, custodian (never read); raise_with_authority and legal_referral lack consent.
  EXPECT_THAT(lines, ElementsAre(
      "identity co-on case_officer (region ontario) follow_up case_review",
      "identity la-on legal_adviser (region ontario) case_review",
      "identity co-fac case_officer (facility on-tor-ihc) follow_up case_review",
      "identity twin case_officer (region ontario) follow_up case_review",
      "interview co-on case_officer (region ontario) follow_up case_review",
      "interview hr-on health_reviewer (region ontario) case_review quality_assurance medical_referral",
      "interview la-on legal_adviser (region ontario) case_review",
      "interview co-fac case_officer (facility on-tor-ihc) follow_up case_review",
      "interview twin case_officer (region ontario) follow_up case_review",
      "health hr-on health_reviewer (region ontario) case_review quality_assurance medical_referral",
      "legal co-on case_officer (region ontario) follow_up case_review",
      "legal la-on legal_adviser (region ontario) case_review",
      "legal co-fac case_officer (facility on-tor-ihc) follow_up case_review",
      "legal twin case_officer (region ontario) follow_up case_review"));
}

TEST_F(RegisterTest, AGrantCoversOnlyThePurposeItWasApprovedFor) {
  const RecordFacts qc = Record("r-qc", v1::QUEBEC, v1::FOLLOW_UP, Consent::kGiven);
  BreakGlassGrant grant;
  grant.record_id = "r-qc";
  grant.requester_person_id = "co-on";
  grant.expires_unix_seconds = kNow + 600;
  grant.approver_person_ids = {"approver"};
  grant.purpose = v1::FOLLOW_UP;
  AccessRequest read;
  read.principal = "spiffe://t/co-on";
  read.purpose = v1::CASE_REVIEW;
  read.record = &qc;
  read.break_glass = &grant;
  read.now_unix_seconds = kNow;
  EXPECT_EQ(authorizer_.Decide(read).rule, "deny:break-glass-other-purpose");
  read.purpose = v1::FOLLOW_UP;
  EXPECT_EQ(authorizer_.Decide(read).rule, "allow:break-glass/case_officer");
}

TEST_F(RegisterTest, WhoCanListsBreakGlassHoldersWhileTheirGrantLasts) {
  const RecordFacts qc = Record("r-qc", v1::QUEBEC, v1::FOLLOW_UP, Consent::kGiven);
  BreakGlassGrant grant;
  grant.record_id = "r-qc";
  grant.requester_person_id = "co-on";
  grant.expires_unix_seconds = kNow + 600;
  grant.approver_person_ids = {"approver"};
  grant.purpose = v1::FOLLOW_UP;
  grant.request_id = "0123456789abcdef0123456789abcdef";
  auto holders = [&](int64_t now) {
    std::vector<std::string> lines;
    for (const WhoCanRead& w : authorizer_.WhoCan(qc, now, {grant})) {
      if (w.person_id != "co-on") continue;
      std::string line = absl::StrCat(SectionName(w.section), " ", RoleName(w.role), " (",
                                      w.scope_reason, ")");
      for (v1::Purpose p : w.purposes) absl::StrAppend(&line, " ", PurposeName(p));
      lines.push_back(line);
    }
    return lines;
  };
  const std::string why =
      absl::StrCat("(break-glass 0123456789abcdef0123456789abcdef until ",
                   absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::FromUnixSeconds(kNow + 600),
                                    absl::UTCTimeZone()),
                   ")");
  EXPECT_THAT(holders(kNow), ElementsAre("identity case_officer " + why + " follow_up",
                                         "interview case_officer " + why + " follow_up",
                                         "legal case_officer " + why + " follow_up"));
  EXPECT_THAT(holders(kNow + 600), IsEmpty()) << "an expired grant reads nothing";
}

TEST_F(RegisterTest, ExplainGivesTheDecisionAndItsReasons) {
  const RecordFacts qc = Record("r-qc", v1::QUEBEC, v1::RAISE_WITH_AUTHORITY, Consent::kWithdrawn);
  AccessRequest request;
  request.principal = "spiffe://t/co-on";
  request.purpose = v1::RAISE_WITH_AUTHORITY;
  request.record = &qc;
  request.now_unix_seconds = kNow;
  const Explanation e = authorizer_.Explain(request);
  EXPECT_EQ(e.decision.rule, "deny:scope");
  EXPECT_THAT(e.text, HasSubstr("person: co-on"));
  EXPECT_THAT(e.text, HasSubstr("scope: out of scope"));
  EXPECT_THAT(e.text, HasSubstr("requires consent: not satisfied"));
  // Where the record is from and its consent history are need-to-know, even for auditors.
  EXPECT_THAT(e.text, ::testing::Not(HasSubstr("quebec")));
  EXPECT_THAT(e.text, ::testing::Not(HasSubstr("facility")));
  EXPECT_THAT(e.text, ::testing::Not(HasSubstr("withdrawn")));
  EXPECT_THAT(e.text, HasSubstr("decision: deny:scope\n"));
  request.principal = "spiffe://t/nobody";
  EXPECT_THAT(authorizer_.Explain(request).text, HasSubstr("no person in policy version 7"));
}

}  // namespace
}  // namespace confidant::policy
