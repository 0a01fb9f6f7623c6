// Denials say what would be allowed, over real mTLS, without revealing what the caller may not
// know: a purpose the role may not state is refused naming the purposes the caller's own roles
// may state; a read outside scope by a role that may request break-glass names the break-glass
// command (and nothing about the record); the rule stays in the message and in the audit entry.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/shared_vault_test.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DenialHintTest : public SharedVaultTest {
 protected:
  static absl::StatusOr<v1::GetRecordResponse> GetAs(const std::string& who,
                                                     const std::string& record_id,
                                                     v1::Purpose purpose) {
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(purpose);
    return vault_->ClientAs(who)->Get(request);
  }
};

TEST_F(DenialHintTest, PurposeNotAllowedNamesThePurposesTheCallersRoleMayState) {
  const std::string id = SubmitRecord("hint-purpose", "hint-purpose-001");
  EXPECT_THAT(GetAs("health_reviewer", id, v1::FOLLOW_UP),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "denied by policy (deny:purpose-not-allowed-for-role); your role may "
                       "state: case_review, quality_assurance, medical_referral"));
  EXPECT_THAT(GetAs("legal_adviser", id, v1::RAISE_WITH_AUTHORITY),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "denied by policy (deny:purpose-not-allowed-for-role); your role may "
                       "state: case_review, legal_referral"));
}

TEST_F(DenialHintTest, ReadOutsideScopeNamesTheBreakGlassCommandAndNothingAboutTheRecord) {
  const std::string id = SubmitRecord("hint-scope", "hint-scope-00001");  // Quebec, qc-lav-ihc
  absl::StatusOr<v1::GetRecordResponse> refused = GetAs("case_officer_on", id, v1::FOLLOW_UP);
  EXPECT_THAT(refused,
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "denied by policy (deny:scope); a record outside your scope can be "
                       "requested through: confidant break-glass request RECORD_ID --purpose P "
                       "--reason TEXT (others must approve it first)"));
  const std::string message(refused.status().message());
  for (const std::string& about_the_record : {id, std::string("quebec"), std::string("qc-lav"),
                                              std::string("hint-scope")}) {
    EXPECT_THAT(message, Not(HasSubstr(about_the_record)));
  }
  // The audit entry keeps the bare rule.
  bool audited = false;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
    const v1::AuditEvent& e = entry.event();
    if (e.action() == "get_record" && e.principal() == DevPrincipalOf("case_officer_on") &&
        e.record_ids_size() == 1 && e.record_ids(0) == id) {
      audited = true;
      EXPECT_EQ(e.rule(), "deny:scope");
      EXPECT_EQ(e.decision(), v1::DENY);
      EXPECT_EQ(e.role(), "case_officer") << "a denial names the roles the person holds";
    }
  }
  EXPECT_TRUE(audited);
}

TEST_F(DenialHintTest, NoBreakGlassHintForARoleThatMayNotRequestIt) {
  // Other denials keep the bare rule: a visit team member may not read at all.
  const std::string id = SubmitRecord("hint-none", "hint-none-000001");
  EXPECT_THAT(GetAs("visit_team", id, v1::FOLLOW_UP),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       Not(HasSubstr("break-glass request"))));
}

// The CLI puts back what its user typed into the vault's hint (the vault never names the
// record), and a consent denial says how consent is recorded.
TEST_F(DenialHintTest, TheCliFillsInTheRecordAndPurposeItAskedFor) {
  const std::string id = SubmitRecord("hint-cli", "hint-cli-000001");  // Quebec
  auto get = [&](const std::string& who, const std::string& purpose) {
    return RunCommand({CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir(who), "--server",
                       vault_->address(), "get", id, "--purpose", purpose});
  };
  const CommandResult outside = get("case_officer_on", "follow_up");
  EXPECT_EQ(outside.exit_code, 1);
  EXPECT_THAT(outside.err, HasSubstr(absl::StrCat("confidant break-glass request ", id,
                                                  " --purpose follow_up --reason TEXT")));
  const CommandResult consent = get("case_officer_qc", "raise_with_authority");
  EXPECT_EQ(consent.exit_code, 1);
  EXPECT_THAT(consent.err, HasSubstr("deny:consent"));
  EXPECT_THAT(consent.err, HasSubstr(absl::StrCat("confidant consent ", id,
                                                  " --purpose raise_with_authority --give")));
  // Not an auditor: told so, not that the log failed a check.
  const CommandResult verify =
      RunCommand({CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir("case_officer"),
                  "--server", vault_->address(), "audit", "verify"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_THAT(verify.err, HasSubstr("only auditors can verify the audit log online"));
  EXPECT_THAT(verify.out + verify.err, Not(HasSubstr("NOT verified")));
}

}  // namespace
}  // namespace confidant::testing
