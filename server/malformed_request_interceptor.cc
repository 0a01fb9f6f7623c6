#include "server/malformed_request_interceptor.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "server/peer_identity.h"

namespace confidant::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

// gRPC's own answer to a request payload that does not parse (grpcpp's GenericDeserialize:
// INTERNAL with the message's missing-required-fields list, empty for proto3, or "No payload").
// The handlers never answer INTERNAL with either message (server/call.cc names every failure).
bool IsParseFailure(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::INTERNAL &&
         (status.error_message().empty() || status.error_message() == "No payload");
}

class MalformedRequestInterceptor : public grpc::experimental::Interceptor {
 public:
  MalformedRequestInterceptor(grpc::experimental::ServerRpcInfo* info, VaultState& state)
      : info_(info), state_(state) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        IsParseFailure(methods->GetSendStatus())) {
      const std::string method = info_->method() != nullptr ? info_->method() : "";
      methods->ModifySendStatus(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, MalformedRequestMessage(method)));
      Trace(method);
    }
    methods->Proceed();
  }

 private:
  void Trace(const std::string& method) {
    LogEvent(LogLevel::kWarning, "malformed_request", {{"method", method}});
    if (info_->server_context() == nullptr) return;
    absl::StatusOr<std::string> principal = AuthenticatedPrincipal(*info_->server_context());
    if (!principal.ok()) return;  // no certificate of our CA: no audit entry (item 8's scope)
    v1::AuditEvent event;
    event.set_action("malformed_request");
    event.set_principal(*principal);
    event.set_decision(v1::DENY);
    event.set_rule("deny:malformed-request");
    event.set_status_code("INVALID_ARGUMENT");
    event.set_detail(method.substr(0, 200));
    absl::StatusOr<std::shared_ptr<OpenVault>> vault = state_.Open();
    if (!vault.ok()) {
      state_.Hold(std::move(event), /*allowed_by_policy=*/false, /*mergeable=*/true);
      return;
    }
    if (!(*vault)->recorder.RecordMergeable(std::move(event)).ok()) {
      LogEvent(LogLevel::kError, "audit_write_failed", {{"method", method}});
    }
  }

  grpc::experimental::ServerRpcInfo* info_;
  VaultState& state_;
};

}  // namespace

std::string MalformedRequestMessage(const std::string& method) {
  return absl::StrCat("the request could not be read as a ", method.substr(0, 200),
                      " message (not protobuf, a string field that is not UTF-8, or nesting "
                      "too deep)");
}

grpc::experimental::Interceptor* MalformedRequestInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MalformedRequestInterceptor(info, state_);
}

}  // namespace confidant::server
