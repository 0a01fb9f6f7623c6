// PEM reading and writing for pki/. Internal to pki/ and its tests. Failures clear OpenSSL's
// error queue and report no content from the input.
#ifndef CONFIDANT_PKI_PEM_H_
#define CONFIDANT_PKI_PEM_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "pki/openssl_handles.h"

namespace confidant::pki::internal {

// The first certificate in `pem`, or null if there is none or it does not parse.
X509Ptr ReadCertificatePem(std::string_view pem);

// The unencrypted private key in `pem`, or null. Never prompts for a passphrase: an encrypted key
// is refused.
EvpPkeyPtr ReadPrivateKeyPem(std::string_view pem);

// `cert` as a PEM "CERTIFICATE" block. INTERNAL if OpenSSL fails.
absl::StatusOr<std::string> CertificateToPem(X509* cert);

// `key` as an unencrypted PKCS#8 PEM "PRIVATE KEY" block, staged in OpenSSL secure memory that
// is wiped on free. INTERNAL if OpenSSL fails.
absl::StatusOr<std::string> PrivateKeyToPem(EVP_PKEY* key);

}  // namespace confidant::pki::internal

#endif  // CONFIDANT_PKI_PEM_H_
