// The gRPC health check (grpc.health.v1.Health/Check, proto/confidant/v1/health.proto) on the
// main listener: SERVING while the vault is unsealed, NOT_SERVING while sealed. Only a person
// the policy knows may ask (UNAUTHENTICATED otherwise), and every call is audited like any
// other ("check_health"; repeats merge, so a probe polling every second costs a few entries an
// hour, and while sealed they wait merged in VaultState). The reporting listener serves no
// health check. Watch is not served (UNIMPLEMENTED).
#ifndef CONFIDANT_SERVER_HEALTH_SERVICE_H_
#define CONFIDANT_SERVER_HEALTH_SERVICE_H_

#include "confidant/v1/health.grpc.pb.h"
#include "server/vault_state.h"

namespace confidant::server {

class HealthServiceImpl final : public grpc::health::v1::Health::Service {
 public:
  explicit HealthServiceImpl(VaultState& state) : state_(state) {}

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;

 private:
  VaultState& state_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_HEALTH_SERVICE_H_
