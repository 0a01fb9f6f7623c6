// CreateCertificateAuthority and IssueCertificate: the issuing half of certificates.h.
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "pki/certificates.h"
#include "pki/openssl_handles.h"
#include "pki/pem.h"

namespace confidant::pki {
namespace {

using internal::Asn1IntegerPtr;
using internal::Asn1OctetStringPtr;
using internal::BigNumPtr;
using internal::EvpPkeyPtr;
using internal::GeneralNamePtr;
using internal::GeneralNamesPtr;
using internal::X509ExtensionPtr;
using internal::X509Ptr;

constexpr long kBackdateSeconds = 5 * 60;  // tolerates clocks a little behind ours
constexpr int kMaxValidityDays = 20 * 365;
constexpr int kSerialBytes = 16;
constexpr size_t kMaxNameBytes = 1024;  // per URI or DNS name

absl::Status OpenSslFailure(absl::string_view what) {
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("OpenSSL could not ", what));
}

absl::Status Invalid(absl::string_view why) {
  ERR_clear_error();
  return absl::InvalidArgumentError(why);
}

bool HasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

absl::StatusOr<EvpPkeyPtr> NewP256Key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslFailure("generate a P-256 key");
  return key;
}

// A random positive 128-bit serial (top bit cleared), as RFC 5280 and the CA/B rules expect.
absl::Status SetRandomSerial(X509* cert) {
  unsigned char bytes[kSerialBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return OpenSslFailure("draw a serial number");
  bytes[0] &= 0x7f;
  BigNumPtr number(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (number == nullptr || BN_is_zero(number.get())) return OpenSslFailure("draw a serial number");
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(number.get(), nullptr));
  if (serial == nullptr || X509_set_serialNumber(cert, serial.get()) != 1) {
    return OpenSslFailure("set the serial number");
  }
  return absl::OkStatus();
}

// An unsigned v3 certificate for `key`: subject CN, random serial, validity from five minutes ago
// to `validity_days` from now. No issuer name and no extensions yet.
absl::StatusOr<X509Ptr> NewUnsignedCertificate(EVP_PKEY* key, std::string_view common_name,
                                               int validity_days) {
  if (common_name.empty() || HasNul(common_name)) {
    return Invalid("common name must be non-empty and contain no NUL byte");
  }
  if (validity_days <= 0 || validity_days > kMaxValidityDays) {
    return Invalid("validity must be between 1 day and 20 years");
  }
  X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), validity_days, 0, nullptr) == nullptr) {
    return OpenSslFailure("start a certificate");
  }
  RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  if (X509_NAME_add_entry_by_NID(X509_get_subject_name(cert.get()), NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return Invalid("common name must be valid UTF-8 of at most 64 characters");
  }
  return cert;
}

// Adds extension `nid` written in OpenSSL's config syntax. `value` is always one of our fixed
// literals, never caller text. `issuer` supplies the authority key identifier.
absl::Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr extension(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (extension == nullptr || X509_add_ext(cert, extension.get(), -1) != 1) {
    return OpenSslFailure(absl::StrCat("add the ", OBJ_nid2sn(nid), " extension"));
  }
  return absl::OkStatus();
}

// Appends a general name of `type` holding `value` (consumed) to `names`.
absl::Status AppendGeneralName(GENERAL_NAMES* names, int type, Asn1OctetStringPtr value) {
  GeneralNamePtr name(GENERAL_NAME_new());
  if (value == nullptr || name == nullptr) return OpenSslFailure("build a subject alt name");
  GENERAL_NAME_set0_value(name.get(), type, value.release());
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) {
    return OpenSslFailure("list a subject alt name");
  }
  name.release();  // now owned by `names`
  return absl::OkStatus();
}

// A URI or DNS name, stored as an IA5String (same ASN1_STRING representation as an octet string).
absl::Status AppendTextName(GENERAL_NAMES* names, int type, std::string_view text) {
  if (text.empty() || text.size() > kMaxNameBytes || HasNul(text)) {
    return Invalid("URI and DNS names must be 1 to 1024 bytes with no NUL byte");
  }
  Asn1OctetStringPtr value(ASN1_IA5STRING_new());
  if (value == nullptr ||
      ASN1_STRING_set(value.get(), text.data(), static_cast<int>(text.size())) != 1) {
    return OpenSslFailure("encode a subject alt name");
  }
  return AppendGeneralName(names, type, std::move(value));
}

// An IP address in strict inet_pton syntax: dotted-quad IPv4 or textual IPv6.
absl::Status AppendIpAddress(GENERAL_NAMES* names, const std::string& text) {
  unsigned char address[16];
  int length = 0;
  if (!HasNul(text) && inet_pton(AF_INET, text.c_str(), address) == 1) {
    length = 4;
  } else if (!HasNul(text) && inet_pton(AF_INET6, text.c_str(), address) == 1) {
    length = 16;
  } else {
    return Invalid("IP subject alt name is not a dotted IPv4 or textual IPv6 address");
  }
  Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
  if (value == nullptr || ASN1_OCTET_STRING_set(value.get(), address, length) != 1) {
    return OpenSslFailure("encode an IP subject alt name");
  }
  return AppendGeneralName(names, GEN_IPADD, std::move(value));
}

// Every SAN in `spec`, in the order URIs, DNS names, IPs. Possibly empty.
absl::StatusOr<GeneralNamesPtr> BuildSubjectAltNames(const CertificateSpec& spec) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (names == nullptr) return OpenSslFailure("allocate subject alt names");
  for (const std::string& uri : spec.uri_sans) {
    RETURN_IF_ERROR(AppendTextName(names.get(), GEN_URI, uri));
  }
  for (const std::string& dns : spec.dns_sans) {
    RETURN_IF_ERROR(AppendTextName(names.get(), GEN_DNS, dns));
  }
  for (const std::string& ip : spec.ip_sans) RETURN_IF_ERROR(AppendIpAddress(names.get(), ip));
  return names;
}

// The extendedKeyUsage value for `spec`; empty when the extension is to be left out.
absl::StatusOr<std::string> ExtendedKeyUsageValue(const CertificateSpec& spec) {
  if (spec.omit_extended_key_usage) return std::string();
  if (spec.client_auth && spec.server_auth) return std::string("clientAuth,serverAuth");
  if (spec.client_auth) return std::string("clientAuth");
  if (spec.server_auth) return std::string("serverAuth");
  return Invalid("a certificate needs clientAuth or serverAuth unless its EKU is omitted");
}

struct SigningAuthority {
  X509Ptr cert;
  EvpPkeyPtr key;
};

// The CA from PEM. INVALID_ARGUMENT unless both parse, the key matches the certificate and the
// certificate is a CA (basicConstraints CA:TRUE).
absl::StatusOr<SigningAuthority> LoadAuthority(const KeyAndCertificate& ca) {
  SigningAuthority authority{internal::ReadCertificatePem(ca.certificate_pem),
                             internal::ReadPrivateKeyPem(ca.private_key_pem)};
  if (authority.cert == nullptr || authority.key == nullptr) {
    return Invalid("CA certificate or private key does not parse");
  }
  if (X509_check_private_key(authority.cert.get(), authority.key.get()) != 1) {
    return Invalid("CA private key does not match the CA certificate");
  }
  if (X509_check_ca(authority.cert.get()) != 1) return Invalid("CA certificate is not a CA");
  return authority;
}

// Signs `cert` with `signing_key` (SHA-256) and returns it with `subject_key`, both as PEM.
absl::StatusOr<KeyAndCertificate> SignAndEncode(X509* cert, EVP_PKEY* subject_key,
                                                EVP_PKEY* signing_key) {
  if (X509_sign(cert, signing_key, EVP_sha256()) <= 0) return OpenSslFailure("sign a certificate");
  KeyAndCertificate result;
  ASSIGN_OR_RETURN(result.private_key_pem, internal::PrivateKeyToPem(subject_key));
  ASSIGN_OR_RETURN(result.certificate_pem, internal::CertificateToPem(cert));
  return result;
}

}  // namespace

absl::StatusOr<KeyAndCertificate> CreateCertificateAuthority(std::string_view common_name,
                                                             int validity_days) {
  ASSIGN_OR_RETURN(EvpPkeyPtr key, NewP256Key());
  ASSIGN_OR_RETURN(X509Ptr cert, NewUnsignedCertificate(key.get(), common_name, validity_days));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) {
    return OpenSslFailure("set the issuer name");
  }
  // pathlen:0 — this CA signs leaves only, never another CA.
  RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  RETURN_IF_ERROR(AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  return SignAndEncode(cert.get(), key.get(), key.get());
}

absl::StatusOr<KeyAndCertificate> IssueCertificate(const KeyAndCertificate& ca,
                                                   const CertificateSpec& spec) {
  ASSIGN_OR_RETURN(SigningAuthority authority, LoadAuthority(ca));
  ASSIGN_OR_RETURN(GeneralNamesPtr names, BuildSubjectAltNames(spec));
  ASSIGN_OR_RETURN(std::string extended_key_usage, ExtendedKeyUsageValue(spec));
  ASSIGN_OR_RETURN(EvpPkeyPtr key, NewP256Key());
  ASSIGN_OR_RETURN(X509Ptr cert,
                   NewUnsignedCertificate(key.get(), spec.common_name, spec.validity_days));
  X509* issuer = authority.cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1) {
    return OpenSslFailure("set the issuer name");
  }
  RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature"));
  if (!extended_key_usage.empty()) {
    RETURN_IF_ERROR(
        AddExtension(cert.get(), issuer, NID_ext_key_usage, extended_key_usage.c_str()));
  }
  RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExtension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always"));
  if (sk_GENERAL_NAME_num(names.get()) > 0 &&
      X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) !=
          1) {
    return OpenSslFailure("add the subjectAltName extension");
  }
  return SignAndEncode(cert.get(), key.get(), authority.key.get());
}

}  // namespace confidant::pki
