// PolicyService over gRPC: reload (custodians), explain and who-can (auditors). Every call is
// audited through Serve.
#ifndef CONFIDANT_SERVER_POLICY_SERVICE_H_
#define CONFIDANT_SERVER_POLICY_SERVICE_H_

#include <functional>

#include "confidant/v1/policy_service.grpc.pb.h"
#include "server/policy_gate.h"
#include "server/vault_state.h"

namespace confidant::server {

class PolicyServiceImpl final : public v1::PolicyService::Service {
 public:
  using Reload = std::function<absl::StatusOr<LoadedPolicy>(std::string_view requested_by)>;
  PolicyServiceImpl(VaultState& state, Reload reload)
      : state_(state), reload_(std::move(reload)) {}

  grpc::Status ReloadPolicy(grpc::ServerContext* context, const v1::ReloadPolicyRequest* request,
                            v1::ReloadPolicyResponse* response) override;
  grpc::Status ExplainDecision(grpc::ServerContext* context,
                               const v1::ExplainDecisionRequest* request,
                               v1::ExplainDecisionResponse* response) override;
  grpc::Status WhoCan(grpc::ServerContext* context, const v1::WhoCanRequest* request,
                      v1::WhoCanResponse* response) override;

 private:
  VaultState& state_;
  Reload reload_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_POLICY_SERVICE_H_
