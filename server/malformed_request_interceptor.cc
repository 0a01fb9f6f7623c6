#include "server/malformed_request_interceptor.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "server/call.h"
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
      methods->ModifySendStatus(Trace(method));
    }
    methods->Proceed();
  }

 private:
  // Charges the caller's call budget like any call (server/call.cc), audits the call, and
  // returns the status to send: INVALID_ARGUMENT, or RESOURCE_EXHAUSTED past the budget (then
  // merged into the caller's hourly call_budget_exceeded entry, and not logged line by line).
  grpc::Status Trace(const std::string& method) {
    const grpc::Status malformed(grpc::StatusCode::INVALID_ARGUMENT,
                                 MalformedRequestMessage(method));
    absl::StatusOr<std::string> principal =
        info_->server_context() != nullptr ? AuthenticatedPrincipal(*info_->server_context())
                                           : absl::UnauthenticatedError("no context");
    if (!principal.ok()) {  // no certificate of our CA: gRPC's TLS refused it already
      LogEvent(LogLevel::kWarning, "malformed_request", {{"method", method}});
      return malformed;
    }
    v1::AuditEvent event;
    event.set_principal(*principal);
    event.set_detail(method.substr(0, 200));
    absl::StatusOr<std::shared_ptr<OpenVault>> vault = state_.Open();
    if (!vault.ok()) {
      LogEvent(LogLevel::kWarning, "malformed_request", {{"method", method}});
      event.set_action("malformed_request");
      event.set_decision(v1::DENY);
      event.set_rule("deny:malformed-request");
      event.set_status_code("INVALID_ARGUMENT");
      state_.Hold(std::move(event), /*allowed_by_policy=*/false, /*mergeable=*/true);
      return malformed;
    }
    const std::shared_ptr<const policy::Authorizer> authorizer = state_.authorizer();
    const absl::Status budget =
        ChargeCallBudget((*vault)->quotas, authorizer->policy(),
                         authorizer->policy().FindPerson(*principal), *principal, event);
    if (!budget.ok()) {
      event.set_status_code("RESOURCE_EXHAUSTED");  // the rest set by ChargeCallBudget
    } else {
      LogEvent(LogLevel::kWarning, "malformed_request", {{"method", method}});
      event.set_action("malformed_request");
      event.set_decision(v1::DENY);
      event.set_rule("deny:malformed-request");
      event.set_status_code("INVALID_ARGUMENT");
    }
    const absl::Status audited = (*vault)->recorder.RecordMergeable(
        std::move(event), budget.ok() ? kDenialMergeWindowSeconds : kOverBudgetMergeSeconds);
    if (!audited.ok()) LogEvent(LogLevel::kError, "audit_write_failed", {{"method", method}});
    if (!budget.ok()) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, std::string(budget.message()));
    }
    return malformed;
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
