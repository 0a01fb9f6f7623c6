#include "server/record_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "crypto/random.h"
#include "proto/record_validation.h"
#include "server/peer_identity.h"

namespace confidant::server {
namespace {

// What every handler knows once the caller is authenticated, the vault open and access decided.
struct Call {
  std::string principal;
  std::shared_ptr<OpenVault> vault;
  std::shared_ptr<const policy::Authorizer> authorizer;
  policy::Decision decision;
};

// Authenticates the peer, refuses while sealed, and refuses principals the policy does not know.
absl::StatusOr<Call> Begin(VaultState& state, grpc::ServerContext& context) {
  Call call;
  ASSIGN_OR_RETURN(call.principal, AuthenticatedPrincipal(context));
  ASSIGN_OR_RETURN(call.vault, state.Open());
  call.authorizer = state.authorizer();
  if (call.authorizer->policy().FindPrincipal(call.principal) == nullptr) {
    return absl::UnauthenticatedError("this certificate's principal is not in the policy");
  }
  return call;
}

// Decides `action` for the caller; PERMISSION_DENIED naming the rule unless allowed.
absl::Status Authorize(Call& call, policy::Action action,
                       policy::v1::Purpose purpose = policy::v1::PURPOSE_UNSPECIFIED) {
  call.decision = call.authorizer->Decide({call.principal, action, purpose});
  if (call.decision.allowed()) return absl::OkStatus();
  if (call.decision.outcome == policy::Decision::Outcome::kUnknownPrincipal) {
    return absl::UnauthenticatedError("this certificate's principal is not in the policy");
  }
  return absl::PermissionDeniedError(absl::StrCat("denied by policy (", call.decision.rule, ")"));
}

// Runs `body` and logs one line per RPC: method, request id, status code. Never content.
template <typename Body>
grpc::Status Serve(grpc::ServerContext* context, std::string_view method, Body body) {
  const std::string request_id = crypto::RandomHexId(8);
  context->AddTrailingMetadata("x-request-id", request_id);
  const absl::Status status = body();
  LogEvent(status.ok() ? LogLevel::kInfo : LogLevel::kWarning, "rpc",
           {{"method", method},
            {"request_id", request_id},
            {"code", absl::StatusCodeToString(status.code())}});
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kUnknown) {
    LogEvent(LogLevel::kError, "rpc_failure",
             {{"request_id", request_id},
              {"detail", std::string_view(status.message().data(), status.message().size())}});
  }
  return ToGrpcStatus(status);
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      message = "internal error";
      break;
    case absl::StatusCode::kUnavailable:
      message = "the vault cannot reach its storage; try again later";
      break;
    default:
      break;
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message);
}

grpc::Status RecordServiceImpl::GetIntakeKey(grpc::ServerContext* context,
                                             const v1::GetIntakeKeyRequest*,
                                             v1::IntakeKey* response) {
  return Serve(context, "GetIntakeKey", [&]() -> absl::Status {
    ASSIGN_OR_RETURN(Call call, Begin(state_, *context));
    RETURN_IF_ERROR(Authorize(call, policy::Action::kGetIntakeKey));
    const IntakeKeyVersion& intake = call.vault->keys->current_intake();
    response->set_version(intake.version);
    response->set_public_key(intake.key_pair.public_key);
    response->set_created_unix_seconds(intake.created_unix_seconds);
    response->set_signature(intake.signature);
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::SubmitRecord(grpc::ServerContext* context,
                                             const v1::SubmitRecordRequest* request,
                                             v1::SubmitRecordResponse* response) {
  return Serve(context, "SubmitRecord", [&]() -> absl::Status {
    ASSIGN_OR_RETURN(Call call, Begin(state_, *context));
    RETURN_IF_ERROR(Authorize(call, policy::Action::kSubmitRecord));
    ASSIGN_OR_RETURN(*response,
                     call.vault->records.Submit(call.principal, *request, *call.authorizer));
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::GetRecord(grpc::ServerContext* context,
                                          const v1::GetRecordRequest* request,
                                          v1::GetRecordResponse* response) {
  return Serve(context, "GetRecord", [&]() -> absl::Status {
    ASSIGN_OR_RETURN(Call call, Begin(state_, *context));
    RETURN_IF_ERROR(ValidateRecordId(request->record_id()));
    if (request->purpose() == v1::PURPOSE_UNSPECIFIED || !v1::Purpose_IsValid(request->purpose())) {
      return absl::InvalidArgumentError("purpose: a known purpose code is required");
    }
    if (request->reason().size() > kMaxReasonBytes) {
      return absl::InvalidArgumentError("reason: longer than 500 bytes");
    }
    RETURN_IF_ERROR(Authorize(call, policy::Action::kGetRecord,
                              static_cast<policy::v1::Purpose>(request->purpose())));
    ASSIGN_OR_RETURN(*response, call.vault->records.Get(request->record_id(), call.decision));
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::ListRecords(grpc::ServerContext* context,
                                            const v1::ListRecordsRequest* request,
                                            v1::ListRecordsResponse* response) {
  return Serve(context, "ListRecords", [&]() -> absl::Status {
    ASSIGN_OR_RETURN(Call call, Begin(state_, *context));
    RETURN_IF_ERROR(Authorize(call, policy::Action::kListRecords));
    ASSIGN_OR_RETURN(*response, call.vault->records.List(*request));
    return absl::OkStatus();
  });
}

}  // namespace confidant::server
