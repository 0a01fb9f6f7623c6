// The need-to-know decision table: role × action × section × in/out of scope × purpose ×
// consent, checked against expected decisions kept here. The first table holds the rows the
// issue requires (and their neighbours); the sweep below covers every combination for reads.
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/authorizer.h"
#include "tests/policy/policy_test_util.h"

namespace confidant::policy {
namespace {

using namespace testing_util;  // NOLINT: test helpers
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Extra context a row needs besides the record.
enum class Ctx {
  kPlain,
  kBreakGlass,           // an approved grant for the QC record to co-on, expiring kNow + 3600
  kBreakGlassExpired,    // the same grant, asked at kNow + 3600 (the instant it lapses)
  kBreakGlassSelfOnly,   // a grant whose only approval is the requester's own
  kSubmitted10hAgo,      // the record was submitted by the caller 10 h before now
  kSubmitted80hAgo,
  kSubmittedByOther,     // submitted 10 h ago by someone else
  kRequesterIsCaller,    // approve: the request is the caller's own
  kRequesterIsOther,     // approve: the request is co-on's
};

struct Row {
  const char* who;  // person id; certificate Cert(who)
  Action action;
  v1::Section section;  // SECTION_UNSPECIFIED: the whole record
  v1::Region record;    // REGION_UNSPECIFIED: no record in the request
  v1::Purpose purpose;
  Consent consent;  // for `purpose`
  Ctx ctx;
  const char* expected;  // the rule
};

constexpr auto kNone = Consent::kNone;
constexpr auto kGiven = Consent::kGiven;
constexpr auto kWithdrawn = Consent::kWithdrawn;
constexpr auto kGet = Action::kGetRecord;
constexpr auto ON = v1::ONTARIO;
constexpr auto QC = v1::QUEBEC;
constexpr auto kNoRecord = v1::REGION_UNSPECIFIED;
constexpr auto kWhole = v1::SECTION_UNSPECIFIED;
constexpr auto kNoPurpose = v1::PURPOSE_UNSPECIFIED;

constexpr Row kRows[] = {
    // The rows the issue requires.
    {"co-on", kGet, v1::IDENTITY, ON, v1::FOLLOW_UP, kGiven, Ctx::kPlain, "allow:grant/case_officer"},
    {"co-on", kGet, v1::IDENTITY, QC, v1::FOLLOW_UP, kGiven, Ctx::kPlain, "deny:scope"},
    {"co-on", kGet, v1::HEALTH, ON, v1::FOLLOW_UP, kGiven, Ctx::kPlain, "deny:section"},
    {"hr-on", kGet, v1::HEALTH, ON, v1::MEDICAL_REFERRAL, kWithdrawn, Ctx::kPlain, "deny:consent"},
    {"la-on", kGet, v1::LEGAL, ON, v1::RAISE_WITH_AUTHORITY, kNone, Ctx::kPlain, "deny:consent"},
    {"co-on", kGet, v1::IDENTITY, QC, v1::FOLLOW_UP, kGiven, Ctx::kBreakGlass, "allow:break-glass/case_officer"},
    {"co-on", kGet, v1::IDENTITY, QC, v1::FOLLOW_UP, kGiven, Ctx::kBreakGlassExpired, "deny:break-glass-expired"},
    {"co-on", kGet, v1::HEALTH, QC, v1::FOLLOW_UP, kGiven, Ctx::kBreakGlass, "deny:section"},
    {"auditor", kGet, v1::INTERVIEW, ON, v1::CASE_REVIEW, kGiven, Ctx::kPlain, "deny:separation-of-duties"},
    {"auditor", kGet, v1::INTERVIEW, QC, v1::MEDICAL_REFERRAL, kGiven, Ctx::kPlain, "deny:separation-of-duties"},
    {"vt-on", Action::kAmendRecord, kWhole, ON, kNoPurpose, kNone, Ctx::kSubmitted10hAgo, "allow:grant/visit_team"},
    {"vt-on", Action::kAmendRecord, kWhole, ON, kNoPurpose, kNone, Ctx::kSubmitted80hAgo, "deny:amendment-window"},
    {"approver", Action::kApproveBreakGlass, kWhole, kNoRecord, kNoPurpose, kNone, Ctx::kRequesterIsCaller, "deny:self-approval"},
    // Neighbours: the same requests one condition away.
    {"hr-on", kGet, v1::HEALTH, ON, v1::MEDICAL_REFERRAL, kGiven, Ctx::kPlain, "allow:grant/health_reviewer"},
    {"hr-on", kGet, v1::HEALTH, ON, v1::MEDICAL_REFERRAL, kNone, Ctx::kPlain, "deny:consent"},
    {"la-on", kGet, v1::LEGAL, ON, v1::RAISE_WITH_AUTHORITY, kGiven, Ctx::kPlain, "allow:grant/legal_adviser"},
    {"la-on", kGet, v1::LEGAL, ON, v1::FOLLOW_UP, kNone, Ctx::kPlain, "deny:purpose-not-allowed-for-role"},
    {"co-on", kGet, v1::IDENTITY, QC, v1::RAISE_WITH_AUTHORITY, kWithdrawn, Ctx::kBreakGlass, "deny:consent"},
    {"co-on", kGet, v1::IDENTITY, QC, v1::FOLLOW_UP, kGiven, Ctx::kBreakGlassSelfOnly, "deny:break-glass-not-approved"},
    {"co-on", kGet, kWhole, ON, kNoPurpose, kNone, Ctx::kPlain, "deny:purpose-required"},
    {"co-on", kGet, kWhole, kNoRecord, v1::FOLLOW_UP, kNone, Ctx::kPlain, "deny:record-required"},
    {"hr-on", kGet, v1::HEALTH, QC, v1::MEDICAL_REFERRAL, kGiven, Ctx::kBreakGlass, "deny:scope"},
    {"vt-on", kGet, kWhole, ON, v1::FOLLOW_UP, kGiven, Ctx::kPlain, "deny:no-grant/get_record"},
    {"vt-on", Action::kAmendRecord, kWhole, QC, kNoPurpose, kNone, Ctx::kSubmitted10hAgo, "deny:scope"},
    {"vt-on", Action::kAmendRecord, kWhole, ON, kNoPurpose, kNone, Ctx::kSubmittedByOther, "deny:not-submitter"},
    {"co-on", Action::kAmendRecord, kWhole, ON, kNoPurpose, kNone, Ctx::kSubmitted10hAgo, "deny:no-grant/amend_record"},
    {"approver", Action::kApproveBreakGlass, kWhole, kNoRecord, kNoPurpose, kNone, Ctx::kRequesterIsOther, "allow:grant/approver"},
    {"co-on", Action::kApproveBreakGlass, kWhole, kNoRecord, kNoPurpose, kNone, Ctx::kRequesterIsOther, "deny:no-grant/approve_break_glass"},
    {"co-on", Action::kRequestBreakGlass, kWhole, QC, v1::FOLLOW_UP, kNone, Ctx::kPlain, "allow:grant/case_officer"},
    {"co-on", Action::kRequestBreakGlass, kWhole, QC, v1::MEDICAL_REFERRAL, kNone, Ctx::kPlain, "deny:purpose-not-allowed-for-role"},
    {"co-on", Action::kRequestBreakGlass, kWhole, QC, kNoPurpose, kNone, Ctx::kPlain, "deny:purpose-required"},
    {"hr-on", Action::kRequestBreakGlass, kWhole, QC, v1::MEDICAL_REFERRAL, kNone, Ctx::kPlain, "deny:no-grant/request_break_glass"},
    {"auditor", Action::kRequestBreakGlass, kWhole, QC, v1::FOLLOW_UP, kNone, Ctx::kPlain, "deny:separation-of-duties"},
    {"co-on", Action::kListRecords, kWhole, ON, kNoPurpose, kNone, Ctx::kPlain, "allow:grant/case_officer"},
    {"co-on", Action::kListRecords, kWhole, QC, kNoPurpose, kNone, Ctx::kPlain, "deny:scope"},
    {"co-on", Action::kRecordConsent, kWhole, ON, v1::MEDICAL_REFERRAL, kNone, Ctx::kPlain, "allow:grant/case_officer"},
    {"co-on", Action::kRecordConsent, kWhole, QC, v1::MEDICAL_REFERRAL, kNone, Ctx::kPlain, "deny:scope"},
    {"hr-on", Action::kRecordConsent, kWhole, ON, v1::MEDICAL_REFERRAL, kNone, Ctx::kPlain, "deny:no-grant/record_consent"},
    {"custodian", Action::kReloadPolicy, kWhole, kNoRecord, kNoPurpose, kNone, Ctx::kPlain, "allow:grant/custodian"},
    {"auditor", Action::kReloadPolicy, kWhole, kNoRecord, kNoPurpose, kNone, Ctx::kPlain, "deny:no-grant/reload_policy"},
};

BreakGlassGrant QcGrant(Ctx ctx) {
  BreakGlassGrant grant;
  grant.record_id = "r-qc";
  grant.requester_person_id = "co-on";
  grant.expires_unix_seconds = kNow + 3600;
  grant.approver_person_ids = {ctx == Ctx::kBreakGlassSelfOnly ? "co-on" : "approver"};
  return grant;
}

// Builds the request of `row`; `facts` and `grant` must outlive it.
AccessRequest RequestFor(const Row& row, const std::string& cert, RecordFacts& facts,
                         BreakGlassGrant& grant) {
  AccessRequest request;
  request.principal = cert;
  request.action = row.action;
  request.purpose = row.purpose;
  request.section = row.section;
  request.now_unix_seconds = kNow;
  const int64_t hours = row.ctx == Ctx::kSubmitted80hAgo ? 80 : 10;
  const std::string submitter = row.ctx == Ctx::kSubmittedByOther ? "someone-else" : row.who;
  facts = Record(row.record == QC ? "r-qc" : "r-on", row.record, row.purpose, row.consent,
                 submitter, kNow - hours * 3600);
  if (row.record != kNoRecord) request.record = &facts;
  grant = QcGrant(row.ctx);
  if (row.ctx == Ctx::kBreakGlass || row.ctx == Ctx::kBreakGlassExpired ||
      row.ctx == Ctx::kBreakGlassSelfOnly) {
    request.break_glass = &grant;
  }
  if (row.ctx == Ctx::kBreakGlassExpired) request.now_unix_seconds = grant.expires_unix_seconds;
  if (row.ctx == Ctx::kRequesterIsCaller) request.requester_person_id = row.who;
  if (row.ctx == Ctx::kRequesterIsOther) request.requester_person_id = "co-on";
  return request;
}

class DecisionTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_ = Load(TablePolicyText());
    ASSERT_NE(policy_, nullptr);
  }
  std::shared_ptr<const Policy> policy_;
};

TEST_F(DecisionTableTest, EveryRowGetsItsExpectedRule) {
  const Authorizer authorizer(policy_);
  for (const Row& row : kRows) {
    const std::string cert = Cert(row.who);
    RecordFacts facts;
    BreakGlassGrant grant;
    const Decision d = authorizer.Decide(RequestFor(row, cert, facts, grant));
    SCOPED_TRACE(std::string(row.who) + " " + std::string(ActionName(row.action)) + " " +
                 SectionName(row.section) + " " + RegionName(row.record) + " " +
                 PurposeName(row.purpose) + " -> " + d.rule);
    EXPECT_EQ(d.rule, row.expected);
    EXPECT_EQ(d.allowed(), std::string(row.expected).rfind("allow:", 0) == 0);
    EXPECT_EQ(d.person_id, row.who);
    if (!d.allowed()) {
      EXPECT_THAT(d.sections, IsEmpty());
    }
    if (d.allowed() && row.action == kGet && row.section != kWhole) {
      ASSERT_EQ(d.sections.size(), 1u);
      EXPECT_EQ(d.sections[0].section, row.section);
    }
  }
}

TEST_F(DecisionTableTest, BreakGlassReleasesExactlyTheRequesterRoleSections) {
  const Authorizer authorizer(policy_);
  const Row row{"co-on", kGet, kWhole, QC, v1::FOLLOW_UP, kGiven, Ctx::kBreakGlass, ""};
  const std::string cert = Cert(row.who);
  RecordFacts facts;
  BreakGlassGrant grant;
  AccessRequest request = RequestFor(row, cert, facts, grant);
  const Decision d = authorizer.Decide(request);
  ASSERT_TRUE(d.allowed()) << d.rule;
  EXPECT_TRUE(d.break_glass);
  EXPECT_THAT(d.sections, ElementsAre(SectionGrant{v1::IDENTITY, v1::CASE_OFFICER},
                                      SectionGrant{v1::INTERVIEW, v1::CASE_OFFICER},
                                      SectionGrant{v1::LEGAL, v1::CASE_OFFICER}));
  request.now_unix_seconds = grant.expires_unix_seconds - 1;  // last second of the grant
  EXPECT_TRUE(authorizer.Decide(request).allowed());
  request.now_unix_seconds = grant.expires_unix_seconds + 3600;
  EXPECT_EQ(authorizer.Decide(request).rule, "deny:break-glass-expired");
  // A grant for another record or another requester does not apply: the read is out of scope.
  grant.record_id = "r-other";
  request.now_unix_seconds = kNow;
  EXPECT_EQ(authorizer.Decide(request).rule, "deny:scope");
  grant.record_id = "r-qc";
  grant.requester_person_id = "la-on";
  EXPECT_EQ(authorizer.Decide(request).rule, "deny:scope");
}

}  // namespace
}  // namespace confidant::policy
