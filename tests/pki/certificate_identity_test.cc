// ClientPrincipalFromPem: only a single URI SAN on a clientAuth certificate names a principal.
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/certificates.h"
#include "tests/pki/pki_test_helpers.h"
#include "tests/testing/status_matchers.h"

namespace confidant::pki {
namespace {

using ::confidant::pki::testing::ClientSpec;
using ::confidant::pki::testing::IssuePem;
using ::confidant::pki::testing::NewTestCa;
using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kClerk[] = "spiffe://confidant/role/clerk";

MATCHER_P(HoldsPrincipal, expected, "is OK and holds principal " + std::string(expected)) {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return *arg == expected;
}

// `leaf_pem` re-signed by `ca` with its SAN extension replaced by one URI holding `uri` verbatim
// (which IssueCertificate would refuse to encode, e.g. with a NUL byte).
std::string ResignWithRawUri(const KeyAndCertificate& ca, const std::string& leaf_pem,
                             const std::string& uri) {
  internal::X509Ptr leaf = internal::ReadCertificatePem(leaf_pem);
  internal::EvpPkeyPtr ca_key = internal::ReadPrivateKeyPem(ca.private_key_pem);
  internal::GeneralNamesPtr names(GENERAL_NAMES_new());
  internal::GeneralNamePtr name(GENERAL_NAME_new());
  internal::Asn1OctetStringPtr value(ASN1_IA5STRING_new());
  if (leaf == nullptr || ca_key == nullptr || names == nullptr || name == nullptr ||
      value == nullptr ||
      ASN1_STRING_set(value.get(), uri.data(), static_cast<int>(uri.size())) != 1) {
    ADD_FAILURE() << "could not prepare the SAN";
    return "";
  }
  GENERAL_NAME_set0_value(name.get(), GEN_URI, value.release());
  EXPECT_GT(sk_GENERAL_NAME_push(names.get(), name.release()), 0);
  EXPECT_EQ(X509_add1_ext_i2d(leaf.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_REPLACE),
            1);
  EXPECT_GT(X509_sign(leaf.get(), ca_key.get(), EVP_sha256()), 0);
  absl::StatusOr<std::string> pem = internal::CertificateToPem(leaf.get());
  EXPECT_THAT(pem, IsOk());
  return pem.ok() ? *pem : "";
}

TEST(ClientPrincipalTest, SingleUriSanWithClientAuthIsThePrincipal) {
  const KeyAndCertificate ca = NewTestCa();
  EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, ClientSpec(kClerk))), HoldsPrincipal(kClerk));
}

TEST(ClientPrincipalTest, CommonNameIsIgnoredEvenWhenItLooksLikeAUri) {
  const KeyAndCertificate ca = NewTestCa();
  CertificateSpec spec = ClientSpec(kClerk);
  spec.common_name = "spiffe://confidant/role/admin";
  EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, spec)), HoldsPrincipal(kClerk));

  spec.uri_sans.clear();
  spec.dns_sans = {"clerk.example"};
  EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, spec)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(ClientPrincipalTest, NoUriSanIsRefused) {
  const KeyAndCertificate ca = NewTestCa();
  CertificateSpec spec = ClientSpec(kClerk);
  spec.uri_sans.clear();
  spec.dns_sans = {"clerk.example"};
  EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, spec)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("exactly one URI SAN")));
  spec.dns_sans.clear();  // no SAN extension at all
  EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, spec)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("exactly one URI SAN")));
}

TEST(ClientPrincipalTest, TwoUriSansAreRefused) {
  const KeyAndCertificate ca = NewTestCa();
  CertificateSpec spec = ClientSpec(kClerk);
  spec.uri_sans.push_back("spiffe://confidant/role/admin");
  EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, spec)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("exactly one URI SAN")));
}

TEST(ClientPrincipalTest, MissingExtendedKeyUsageIsRefused) {
  const KeyAndCertificate ca = NewTestCa();
  CertificateSpec spec = ClientSpec(kClerk);
  spec.omit_extended_key_usage = true;
  EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, spec)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("clientAuth")));
}

TEST(ClientPrincipalTest, ServerAuthOnlyIsRefused) {
  const KeyAndCertificate ca = NewTestCa();
  CertificateSpec spec = ClientSpec(kClerk);
  spec.client_auth = false;
  spec.server_auth = true;
  EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, spec)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("clientAuth")));
}

TEST(ClientPrincipalTest, ClientAndServerAuthTogetherAreAccepted) {
  const KeyAndCertificate ca = NewTestCa();
  CertificateSpec spec = ClientSpec(kClerk);
  spec.server_auth = true;
  EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, spec)), HoldsPrincipal(kClerk));
}

TEST(ClientPrincipalTest, UnparsableInputIsRefused) {
  const KeyAndCertificate ca = NewTestCa();
  const std::string pem = IssuePem(ca, ClientSpec(kClerk));
  const std::vector<std::string> garbage = {
      "", "not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      pem.substr(0, pem.size() / 2), ca.private_key_pem};
  for (const std::string& input : garbage) {
    EXPECT_THAT(ClientPrincipalFromPem(input),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("does not parse")));
  }
}

TEST(ClientPrincipalTest, UriSanLongerThan512BytesIsRefused) {
  const KeyAndCertificate ca = NewTestCa();
  const std::string at_limit = "spiffe://confidant/" + std::string(512 - 19, 'a');
  ASSERT_EQ(at_limit.size(), 512u);
  EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, ClientSpec(at_limit))), HoldsPrincipal(at_limit));
  EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, ClientSpec(at_limit + "a"))),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(ClientPrincipalTest, UriSanWithNulByteOrEmptyIsRefused) {
  const KeyAndCertificate ca = NewTestCa();
  const std::string pem = IssuePem(ca, ClientSpec(kClerk));
  const std::string with_nul = ResignWithRawUri(ca, pem, std::string("spiffe://a\0b", 12));
  EXPECT_THAT(ClientPrincipalFromPem(with_nul), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(ClientPrincipalFromPem(ResignWithRawUri(ca, pem, "")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // The re-signing itself is sound: an ordinary URI still comes through.
  EXPECT_THAT(ClientPrincipalFromPem(ResignWithRawUri(ca, pem, "spiffe://x")),
              HoldsPrincipal("spiffe://x"));
}

TEST(ClientPrincipalTest, RefusalMessagesNeverContainCertificateContent) {
  const KeyAndCertificate ca = NewTestCa();
  CertificateSpec two_uris = ClientSpec(kClerk);
  two_uris.uri_sans.push_back(kClerk);
  CertificateSpec no_eku = ClientSpec(kClerk);
  no_eku.omit_extended_key_usage = true;
  CertificateSpec server_only = ClientSpec(kClerk);
  server_only.client_auth = false;
  server_only.server_auth = true;
  for (const CertificateSpec& spec : {two_uris, no_eku, server_only}) {
    EXPECT_THAT(ClientPrincipalFromPem(IssuePem(ca, spec)),
                StatusIs(absl::StatusCode::kUnauthenticated,
                         AllOf(Not(HasSubstr("spiffe")), Not(HasSubstr("clerk")))));
  }
}

}  // namespace
}  // namespace confidant::pki
