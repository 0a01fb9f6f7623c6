// The break-glass RPCs and GetRecord as one dev identity of a running vault, for end-to-end
// tests: each call gets its own channel and a deadline. Header-only.
#ifndef CONFIDANT_TESTS_E2E_BREAK_GLASS_CALLS_H_
#define CONFIDANT_TESTS_E2E_BREAK_GLASS_CALLS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "confidant/v1/record_service.grpc.pb.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"

namespace confidant::testing {

inline std::unique_ptr<v1::RecordService::Stub> RecordStubAs(const VaultProcess& vault,
                                                             const std::string& role) {
  return v1::RecordService::NewStub(ChannelAs(vault, role));
}

// RequestBreakGlass; the new request's id goes to `request_id` when given.
inline grpc::Status RequestBreakGlassAs(const VaultProcess& vault, const std::string& role,
                                        const std::string& record_id, v1::Purpose purpose,
                                        const std::string& reason,
                                        std::string* request_id = nullptr) {
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::RequestBreakGlassRequest request;
  request.set_record_id(record_id);
  request.set_purpose(purpose);
  request.set_reason(reason);
  v1::RequestBreakGlassResponse response;
  grpc::Status status = RecordStubAs(vault, role)->RequestBreakGlass(&context, request, &response);
  if (request_id != nullptr) *request_id = response.request_id();
  return status;
}

// One page of ListBreakGlassRequests (page size 0: the server's default); `mine`: the caller's
// own requests.
inline grpc::Status ListBreakGlassAs(const VaultProcess& vault, const std::string& role,
                                     v1::ListBreakGlassRequestsResponse* out,
                                     uint32_t page_size = 0, const std::string& page_token = "",
                                     bool mine = false) {
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::ListBreakGlassRequestsRequest request;
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  request.set_mine(mine);
  return RecordStubAs(vault, role)->ListBreakGlassRequests(&context, request, out);
}

inline grpc::Status DecideBreakGlassAs(const VaultProcess& vault, const std::string& role,
                                       const std::string& request_id, bool approve,
                                       v1::DecideBreakGlassResponse* out = nullptr) {
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::DecideBreakGlassRequest request;
  request.set_request_id(request_id);
  request.set_approve(approve);
  v1::DecideBreakGlassResponse response;
  grpc::Status status = RecordStubAs(vault, role)->DecideBreakGlass(&context, request, &response);
  if (out != nullptr) *out = response;
  return status;
}

inline grpc::Status GetRecordAs(const VaultProcess& vault, const std::string& role,
                                const std::string& record_id, v1::Purpose purpose,
                                v1::GetRecordResponse* out = nullptr) {
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::GetRecordRequest request;
  request.set_record_id(record_id);
  request.set_purpose(purpose);
  v1::GetRecordResponse response;
  grpc::Status status = RecordStubAs(vault, role)->GetRecord(&context, request, &response);
  if (out != nullptr) *out = response;
  return status;
}

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_BREAK_GLASS_CALLS_H_
