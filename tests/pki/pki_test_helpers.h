// Helpers shared by the pki/ tests: a throwaway CA, common leaf specs, parsing and chain checks.
#ifndef CONFIDANT_TESTS_PKI_PKI_TEST_HELPERS_H_
#define CONFIDANT_TESTS_PKI_PKI_TEST_HELPERS_H_

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "pki/certificates.h"
#include "pki/openssl_handles.h"
#include "pki/pem.h"

namespace confidant::pki::testing {

inline KeyAndCertificate NewTestCa(std::string_view common_name = "Confidant Test CA") {
  absl::StatusOr<KeyAndCertificate> ca = CreateCertificateAuthority(common_name, 30);
  EXPECT_TRUE(ca.ok()) << ca.status();
  return ca.ok() ? *std::move(ca) : KeyAndCertificate{};
}

inline CertificateSpec ClientSpec(std::string uri) {
  CertificateSpec spec;
  spec.common_name = "clerk";
  spec.uri_sans = {std::move(uri)};
  spec.client_auth = true;
  return spec;
}

inline CertificateSpec ServerSpec() {
  CertificateSpec spec;
  spec.common_name = "localhost";
  spec.dns_sans = {"localhost"};
  spec.ip_sans = {"127.0.0.1", "::1"};
  spec.server_auth = true;
  return spec;
}

// Issues `spec` from `ca` and returns the leaf's certificate PEM ("" and a test failure if not).
inline std::string IssuePem(const KeyAndCertificate& ca, const CertificateSpec& spec) {
  absl::StatusOr<KeyAndCertificate> leaf = IssueCertificate(ca, spec);
  EXPECT_TRUE(leaf.ok()) << leaf.status();
  return leaf.ok() ? leaf->certificate_pem : std::string();
}

inline internal::X509Ptr Parse(std::string_view pem) {
  internal::X509Ptr cert = internal::ReadCertificatePem(pem);
  EXPECT_NE(cert, nullptr);
  return cert;
}

// Whether `leaf_pem` chains to `ca_pem` (the only trusted root) for `purpose`.
inline bool VerifiesAgainst(std::string_view ca_pem, std::string_view leaf_pem, int purpose) {
  internal::X509Ptr ca = Parse(ca_pem);
  internal::X509Ptr leaf = Parse(leaf_pem);
  internal::X509StorePtr store(X509_STORE_new());
  internal::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (ca == nullptr || leaf == nullptr || store == nullptr || ctx == nullptr ||
      X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1 ||
      X509_STORE_CTX_set_purpose(ctx.get(), purpose) != 1) {
    ADD_FAILURE() << "could not set up verification";
    return false;
  }
  const bool verified = X509_verify_cert(ctx.get()) == 1;
  ERR_clear_error();
  return verified;
}

}  // namespace confidant::pki::testing

#endif  // CONFIDANT_TESTS_PKI_PKI_TEST_HELPERS_H_
