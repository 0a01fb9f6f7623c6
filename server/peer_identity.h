// The caller's principal, read from the mTLS peer certificate on every RPC.
#ifndef CONFIDANT_SERVER_PEER_IDENTITY_H_
#define CONFIDANT_SERVER_PEER_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"

namespace confidant::server {

// The single URI SAN of the verified client certificate. UNAUTHENTICATED if the connection is
// not an authenticated TLS peer, carries no or several leaf certificates, or the certificate
// does not satisfy pki::ClientPrincipalFromPem (one URI SAN, clientAuth EKU).
absl::StatusOr<std::string> AuthenticatedPrincipal(const grpc::ServerContextBase& context);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_PEER_IDENTITY_H_
