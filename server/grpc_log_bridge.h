// Routes gRPC's own log lines into the operational log, and counts failed TLS handshakes
// (which never reach a handler, so never reach the audit log).
#ifndef CONFIDANT_SERVER_GRPC_LOG_BRIDGE_H_
#define CONFIDANT_SERVER_GRPC_LOG_BRIDGE_H_

#include <cstdint>

namespace confidant::server {

// Installs the bridge (gpr_set_log_function). Idempotent; call before starting gRPC.
void InstallGrpcLogBridge();

// Failed TLS handshakes since start (no certificate, another CA, wrong usage, bad TLS).
uint64_t TlsHandshakeFailures();

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_GRPC_LOG_BRIDGE_H_
