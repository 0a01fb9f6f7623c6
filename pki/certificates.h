// X.509 for mTLS: reading a client's principal from its certificate, and issuing the dev PKI.
// Uses OpenSSL's libcrypto (already linked through gRPC); TLS itself is gRPC's.
#ifndef CONFIDANT_PKI_CERTIFICATES_H_
#define CONFIDANT_PKI_CERTIFICATES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace confidant::pki {

// The principal of a client certificate: its single URI subject alternative name.
// UNAUTHENTICATED (with a message naming the reason, never the certificate's content) when the
// PEM does not parse, has no or several URI SANs, or lacks an extended key usage extension that
// includes clientAuth. The subject CN is ignored.
absl::StatusOr<std::string> ClientPrincipalFromPem(std::string_view leaf_pem);

struct KeyAndCertificate {
  std::string private_key_pem;  // PKCS#8 PEM; secret: write 0600, never log
  std::string certificate_pem;
};

struct CertificateSpec {
  std::string common_name;
  std::vector<std::string> uri_sans;
  std::vector<std::string> dns_sans;
  std::vector<std::string> ip_sans;  // dotted IPv4 or IPv6 text
  bool client_auth = false;          // add clientAuth to the EKU
  bool server_auth = false;          // add serverAuth to the EKU
  bool omit_extended_key_usage = false;  // for tests: no EKU extension at all
  int validity_days = 825;
};

// A new self-signed CA (ECDSA P-256, basicConstraints CA:TRUE critical, keyCertSign|cRLSign).
absl::StatusOr<KeyAndCertificate> CreateCertificateAuthority(std::string_view common_name,
                                                             int validity_days);

// A leaf certificate (ECDSA P-256, CA:FALSE, digitalSignature) signed by `ca`, with a random
// 128-bit serial. INVALID_ARGUMENT on a spec that cannot be encoded (bad IP text, empty CN).
absl::StatusOr<KeyAndCertificate> IssueCertificate(const KeyAndCertificate& ca,
                                                   const CertificateSpec& spec);

}  // namespace confidant::pki

#endif  // CONFIDANT_PKI_CERTIFICATES_H_
