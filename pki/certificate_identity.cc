// ClientPrincipalFromPem: the identity half of certificates.h.
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "pki/certificates.h"
#include "pki/openssl_handles.h"
#include "pki/pem.h"

namespace confidant::pki {
namespace {

using internal::GeneralNamesPtr;
using internal::X509Ptr;

// A principal longer than this is refused; it would only bloat audit entries and policy lookups.
constexpr size_t kMaxPrincipalBytes = 512;

absl::Status Refuse(absl::string_view reason) {
  ERR_clear_error();
  return absl::UnauthenticatedError(reason);
}

// The single URI SAN of `cert`, or UNAUTHENTICATED. A certificate carrying the SAN extension
// twice, or one that does not decode, counts as carrying no URI SAN.
absl::StatusOr<std::string> SingleUriSan(X509* cert) {
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  const ASN1_IA5STRING* uri = nullptr;
  int uri_count = 0;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    ++uri_count;
    uri = name->d.uniformResourceIdentifier;
  }
  if (uri_count != 1 || uri == nullptr) {
    return Refuse("client certificate must carry exactly one URI SAN");
  }
  const int length = ASN1_STRING_length(uri);
  const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri));
  if (length <= 0 || static_cast<size_t>(length) > kMaxPrincipalBytes || data == nullptr) {
    return Refuse("client certificate URI SAN is empty or too long");
  }
  std::string principal(data, static_cast<size_t>(length));
  if (principal.find('\0') != std::string::npos) {
    return Refuse("client certificate URI SAN contains a NUL byte");
  }
  return principal;
}

// OK iff `cert` has an extendedKeyUsage extension listing clientAuth. X509_get_extended_key_usage
// answers UINT32_MAX ("anything") when the extension is absent, which must not pass here.
absl::Status RequireClientAuthUsage(X509* cert) {
  const bool has_extension = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1) >= 0;
  const uint32_t usage = X509_get_extended_key_usage(cert);
  if (!has_extension || usage == UINT32_MAX || (usage & XKU_SSL_CLIENT) == 0) {
    return Refuse("client certificate lacks the clientAuth extended key usage");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ClientPrincipalFromPem(std::string_view leaf_pem) {
  X509Ptr cert = internal::ReadCertificatePem(leaf_pem);
  // EXFLAG_INVALID: an extension OpenSSL could not decode, or one present twice.
  if (cert == nullptr || (X509_get_extension_flags(cert.get()) & EXFLAG_INVALID) != 0) {
    return Refuse("client certificate does not parse");
  }
  ASSIGN_OR_RETURN(std::string principal, SingleUriSan(cert.get()));
  RETURN_IF_ERROR(RequireClientAuthUsage(cert.get()));
  return principal;
}

}  // namespace confidant::pki
