// Requests that do not parse (invalid UTF-8 in a string field, groups nested past protobuf's
// limit, bytes that are no protobuf at all) never reach a handler: gRPC answers them itself with
// INTERNAL and an empty message, and nothing is logged or audited. This interceptor turns that
// answer into INVALID_ARGUMENT with a clear message and treats the call like any other: it costs
// the caller's call budget (past it: RESOURCE_EXHAUSTED, merged into the hourly
// call_budget_exceeded entry, no log line), and leaves one operational log line and an audit
// denial for the certificate's principal, merged with its repeats like every denial
// (server/audit_recorder.h), or held while the vault is sealed (issue 13, item 8).
#ifndef CONFIDANT_SERVER_MALFORMED_REQUEST_INTERCEPTOR_H_
#define CONFIDANT_SERVER_MALFORMED_REQUEST_INTERCEPTOR_H_

#include <string>

#include "grpcpp/support/server_interceptor.h"
#include "server/vault_state.h"

namespace confidant::server {

// The message a malformed request gets (INVALID_ARGUMENT), naming the method.
std::string MalformedRequestMessage(const std::string& method);

// Thread-safe. Borrows `state`, which must outlive every server built with it.
class MalformedRequestInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MalformedRequestInterceptorFactory(VaultState& state) : state_(state) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  VaultState& state_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_MALFORMED_REQUEST_INTERCEPTOR_H_
