// CreateCertificateAuthority and IssueCertificate: a dev PKI whose leaves chain to their CA only.
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <utility>
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
using ::confidant::pki::testing::Parse;
using ::confidant::pki::testing::ServerSpec;
using ::confidant::pki::testing::VerifiesAgainst;
using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::StartsWith;

constexpr char kClerk[] = "spiffe://confidant/role/clerk";

bool IsCa(const std::string& pem) {
  internal::X509Ptr cert = Parse(pem);
  return cert != nullptr && (X509_get_extension_flags(cert.get()) & EXFLAG_CA) != 0 &&
         X509_check_ca(cert.get()) == 1;
}

TEST(CertificateIssuerTest, ClientLeafVerifiesAgainstItsCaForClientUse) {
  const KeyAndCertificate ca = NewTestCa();
  const std::string leaf = IssuePem(ca, ClientSpec(kClerk));
  EXPECT_TRUE(VerifiesAgainst(ca.certificate_pem, leaf, X509_PURPOSE_SSL_CLIENT));
  EXPECT_FALSE(VerifiesAgainst(ca.certificate_pem, leaf, X509_PURPOSE_SSL_SERVER));
}

TEST(CertificateIssuerTest, ServerLeafVerifiesAgainstItsCaForServerUse) {
  const KeyAndCertificate ca = NewTestCa();
  const std::string leaf = IssuePem(ca, ServerSpec());
  EXPECT_TRUE(VerifiesAgainst(ca.certificate_pem, leaf, X509_PURPOSE_SSL_SERVER));
  EXPECT_FALSE(VerifiesAgainst(ca.certificate_pem, leaf, X509_PURPOSE_SSL_CLIENT));
}

TEST(CertificateIssuerTest, LeafDoesNotVerifyAgainstAnotherCaWithTheSameName) {
  const KeyAndCertificate ca = NewTestCa();
  const KeyAndCertificate other = NewTestCa();
  const std::string leaf = IssuePem(ca, ClientSpec(kClerk));
  EXPECT_FALSE(VerifiesAgainst(other.certificate_pem, leaf, X509_PURPOSE_SSL_CLIENT));
}

TEST(CertificateIssuerTest, CaIsACaAndLeavesAreNot) {
  const KeyAndCertificate ca = NewTestCa();
  EXPECT_TRUE(IsCa(ca.certificate_pem));
  EXPECT_FALSE(IsCa(IssuePem(ca, ClientSpec(kClerk))));
  EXPECT_FALSE(IsCa(IssuePem(ca, ServerSpec())));
}

TEST(CertificateIssuerTest, CertificatesAreEcdsaP256SignedWithSha256) {
  const KeyAndCertificate ca = NewTestCa();
  for (const std::string& pem : {ca.certificate_pem, IssuePem(ca, ServerSpec())}) {
    internal::X509Ptr cert = Parse(pem);
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
    EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(cert.get())), 256);
    EXPECT_EQ(X509_cmp_current_time(X509_get0_notBefore(cert.get())), -1);
    EXPECT_EQ(X509_cmp_current_time(X509_get0_notAfter(cert.get())), 1);
  }
}

TEST(CertificateIssuerTest, PrivateKeysAreUnencryptedPkcs8MatchingTheirCertificates) {
  const KeyAndCertificate ca = NewTestCa();
  absl::StatusOr<KeyAndCertificate> leaf = IssueCertificate(ca, ClientSpec(kClerk));
  ASSERT_THAT(leaf, IsOk());
  for (const KeyAndCertificate* pair : {&ca, &std::as_const(*leaf)}) {
    EXPECT_THAT(pair->private_key_pem, StartsWith("-----BEGIN PRIVATE KEY-----"));
    internal::X509Ptr cert = Parse(pair->certificate_pem);
    internal::EvpPkeyPtr key = internal::ReadPrivateKeyPem(pair->private_key_pem);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  }
}

TEST(CertificateIssuerTest, TwoLeavesHaveDifferentPositiveSerials) {
  const KeyAndCertificate ca = NewTestCa();
  internal::X509Ptr first = Parse(IssuePem(ca, ClientSpec(kClerk)));
  internal::X509Ptr second = Parse(IssuePem(ca, ClientSpec(kClerk)));
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  const ASN1_INTEGER* a = X509_get0_serialNumber(first.get());
  const ASN1_INTEGER* b = X509_get0_serialNumber(second.get());
  EXPECT_NE(ASN1_INTEGER_cmp(a, b), 0);
  EXPECT_NE(ASN1_STRING_type(a), V_ASN1_NEG_INTEGER);
  EXPECT_NE(ASN1_STRING_type(b), V_ASN1_NEG_INTEGER);
}

TEST(CertificateIssuerTest, ServerLeafCarriesLocalhostAndLoopbackSans) {
  const KeyAndCertificate ca = NewTestCa();
  internal::X509Ptr cert = Parse(IssuePem(ca, ServerSpec()));
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.2", 0), 0);
  EXPECT_EQ(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 0);
}

TEST(CertificateIssuerTest, LeafWithoutSansHasNoSanExtension) {
  const KeyAndCertificate ca = NewTestCa();
  CertificateSpec spec = ClientSpec(kClerk);
  spec.uri_sans.clear();
  internal::X509Ptr cert = Parse(IssuePem(ca, spec));
  ASSERT_NE(cert, nullptr);
  EXPECT_LT(X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1), 0);
}

TEST(CertificateIssuerTest, BadIpTextIsInvalidArgument) {
  const KeyAndCertificate ca = NewTestCa();
  for (const std::string& ip : std::vector<std::string>{
           "300.1.1.1", "localhost", "127.0.0.1 ", "1.2.3", "", std::string("127.0.0.1\0x", 11)}) {
    CertificateSpec spec = ServerSpec();
    spec.ip_sans = {ip};
    EXPECT_THAT(IssueCertificate(ca, spec), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(CertificateIssuerTest, EmptyOrOverlongCommonNameIsInvalidArgument) {
  const KeyAndCertificate ca = NewTestCa();
  CertificateSpec spec = ClientSpec(kClerk);
  spec.common_name = "";
  EXPECT_THAT(IssueCertificate(ca, spec), StatusIs(absl::StatusCode::kInvalidArgument));
  spec.common_name = std::string(65, 'c');
  EXPECT_THAT(IssueCertificate(ca, spec), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CreateCertificateAuthority("", 30), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CertificateIssuerTest, NonPositiveValidityIsInvalidArgument) {
  const KeyAndCertificate ca = NewTestCa();
  CertificateSpec spec = ClientSpec(kClerk);
  spec.validity_days = 0;
  EXPECT_THAT(IssueCertificate(ca, spec), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CreateCertificateAuthority("CA", -1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CertificateIssuerTest, LeafWithNoUsageAndNoOmitIsInvalidArgument) {
  const KeyAndCertificate ca = NewTestCa();
  CertificateSpec spec = ClientSpec(kClerk);
  spec.client_auth = false;
  EXPECT_THAT(IssueCertificate(ca, spec), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CertificateIssuerTest, UnusableCaIsInvalidArgument) {
  const KeyAndCertificate ca = NewTestCa();
  const KeyAndCertificate other = NewTestCa();
  const CertificateSpec spec = ClientSpec(kClerk);
  KeyAndCertificate mismatched{other.private_key_pem, ca.certificate_pem};
  EXPECT_THAT(IssueCertificate(mismatched, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("match")));
  KeyAndCertificate garbage{"not a key", "not a certificate"};
  EXPECT_THAT(IssueCertificate(garbage, spec), StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<KeyAndCertificate> leaf = IssueCertificate(ca, spec);
  ASSERT_THAT(leaf, IsOk());
  EXPECT_THAT(IssueCertificate(*leaf, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("not a CA")));
}

}  // namespace
}  // namespace confidant::pki
