#include "server/peer_identity.h"

#include <memory>

#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "pki/certificates.h"

namespace confidant::server {

absl::StatusOr<std::string> AuthenticatedPrincipal(const grpc::ServerContextBase& context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("a verified client certificate is required");
  }
  const std::vector<grpc::string_ref> pems = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.size() != 1) {
    return absl::UnauthenticatedError("exactly one client certificate is required");
  }
  // Copied by pointer and length: the property is not NUL-terminated.
  return pki::ClientPrincipalFromPem(std::string_view(pems[0].data(), pems[0].size()));
}

}  // namespace confidant::server
