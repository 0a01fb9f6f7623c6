// Hints on denials (policy/denial_hint.h): the purposes the caller's own roles may state, and the
// break-glass command for a read outside scope by a person who may request one; built from the
// caller's grants only, never from the record.
#include "policy/denial_hint.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/authorizer.h"
#include "policy/policy.h"
#include "tests/policy/policy_test_util.h"

namespace confidant::policy {
namespace {

using namespace testing_util;  // NOLINT: test helpers
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class DenialHintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_ = Load(ReadExamplePolicy());
    ASSERT_NE(policy_, nullptr);
    record_.record_id = "00112233445566778899aabbccddeeff";
    record_.region = v1::BRITISH_COLUMBIA;
    record_.facility_id = "bc-sur-ihc";
    record_.submitter_person_id = "visit_team";
    record_.consent[v1::MEDICAL_REFERRAL] = Consent::kGiven;
  }

  const v1::Person& Person(const std::string& id) { return *policy_->FindPersonById(id); }

  // The rule of a get of the record by `person_id` for `purpose`, and its hint.
  std::pair<std::string, std::string> DenyGet(const std::string& person_id, v1::Purpose purpose) {
    Authorizer authorizer(policy_);
    AccessRequest request;
    request.principal = Person(person_id).certificates(0);
    request.action = Action::kGetRecord;
    request.purpose = purpose;
    request.record = &record_;
    request.now_unix_seconds = 1'800'000'000;
    const Decision decision = authorizer.Decide(request);
    EXPECT_FALSE(decision.allowed());
    return {decision.rule, DenialHint(*policy_, Person(person_id), Action::kGetRecord, decision.rule)};
  }

  std::shared_ptr<const Policy> policy_;
  RecordFacts record_;
};

TEST_F(DenialHintTest, PurposesOfTheCallersRolesInPurposeOrder) {
  EXPECT_THAT(PurposesOf(*policy_, Person("case_officer")),
              ElementsAre(v1::FOLLOW_UP, v1::CASE_REVIEW, v1::RAISE_WITH_AUTHORITY));
  EXPECT_THAT(PurposesOf(*policy_, Person("health_reviewer")),
              ElementsAre(v1::CASE_REVIEW, v1::QUALITY_ASSURANCE, v1::MEDICAL_REFERRAL));
  EXPECT_THAT(PurposesOf(*policy_, Person("visit_team")), IsEmpty());
  EXPECT_THAT(PurposesOf(*policy_, Person("approver")), IsEmpty());
}

TEST_F(DenialHintTest, PurposeNotAllowedNamesThePurposesTheRoleMayState) {
  const auto [rule, hint] = DenyGet("health_reviewer", v1::FOLLOW_UP);
  EXPECT_EQ(rule, "deny:purpose-not-allowed-for-role");
  EXPECT_EQ(hint, "; your role may state: case_review, quality_assurance, medical_referral");
}

TEST_F(DenialHintTest, PersonWithSeveralRolesGetsTheUnionOfTheirPurposes) {
  const std::string text = Lines({
      "version: 1",
      "role_grants { role: CASE_OFFICER readable_sections: [INTERVIEW] purposes: [FOLLOW_UP] }",
      "role_grants { role: LEGAL_ADVISER readable_sections: [LEGAL] purposes: [LEGAL_REFERRAL, "
      "FOLLOW_UP] }",
      "purpose_rules { purpose: FOLLOW_UP requires_consent: false }",
      "purpose_rules { purpose: LEGAL_REFERRAL requires_consent: true }",
      "persons { id: \"p\" certificates: [\"spiffe://t/p\"] roles: [LEGAL_ADVISER, CASE_OFFICER] "
      "scope { everywhere: true } }",
  });
  std::shared_ptr<const Policy> policy = Load(text);
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(DenialHint(*policy, *policy->FindPersonById("p"), Action::kGetRecord,
                       "deny:purpose-not-allowed-for-role"),
            "; your roles may state: follow_up, legal_referral");
}

TEST_F(DenialHintTest, ReadOutsideScopeNamesTheBreakGlassCommandWhenTheRoleMayRequestIt) {
  const auto [rule, hint] = DenyGet("case_officer_on", v1::FOLLOW_UP);
  EXPECT_EQ(rule, "deny:scope");
  EXPECT_EQ(hint,
            "; a record outside your scope can be requested through: confidant break-glass "
            "request RECORD_ID --purpose P --reason TEXT (others must approve it first)");
  // Nothing about the record: not its id, region or facility.
  EXPECT_THAT(hint, Not(HasSubstr(record_.record_id)));
  EXPECT_THAT(hint, Not(HasSubstr("british")));
  EXPECT_THAT(hint, Not(HasSubstr("bc-sur")));
}

TEST_F(DenialHintTest, NoBreakGlassHintForRolesThatMayNotRequestIt) {
  EXPECT_EQ(DenialHint(*policy_, Person("health_reviewer"), Action::kGetRecord, "deny:scope"), "");
  // Nor for other actions: break-glass only ever covers reads.
  EXPECT_EQ(DenialHint(*policy_, Person("case_officer_on"), Action::kRecordConsent, "deny:scope"),
            "");
}

TEST_F(DenialHintTest, AConsentDenialSaysHowConsentIsRecorded) {
  EXPECT_THAT(DenialHint(*policy_, Person("case_officer"), Action::kGetRecord, "deny:consent"),
              HasSubstr("record it with: confidant consent RECORD_ID --purpose P --give"));
  EXPECT_THAT(DenialHint(*policy_, Person("health_reviewer"), Action::kGetRecord, "deny:consent"),
              HasSubstr("ask a person who may record consent"));
  EXPECT_EQ(DenialHint(*policy_, Person("case_officer"), Action::kRecordConsent, "deny:consent"),
            "");
  EXPECT_THAT(DenialHint(*policy_, Person("case_officer_on"), Action::kGetRecord,
                         "deny:break-glass-expired"),
              HasSubstr("has lapsed: if you still need it, request again with confidant "
                        "break-glass request RECORD_ID --purpose P --reason TEXT"));
}

TEST_F(DenialHintTest, OtherRulesHaveNoHint) {
  for (const char* rule : {"deny:no-grant/get_record", "deny:separation-of-duties",
                           "deny:section", "deny:person-not-valid-now"}) {
    EXPECT_EQ(DenialHint(*policy_, Person("case_officer"), Action::kGetRecord, rule), "") << rule;
  }
}

}  // namespace
}  // namespace confidant::policy
