// Every role × section × in/out of scope × purpose × consent for reads, and every role × action
// for the other actions, checked against expectations kept in tables here (not derived from the
// policy under test).
#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/authorizer.h"
#include "tests/policy/policy_test_util.h"

namespace confidant::policy {
namespace {

using namespace testing_util;  // NOLINT: test helpers

// What each person of TablePolicyText() may read: sections and purposes, or why never.
struct ReadExpectation {
  const char* who;
  const char* never;  // rule for every read, or nullptr if the person reads
  std::vector<v1::Section> sections;
  std::vector<v1::Purpose> purposes;
};

const std::vector<ReadExpectation>& ReadTable() {
  static const auto* table = new std::vector<ReadExpectation>{
      {"vt-on", "deny:no-grant/get_record", {}, {}},
      {"co-on", nullptr, {v1::IDENTITY, v1::INTERVIEW, v1::LEGAL},
       {v1::FOLLOW_UP, v1::CASE_REVIEW, v1::RAISE_WITH_AUTHORITY}},
      {"hr-on", nullptr, {v1::INTERVIEW, v1::HEALTH},
       {v1::MEDICAL_REFERRAL, v1::CASE_REVIEW, v1::QUALITY_ASSURANCE}},
      {"la-on", nullptr, {v1::IDENTITY, v1::INTERVIEW, v1::LEGAL},
       {v1::LEGAL_REFERRAL, v1::CASE_REVIEW, v1::RAISE_WITH_AUTHORITY}},
      {"approver", "deny:separation-of-duties", {}, {}},
      {"auditor", "deny:separation-of-duties", {}, {}},
      {"reporting", "deny:separation-of-duties", {}, {}},
      {"custodian", "deny:separation-of-duties", {}, {}},
  };
  return *table;
}

bool NeedsConsent(v1::Purpose p) {
  return p == v1::MEDICAL_REFERRAL || p == v1::LEGAL_REFERRAL || p == v1::RAISE_WITH_AUTHORITY;
}

template <typename T>
bool Has(const std::vector<T>& v, T x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string ExpectedRead(const ReadExpectation& e, v1::Section section, bool in_scope,
                         v1::Purpose purpose, Consent consent) {
  if (e.never != nullptr) return e.never;
  if (!in_scope) return "deny:scope";
  if (!Has(e.purposes, purpose)) return "deny:purpose-not-allowed-for-role";
  if (NeedsConsent(purpose) && consent != Consent::kGiven) return "deny:consent";
  if (section != v1::SECTION_UNSPECIFIED && !Has(e.sections, section)) return "deny:section";
  return "allow";
}

TEST(DecisionSweepTest, EveryReadCombinationMatchesTheTable) {
  const Authorizer authorizer(Load(TablePolicyText()));
  int allowed = 0, checked = 0;
  for (const ReadExpectation& e : ReadTable()) {
    const std::string cert = Cert(e.who);
    for (int s = v1::SECTION_UNSPECIFIED; s <= v1::Section_MAX; ++s) {
      for (v1::Region region : {v1::ONTARIO, v1::QUEBEC}) {
        for (int p = v1::FOLLOW_UP; p <= v1::Purpose_MAX; ++p) {
          for (Consent c : {Consent::kNone, Consent::kGiven, Consent::kWithdrawn}) {
            const auto section = static_cast<v1::Section>(s);
            const auto purpose = static_cast<v1::Purpose>(p);
            const RecordFacts facts = Record("r-1", region, purpose, c);
            AccessRequest request;
            request.principal = cert;
            request.purpose = purpose;
            request.record = &facts;
            request.section = section;
            request.now_unix_seconds = kNow;
            const Decision d = authorizer.Decide(request);
            const std::string want = ExpectedRead(e, section, region == v1::ONTARIO, purpose, c);
            SCOPED_TRACE(std::string(e.who) + " " + SectionName(section) + " " +
                         RegionName(region) + " " + PurposeName(purpose) + " " +
                         std::to_string(static_cast<int>(c)));
            ++checked;
            if (want != "allow") {
              EXPECT_EQ(d.rule, want);
              EXPECT_TRUE(d.sections.empty());
              continue;
            }
            ++allowed;
            ASSERT_TRUE(d.allowed()) << d.rule;
            std::vector<v1::Section> got;
            for (const SectionGrant& g : d.sections) got.push_back(g.section);
            EXPECT_EQ(got, section == v1::SECTION_UNSPECIFIED ? e.sections
                                                              : std::vector<v1::Section>{section});
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 8 * 5 * 2 * 6 * 3);
  EXPECT_GT(allowed, 0);
}

// Expected outcome per person for every other action: 'A' allow:grant/<role>, 'O' the open
// checkpoint rule, 'M' one's own requests, 'R' refused to reporting-only persons, '-' deny:no-grant/<action>, 'S' deny:separation-of-duties.
constexpr Action kOtherActions[] = {
    Action::kGetIntakeKey, Action::kSubmitRecord,      Action::kListRecords,
    Action::kReadCheckpoint, Action::kReadAudit,       Action::kAmendRecord,
    Action::kRequestBreakGlass, Action::kApproveBreakGlass, Action::kRecordConsent,
    Action::kReloadPolicy, Action::kRequestErasure, Action::kApproveErasure,
    Action::kListOwnRequests, Action::kOperateVault};

struct ActionRow {
  const char* who;
  const char* role;
  const char* expected;  // one character per kOtherActions entry
};

constexpr ActionRow kActionTable[] = {
    {"vt-on", "visit_team", "AA-O-A------M-"},        {"co-on", "case_officer", "--AO--A-A-A-M-"},
    {"hr-on", "health_reviewer", "--AO--------M-"},   {"la-on", "legal_adviser", "--AO--------M-"},
    {"approver", "approver", "---O--SA---AM-"},       {"auditor", "auditor", "---OA-S-----M-"},
    {"reporting", "reporting", "---R--S-----R-"},     {"custodian", "custodian", "---O--S--A--MA"},
};

TEST(DecisionSweepTest, EveryRoleAndOtherActionMatchesTheTable) {
  const Authorizer authorizer(Load(TablePolicyText()));
  for (const ActionRow& row : kActionTable) {
    const std::string cert = Cert(row.who);
    for (size_t i = 0; i < std::size(kOtherActions); ++i) {
      const Action action = kOtherActions[i];
      // In scope, submitted by the caller an hour ago; the approval is for someone else.
      const RecordFacts facts = Record("r-1", v1::ONTARIO, v1::FOLLOW_UP, Consent::kGiven,
                                       row.who, kNow - 3600);
      AccessRequest request;
      request.principal = cert;
      request.action = action;
      request.purpose = v1::FOLLOW_UP;
      request.record = &facts;
      request.now_unix_seconds = kNow;
      request.requester_person_id = "someone-else";
      const Decision d = authorizer.Decide(request);
      std::string want;
      switch (row.expected[i]) {
        case 'A': want = std::string("allow:grant/") + row.role; break;
        case 'O': want = "allow:log-open-to-every-person"; break;
        case 'R': want = "deny:reporting-only"; break;  // the log's size counts events
        case 'M': want = "allow:own-requests"; break;
        case 'S': want = "deny:separation-of-duties"; break;
        default: want = "deny:no-grant/" + std::string(ActionName(action));
      }
      EXPECT_EQ(d.rule, want) << row.who << " " << ActionName(action);
      EXPECT_TRUE(d.sections.empty());
    }
  }
}

}  // namespace
}  // namespace confidant::policy
