// The policy is law only when K of N governance keys signed it and its version goes up: a real
// confidantd reloads it on PolicyService.ReloadPolicy (custodians) and on SIGHUP, refuses
// unsigned, under-signed, foreign-signed, stale or invalid files while the old policy stays in
// force, logs every load, and refuses to start on an older file or changed governance keys.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "confidant/v1/audit.grpc.pb.h"
#include "crypto/asymmetric.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/policy_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

class SignedPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    absl::StatusOr<std::string> text = ReadFile(Dev("policy.textproto"));
    ASSERT_THAT(text, IsOk());
    original_ = *text;
    ASSERT_THAT(original_, HasSubstr("\nversion: 1\n"));
    ASSERT_THAT(original_, HasSubstr("scope { regions: [ONTARIO] }"));
    v1::InterviewRecord ontario = SyntheticRecord("ontario");
    ontario.mutable_visit()->set_region(v1::ONTARIO);
    ontario.mutable_visit()->set_facility_id("on-tor-ihc");
    auto visit_team = vault_->ClientAs("visit_team");
    auto on = visit_team->Submit(ontario, "policy-ontario-1");
    auto qc = visit_team->Submit(SyntheticRecord("quebec"), "policy-quebec-01");
    ASSERT_THAT(on, IsOk());
    ASSERT_THAT(qc, IsOk());
    ontario_id_ = on->record_id();
    quebec_id_ = qc->record_id();
  }

  std::string Dev(const std::string& name) const { return vault_->dev_dir() + "/" + name; }

  // The dev policy at `version`, with case_officer_on moved to Quebec when `moved`.
  std::string PolicyText(int version, bool moved = true) const {
    std::string text = absl::StrReplaceAll(original_, {{"\nversion: 1\n",
                                                        absl::StrCat("\nversion: ", version, "\n")}});
    if (moved) text = absl::StrReplaceAll(text, {{"regions: [ONTARIO]", "regions: [QUEBEC]"}});
    return text;
  }

  static std::string SignatureLine(const std::string& text, const std::string& name,
                                   const crypto::Ed25519KeyPair& key) {
    return PolicySignatureLine(text, name, key);
  }
  std::string SignedBy(const std::string& text, std::vector<int> keys) const {
    absl::StatusOr<std::string> signatures = SignedByDevKeys(*vault_, text, keys);
    EXPECT_THAT(signatures, IsOk());
    return signatures.ok() ? *signatures : std::string();
  }

  void Install(const std::string& text, const std::string& signatures) {
    ASSERT_THAT(InstallDevPolicy(*vault_, text, signatures), IsOk());
  }

  grpc::Status Reload(const std::string& role, v1::ReloadPolicyResponse* response = nullptr) {
    return ReloadPolicyAs(*vault_, role, response);
  }

  // Whether case_officer_on may read the Ontario and the Quebec record: {on, qc}.
  std::pair<bool, bool> OntarioOfficerReads() {
    auto officer = vault_->ClientAs("case_officer_on");
    auto read = [&](const std::string& id) {
      v1::GetRecordRequest request;
      request.set_record_id(id);
      request.set_purpose(v1::FOLLOW_UP);
      absl::StatusOr<v1::GetRecordResponse> got = officer->Get(request);
      EXPECT_TRUE(got.ok() || absl::IsPermissionDenied(got.status())) << got.status();
      return got.ok();
    };
    return {read(ontario_id_), read(quebec_id_)};
  }

  // The policy_loaded / policy_rejected entries, as the auditor reads them.
  std::vector<v1::AuditEvent> PolicyEvents() {
    std::vector<v1::AuditEvent> events;
    for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
      if (absl::StartsWith(entry.event().action(), "policy_")) events.push_back(entry.event());
    }
    return events;
  }

  std::unique_ptr<VaultProcess> vault_;
  std::string original_, ontario_id_, quebec_id_;
};

const std::pair<bool, bool> kOntarioScope{true, false}, kQuebecScope{false, true};

TEST_F(SignedPolicyTest, NewerPolicySignedByTwoOfThreeComesIntoForceAndIsAudited) {
  EXPECT_EQ(OntarioOfficerReads(), kOntarioScope);
  Install(PolicyText(2), SignedBy(PolicyText(2), {1, 3}));
  v1::ReloadPolicyResponse response;
  grpc::Status status = Reload("custodian", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.version(), 2u);
  EXPECT_EQ(response.blake2b256().size(), 64u);
  EXPECT_EQ(OntarioOfficerReads(), kQuebecScope);

  std::vector<v1::AuditEvent> events = PolicyEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().rule(), "vault:start");
  const v1::AuditEvent& last = events.back();
  EXPECT_EQ(last.action(), "policy_loaded");
  EXPECT_THAT(last.detail(), HasSubstr("version 2"));
  EXPECT_THAT(last.detail(), HasSubstr(response.blake2b256()));
  EXPECT_EQ(last.rule(), "vault:reload by " + DevPrincipalOf("custodian"));
}

TEST_F(SignedPolicyTest, UnsignedPolicyIsRefusedAndTheOldOneStays) {
  Install(PolicyText(2), "");
  EXPECT_EQ(Reload("custodian").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(OntarioOfficerReads(), kOntarioScope);
  std::vector<v1::AuditEvent> events = PolicyEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().action(), "policy_rejected");
  EXPECT_EQ(events.back().decision(), v1::DENY);
  EXPECT_THAT(events.back().detail(), HasSubstr("0 of 2"));
}

TEST_F(SignedPolicyTest, UnderSignedPolicyIsRefused) {
  Install(PolicyText(2), SignedBy(PolicyText(2), {2}));
  grpc::Status status = Reload("custodian");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("1 of 2"));
  EXPECT_EQ(OntarioOfficerReads(), kOntarioScope);
}

TEST_F(SignedPolicyTest, KeyOutsideTheGovernanceSetDoesNotCountWhateverItsName) {
  const std::string text = PolicyText(2);
  const crypto::Ed25519KeyPair stranger = crypto::Ed25519KeyPair::Generate();
  Install(text, SignatureLine(text, "gov-1", stranger) + SignedBy(text, {2}));
  EXPECT_EQ(Reload("custodian").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  Install(text, SignatureLine(text, "gov-1", stranger) + SignatureLine(text, "gov-4", stranger));
  EXPECT_EQ(Reload("custodian").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // The same signature line twice is still one signature.
  Install(text, SignedBy(text, {3, 3}));
  EXPECT_EQ(Reload("custodian").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(OntarioOfficerReads(), kOntarioScope);
}

TEST_F(SignedPolicyTest, SameOrOlderVersionIsRefused) {
  const std::string same = PolicyText(1);  // version 1, changed, properly signed
  Install(same, SignedBy(same, {2, 3}));
  grpc::Status stale = Reload("custodian");
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(stale.error_message(), HasSubstr("policy version 1"));
  EXPECT_EQ(OntarioOfficerReads(), kOntarioScope);

  Install(PolicyText(3, /*moved=*/false), SignedBy(PolicyText(3, false), {1, 2}));
  ASSERT_TRUE(Reload("custodian").ok());
  Install(PolicyText(2), SignedBy(PolicyText(2), {1, 2}));
  EXPECT_EQ(Reload("custodian").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(OntarioOfficerReads(), kOntarioScope);
}

TEST_F(SignedPolicyTest, InvalidSignedPolicyIsRefusedWithItsLineNumber) {
  std::string text = PolicyText(2);
  const size_t at = text.find("\nversion: 2\n") + std::string("\nversion: 2\n").size();
  const int line = static_cast<int>(std::count(text.begin(), text.begin() + at, '\n')) + 1;
  text.insert(at, "this_is_not_a_field: 7\n");
  Install(text, SignedBy(text, {1, 2}));
  grpc::Status status = Reload("custodian");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr(absl::StrCat("line ", line)));
  EXPECT_EQ(OntarioOfficerReads(), kOntarioScope);
}

TEST_F(SignedPolicyTest, ValidlySignedPolicyGrantingNonReadingRolesSectionsIsRefused) {
  // Governance keys cannot lift separation of duties: a policy that grants the auditor,
  // reporting or custodian role a record section, or a person an auditing role beside a
  // reading one, is refused at load, signatures or not; those identities still read nothing.
  for (const std::string& grant :
       {std::string("role_grants { role: AUDITOR readable_sections: [IDENTITY] purposes: [CASE_REVIEW] }\n"),
        std::string("role_grants { role: REPORTING readable_sections: [INTERVIEW] purposes: [CASE_REVIEW] }\n"),
        std::string("role_grants { role: CUSTODIAN readable_sections: [HEALTH] purposes: [CASE_REVIEW] }\n")}) {
    std::string text = PolicyText(2, /*moved=*/false);
    text += grant;
    Install(text, SignedBy(text, {1, 2}));
    grpc::Status status = Reload("custodian");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << grant;
    EXPECT_THAT(status.error_message(), HasSubstr("separation of duties")) << grant;
  }
  std::string text = absl::StrReplaceAll(
      PolicyText(2, false), {{"roles: [AUDITOR]", "roles: [AUDITOR, CASE_OFFICER]"}});
  Install(text, SignedBy(text, {1, 2}));
  grpc::Status status = Reload("custodian");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("separation of duties: person auditor"));
  for (const std::string role : {"auditor", "reporting", "custodian"}) {
    v1::GetRecordRequest request;
    request.set_record_id(ontario_id_);
    request.set_purpose(v1::CASE_REVIEW);
    EXPECT_THAT(vault_->ClientAs(role)->Get(request),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("separation-of-duties")))
        << role;
  }
}

TEST_F(SignedPolicyTest, OnlyCustodiansMayReload) {
  Install(PolicyText(2), SignedBy(PolicyText(2), {1, 2}));
  for (const std::string role : {"case_officer", "auditor", "visit_team"}) {
    EXPECT_EQ(Reload(role).error_code(), grpc::StatusCode::PERMISSION_DENIED) << role;
  }
  EXPECT_EQ(OntarioOfficerReads(), kOntarioScope);
}

TEST_F(SignedPolicyTest, RestartKeepsTheReloadedVersionAndRefusesAnOlderFile) {
  Install(PolicyText(2), SignedBy(PolicyText(2), {1, 2}));
  ASSERT_TRUE(Reload("custodian").ok());
  ASSERT_THAT(vault_->Restart(), IsOk());
  EXPECT_EQ(OntarioOfficerReads(), kQuebecScope);

  Install(original_, SignedBy(original_, {1, 2}));  // the first policy, validly signed
  absl::Status restarted = vault_->Restart();
  EXPECT_FALSE(restarted.ok());
  EXPECT_THAT(restarted.message(), HasSubstr("older than the version in force"));
  EXPECT_THAT(vault_->log(), HasSubstr("policy version 1 is older"));
}

TEST_F(SignedPolicyTest, GovernanceKeysArePinnedAtFirstStart) {
  crypto::Ed25519KeyPair keys[] = {crypto::Ed25519KeyPair::Generate(),
                                   crypto::Ed25519KeyPair::Generate(),
                                   crypto::Ed25519KeyPair::Generate()};
  std::string keys_text = "threshold 2\n";
  for (int i = 0; i < 3; ++i) {
    absl::StrAppend(&keys_text, "gov-", i + 1, " ", absl::Base64Escape(keys[i].public_key), "\n");
  }
  ASSERT_THAT(WriteFileAtomically(Dev("governance/keys.txt"), keys_text, 0644), IsOk());
  const std::string text = PolicyText(2);
  Install(text, SignatureLine(text, "gov-1", keys[0]) + SignatureLine(text, "gov-2", keys[1]));
  absl::Status restarted = vault_->Restart();
  EXPECT_FALSE(restarted.ok());
  EXPECT_THAT(restarted.message(), HasSubstr("governance keys"));
}

// The pid of our own confidantd, found by its --dev-dir argument (the harness keeps it private).
pid_t ServerPid(const std::string& dev_dir) {
  for (const auto& dir : std::filesystem::directory_iterator("/proc")) {
    const std::string name = dir.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    absl::StatusOr<std::string> cmdline = ReadFile(dir.path().string() + "/cmdline");
    if (!cmdline.ok()) continue;
    std::vector<std::string> args = absl::StrSplit(*cmdline, '\0');
    if (args.empty() || !absl::EndsWith(args[0], "confidantd")) continue;
    for (const std::string& arg : args) {
      if (arg == dev_dir) return static_cast<pid_t>(std::stoi(name));
    }
  }
  return -1;
}

bool LogSaysWithin(const VaultProcess& vault, const std::string& text, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (vault.log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST_F(SignedPolicyTest, SighupReloadsASignedPolicyAndRefusesAnUnsignedOne) {
  const pid_t pid = ServerPid(vault_->dev_dir());
  ASSERT_GT(pid, 0) << "confidantd not found in /proc";
  Install(PolicyText(2), "");
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  EXPECT_TRUE(LogSaysWithin(*vault_, "policy reload refused", 10)) << vault_->log();
  EXPECT_EQ(OntarioOfficerReads(), kOntarioScope);

  Install(PolicyText(2), SignedBy(PolicyText(2), {2, 3}));
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  EXPECT_TRUE(LogSaysWithin(*vault_, "policy version 2 in force", 10)) << vault_->log();
  EXPECT_EQ(OntarioOfficerReads(), kQuebecScope);
  std::vector<v1::AuditEvent> events = PolicyEvents();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[events.size() - 2].action(), "policy_rejected");
  EXPECT_EQ(events.back().action(), "policy_loaded");
  EXPECT_EQ(events.back().rule(), "vault:reload by SIGHUP");
}

}  // namespace
}  // namespace confidant::testing
