// Shared helpers for the policy tests: the shipped example, a compact test policy with persons
// scoped to Ontario, loading, and gMock printing for SectionGrant.
#ifndef CONFIDANT_TESTS_POLICY_POLICY_TEST_UTIL_H_
#define CONFIDANT_TESTS_POLICY_POLICY_TEST_UTIL_H_

#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "policy/authorizer.h"
#include "policy/policy.h"

namespace confidant::policy {

// For gMock (found by argument-dependent lookup).
inline bool operator==(const SectionGrant& a, const SectionGrant& b) {
  return a.section == b.section && a.role == b.role;
}
inline void PrintTo(const SectionGrant& g, std::ostream* os) {
  *os << SectionName(g.section) << "/" << RoleName(g.role);
}

namespace testing_util {

inline std::string ReadExamplePolicy() {
  std::ifstream in(std::string(CONFIDANT_SOURCE_DIR) + "/deploy/policy.example.textproto");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Joins `lines` with '\n' so that lines[i] is line i + 1 of the policy text.
inline std::string Lines(const std::vector<std::string>& lines) {
  return absl::StrJoin(lines, "\n");
}

inline std::shared_ptr<const Policy> Load(const std::string& text) {
  absl::StatusOr<Policy> policy = Policy::FromText(text);
  EXPECT_TRUE(policy.ok()) << policy.status();
  if (!policy.ok()) return nullptr;
  return std::make_shared<const Policy>(*std::move(policy));
}

inline std::string Dev(const std::string& name) { return "spiffe://confidant.example/dev/" + name; }

// Certificate of a person in TablePolicyText(): "spiffe://t/<id>".
inline std::string Cert(const std::string& person_id) { return "spiffe://t/" + person_id; }

// The purpose rules of the example: referrals and raising with the authorities need consent.
inline constexpr char kPurposeRules[] = R"(
purpose_rules { purpose: FOLLOW_UP requires_consent: false }
purpose_rules { purpose: CASE_REVIEW requires_consent: false }
purpose_rules { purpose: QUALITY_ASSURANCE requires_consent: false }
purpose_rules { purpose: MEDICAL_REFERRAL requires_consent: true }
purpose_rules { purpose: LEGAL_REFERRAL requires_consent: true }
purpose_rules { purpose: RAISE_WITH_AUTHORITY requires_consent: true }
)";

// One Ontario person per role (ids vt-on, co-on, hr-on, la-on) plus unscoped approver, approver2,
// auditor, reporting and custodian. The legal adviser may raise with the authorities.
inline std::string TablePolicyText() {
  return std::string(R"(version: 7
role_grants { role: VISIT_TEAM may_submit: true may_amend_own: true }
role_grants { role: CASE_OFFICER readable_sections: [IDENTITY, INTERVIEW, LEGAL]
  purposes: [FOLLOW_UP, CASE_REVIEW, RAISE_WITH_AUTHORITY]
  may_list: true may_request_break_glass: true may_record_consent: true
  may_request_erasure: true }
role_grants { role: HEALTH_REVIEWER readable_sections: [INTERVIEW, HEALTH]
  purposes: [MEDICAL_REFERRAL, CASE_REVIEW, QUALITY_ASSURANCE] may_list: true }
role_grants { role: LEGAL_ADVISER readable_sections: [IDENTITY, INTERVIEW, LEGAL]
  purposes: [LEGAL_REFERRAL, CASE_REVIEW, RAISE_WITH_AUTHORITY] may_list: true }
role_grants { role: APPROVER may_approve_break_glass: true may_approve_erasure: true }
role_grants { role: AUDITOR may_read_audit: true }
role_grants { role: CUSTODIAN may_reload_policy: true may_operate_vault: true }
settings { amendment_window_hours: 72 break_glass_minutes: 60 min_break_glass_approvals: 1 }
persons { id: "vt-on" roles: [VISIT_TEAM] scope { regions: [ONTARIO] } certificates: ["spiffe://t/vt-on"] }
persons { id: "co-on" roles: [CASE_OFFICER] scope { regions: [ONTARIO] } certificates: ["spiffe://t/co-on"] }
persons { id: "hr-on" roles: [HEALTH_REVIEWER] scope { regions: [ONTARIO] } certificates: ["spiffe://t/hr-on"] }
persons { id: "la-on" roles: [LEGAL_ADVISER] scope { regions: [ONTARIO] } certificates: ["spiffe://t/la-on"] }
persons { id: "approver" roles: [APPROVER] certificates: ["spiffe://t/approver"] }
persons { id: "approver2" roles: [APPROVER] certificates: ["spiffe://t/approver2"] }
persons { id: "auditor" roles: [AUDITOR] certificates: ["spiffe://t/auditor"] }
persons { id: "reporting" roles: [REPORTING] certificates: ["spiffe://t/reporting"] }
persons { id: "custodian" roles: [CUSTODIAN] certificates: ["spiffe://t/custodian"] }
)") + kPurposeRules;
}

// 2025-06-02T12:00:00Z, the "now" of most tests.
inline constexpr int64_t kNow = 1748865600;

// A record in `region` submitted by `submitter` at `submitted`, with consent `state` for
// `purpose` (Consent::kNone leaves the map empty).
inline RecordFacts Record(const std::string& id, v1::Region region,
                          v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED,
                          Consent state = Consent::kNone, const std::string& submitter = "vt-on",
                          int64_t submitted = kNow - 3600) {
  RecordFacts facts;
  facts.record_id = id;
  facts.region = region;
  facts.facility_id = region == v1::ONTARIO ? "on-tor-ihc" : "qc-lav-ihc";
  facts.submitter_person_id = submitter;
  facts.submitted_unix_seconds = submitted;
  if (state != Consent::kNone) facts.consent[purpose] = state;
  return facts;
}

}  // namespace testing_util
}  // namespace confidant::policy

#endif  // CONFIDANT_TESTS_POLICY_POLICY_TEST_UTIL_H_
