// mTLS identity over a real confidantd: a principal is the single URI SAN of a certificate from
// the vault's own CA with clientAuth; anything else is refused and answers nothing.
#include <memory>
#include <string>
#include <vector>

#include "crypto/asymmetric.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr char kWellFormedId[] = "0123456789abcdef0123456789abcdef";

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    absl::StatusOr<pki::KeyAndCertificate> ca = LoadDevCa(*vault_);
    ASSERT_THAT(ca, IsOk());
    dev_ca_ = *std::move(ca);
  }

  // A client presenting a certificate issued by `ca` from `spec`; principal claimed: `claimed`.
  std::unique_ptr<client::VaultClient> ClientWithCert(const pki::KeyAndCertificate& ca,
                                                      const pki::CertificateSpec& spec,
                                                      const std::string& claimed) {
    absl::StatusOr<pki::KeyAndCertificate> leaf = pki::IssueCertificate(ca, spec);
    EXPECT_THAT(leaf, IsOk());
    if (!leaf.ok()) return nullptr;
    absl::StatusOr<client::ClientIdentity> identity =
        IdentityWithLeaf(*vault_, "case_officer", *leaf, claimed);
    EXPECT_THAT(identity, IsOk());
    if (!identity.ok()) return nullptr;
    return vault_->ClientWith(*std::move(identity));
  }

  // GetRecord (FOLLOW_UP, a well-formed id) and ListRecords; both must fail with a code
  // matching `code_matcher` and return nothing.
  template <typename CodeMatcher>
  void ExpectRefused(client::VaultClient& client, CodeMatcher code_matcher) {
    v1::GetRecordRequest get;
    get.set_record_id(kWellFormedId);
    get.set_purpose(v1::FOLLOW_UP);
    absl::StatusOr<v1::GetRecordResponse> got = client.Get(get);
    EXPECT_FALSE(got.ok());
    EXPECT_THAT(got.status().code(), code_matcher) << got.status();
    absl::StatusOr<v1::ListRecordsResponse> listed = client.List(v1::ListRecordsRequest());
    EXPECT_FALSE(listed.ok());
    EXPECT_THAT(listed.status().code(), code_matcher) << listed.status();
  }

  // Submits one record as visit_team so that a refused listing would have had something to leak.
  void SubmitOne() {
    ASSERT_THAT(vault_->ClientAs("visit_team")->Submit(SyntheticRecord("identity"), "identity-0001"),
                IsOk());
  }

  std::unique_ptr<VaultProcess> vault_;
  pki::KeyAndCertificate dev_ca_;
};

TEST_F(IdentityTest, ClientWithoutCertificateIsRefusedAtHandshake) {
  SubmitOne();
  absl::StatusOr<client::ClientIdentity> identity =
      client::ClientIdentity::Load(vault_->identity_dir("case_officer"));
  ASSERT_THAT(identity, IsOk());
  identity->certificate_pem.clear();
  identity->private_key_pem.clear();
  auto stub = v1::RecordService::NewStub(RawChannel(vault_->address(), *identity));
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::ListRecordsResponse response;
  const grpc::Status status = stub->ListRecords(&context, v1::ListRecordsRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(response.records_size(), 0);
}

TEST_F(IdentityTest, CertificateFromAnotherCaIsRefused) {
  SubmitOne();
  absl::StatusOr<pki::KeyAndCertificate> other_ca =
      pki::CreateCertificateAuthority("Not the vault's CA", 30);
  ASSERT_THAT(other_ca, IsOk());
  auto client = ClientWithCert(*other_ca, ClientSpec({DevPrincipalOf("case_officer")}),
                               DevPrincipalOf("case_officer"));
  ASSERT_NE(client, nullptr);
  ExpectRefused(*client, absl::StatusCode::kUnavailable);
}

TEST_F(IdentityTest, TwoUriSansAreUnauthenticated) {
  SubmitOne();
  auto client = ClientWithCert(
      dev_ca_,
      ClientSpec({DevPrincipalOf("case_officer"), "spiffe://confidant.example/dev/other"}),
      DevPrincipalOf("case_officer"));
  ASSERT_NE(client, nullptr);
  ExpectRefused(*client, absl::StatusCode::kUnauthenticated);
}

TEST_F(IdentityTest, NoUriSanIsUnauthenticated) {
  pki::CertificateSpec spec = ClientSpec({});
  spec.dns_sans = {"case-officer.confidant.example"};
  auto client = ClientWithCert(dev_ca_, spec, DevPrincipalOf("case_officer"));
  ASSERT_NE(client, nullptr);
  ExpectRefused(*client, absl::StatusCode::kUnauthenticated);
}

TEST_F(IdentityTest, CertificateWithoutExtendedKeyUsageIsUnauthenticated) {
  pki::CertificateSpec spec = ClientSpec({DevPrincipalOf("case_officer")});
  spec.client_auth = false;
  spec.omit_extended_key_usage = true;
  auto client = ClientWithCert(dev_ca_, spec, DevPrincipalOf("case_officer"));
  ASSERT_NE(client, nullptr);
  ExpectRefused(*client, absl::StatusCode::kUnauthenticated);
}

TEST_F(IdentityTest, ServerAuthOnlyCertificateIsRefused) {
  SubmitOne();
  pki::CertificateSpec spec = ClientSpec({DevPrincipalOf("case_officer")});
  spec.client_auth = false;
  spec.server_auth = true;
  auto client = ClientWithCert(dev_ca_, spec, DevPrincipalOf("case_officer"));
  ASSERT_NE(client, nullptr);
  // OpenSSL may refuse the handshake (UNAVAILABLE), or the vault refuses the principal.
  ExpectRefused(*client, AnyOf(absl::StatusCode::kUnavailable, absl::StatusCode::kUnauthenticated));
}

TEST_F(IdentityTest, CommonNameIsIgnoredOnlyTheUriSanCounts) {
  SubmitOne();
  pki::CertificateSpec spec = ClientSpec({"spiffe://confidant.example/dev/nobody"});
  spec.common_name = DevPrincipalOf("case_officer");
  auto client = ClientWithCert(dev_ca_, spec, DevPrincipalOf("case_officer"));
  ASSERT_NE(client, nullptr);
  ExpectRefused(*client, absl::StatusCode::kUnauthenticated);
}

TEST_F(IdentityTest, PrincipalNotInPolicyIsUnauthenticated) {
  SubmitOne();
  const std::string stranger = "spiffe://confidant.example/dev/stranger";
  auto client = ClientWithCert(dev_ca_, ClientSpec({stranger}), stranger);
  ASSERT_NE(client, nullptr);
  ExpectRefused(*client, absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(client->List(v1::ListRecordsRequest()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not in the policy")));
  EXPECT_THAT(client->FetchIntakeKey(), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(IdentityTest, HandIssuedCertificateForAKnownPrincipalIsAccepted) {
  // The control for the refusals above: same CA, one URI SAN, clientAuth.
  auto client = ClientWithCert(dev_ca_, ClientSpec({DevPrincipalOf("case_officer")}),
                               DevPrincipalOf("case_officer"));
  ASSERT_NE(client, nullptr);
  EXPECT_THAT(client->List(v1::ListRecordsRequest()), IsOk());
}

TEST_F(IdentityTest, ClientRefusesIntakeKeyNotSignedByPinnedVaultKey) {
  absl::StatusOr<client::ClientIdentity> identity =
      client::ClientIdentity::Load(vault_->identity_dir("visit_team"));
  ASSERT_THAT(identity, IsOk());
  identity->vault_public_key = crypto::Ed25519KeyPair::Generate().public_key;
  auto client = vault_->ClientWith(*std::move(identity));
  ASSERT_NE(client, nullptr);
  EXPECT_THAT(client->Submit(SyntheticRecord("pinned"), "pinned-0001"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("pinned vault key")));
  absl::StatusOr<v1::ListRecordsResponse> listed =
      vault_->ClientAs("case_officer")->List(v1::ListRecordsRequest());
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->records_size(), 0);
}

TEST_F(IdentityTest, AuthorisationIsPerRpcNotPerConnection) {
  auto visit_team = vault_->ClientAs("visit_team");
  ASSERT_NE(visit_team, nullptr);
  v1::GetRecordRequest get;
  get.set_record_id(kWellFormedId);
  get.set_purpose(v1::FOLLOW_UP);
  EXPECT_THAT(visit_team->Get(get), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(visit_team->FetchIntakeKey(), IsOk());
  EXPECT_THAT(visit_team->List(v1::ListRecordsRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(visit_team->Submit(SyntheticRecord("per-rpc"), "per-rpc-0001"), IsOk());

  auto officer = vault_->ClientAs("case_officer");
  ASSERT_NE(officer, nullptr);
  EXPECT_THAT(officer->List(v1::ListRecordsRequest()), IsOk());
  EXPECT_THAT(officer->FetchIntakeKey(), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(officer->List(v1::ListRecordsRequest()), IsOk());
}

}  // namespace
}  // namespace confidant::testing
