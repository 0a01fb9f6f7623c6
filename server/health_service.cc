#include "server/health_service.h"

#include "base/status_macros.h"
#include "server/call.h"

namespace confidant::server {

grpc::Status HealthServiceImpl::Check(grpc::ServerContext* context,
                                      const grpc::health::v1::HealthCheckRequest* request,
                                      grpc::health::v1::HealthCheckResponse* response) {
  return Serve(context, *request, "HealthCheck", policy::Action::kCheckHealth,
               [&](Call& call) -> absl::Status {
                 // Answers while sealed too: that is what a probe needs to know.
                 RETURN_IF_ERROR(BeginEvenIfSealed(state_, *context, call));
                 RETURN_IF_ERROR(Authorize(call, policy::Action::kCheckHealth));
                 if (!request->service().empty()) {
                   return absl::NotFoundError(
                       "service: confidantd reports health only for the whole server (\"\")");
                 }
                 response->set_status(call.vault != nullptr
                                          ? grpc::health::v1::HealthCheckResponse::SERVING
                                          : grpc::health::v1::HealthCheckResponse::NOT_SERVING);
                 return absl::OkStatus();
               });
}

}  // namespace confidant::server
