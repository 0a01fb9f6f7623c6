#include "pki/pem.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "absl/status/status.h"

namespace confidant::pki::internal {
namespace {

// Far above any certificate or key we issue or accept; bounds the work done on hostile input.
constexpr size_t kMaxPemBytes = 64 * 1024;

// A passphrase callback that supplies none, so OpenSSL never prompts on the terminal.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

BioPtr ReadOnlyBio(std::string_view pem) {
  if (pem.empty() || pem.size() > kMaxPemBytes) return nullptr;
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Copies everything written to `bio` into a string.
absl::StatusOr<std::string> DrainBio(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) return absl::InternalError("PEM encoding produced no output");
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

X509Ptr ReadCertificatePem(std::string_view pem) {
  BioPtr bio = ReadOnlyBio(pem);
  X509Ptr cert;
  if (bio != nullptr) cert.reset(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  if (cert == nullptr) ERR_clear_error();
  return cert;
}

EvpPkeyPtr ReadPrivateKeyPem(std::string_view pem) {
  BioPtr bio = ReadOnlyBio(pem);
  EvpPkeyPtr key;
  if (bio != nullptr) {
    key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  }
  if (key == nullptr) ERR_clear_error();
  return key;
}

absl::StatusOr<std::string> CertificateToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    ERR_clear_error();
    return absl::InternalError("could not encode the certificate as PEM");
  }
  return DrainBio(bio.get());
}

absl::StatusOr<std::string> PrivateKeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return absl::InternalError("could not encode the private key as PEM");
  }
  return DrainBio(bio.get());
}

}  // namespace confidant::pki::internal
