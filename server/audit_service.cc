#include "server/audit_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "crypto/asymmetric.h"
#include "crypto/key_transition.h"
#include "proto/log_key_format.h"
#include "server/call.h"

namespace confidant::server {

using policy::Action;

grpc::Status LogServiceImpl::GetCheckpoint(grpc::ServerContext* context,
                                           const v1::GetCheckpointRequest* request,
                                           v1::GetCheckpointResponse* response) {
  return Serve(context, *request, "GetCheckpoint", Action::kReadCheckpoint, [&](Call& call) {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kReadCheckpoint));
    const audit::AuditLog& log = *call.vault->log;
    // With witnesses, the newest checkpoint they have all cosigned; else the newest signed one.
    *response->mutable_checkpoint() = call.vault->pusher
                                          ? call.vault->pusher->ToServe(log.LatestCheckpoint())
                                          : log.LatestCheckpoint();
    // The checkpoint key chain must reach the key of that checkpoint. The log takes a new key
    // into use just before the rotation publishes it here: wait out that moment.
    VaultKeys::SigningKey checkpoint_key;
    for (int attempt = 0; attempt < 1000; ++attempt) {
      checkpoint_key = call.vault->keys->CurrentSigningKey(crypto::kCheckpointKeyPurpose);
      if (checkpoint_key.key->public_key == log.CheckpointPublicKey()) break;
      absl::SleepFor(absl::Milliseconds(1));
    }
    const VaultKeys::SigningKey identity =
        call.vault->keys->CurrentSigningKey(crypto::kIdentityKeyPurpose);
    const std::string& public_key = checkpoint_key.key->public_key;
    response->set_log_public_key(public_key);
    response->set_log_key_signature(
        crypto::Sign(*identity.key,
                     LogKeyStatement(log.origin(), public_key, checkpoint_key.transitions)));
    for (const std::string& note : identity.transitions) response->add_identity_transitions(note);
    for (const std::string& note : checkpoint_key.transitions) {
      response->add_checkpoint_transitions(note);
    }
    return absl::OkStatus();
  });
}

grpc::Status LogServiceImpl::GetConsistencyProof(grpc::ServerContext* context,
                                                 const v1::GetConsistencyProofRequest* request,
                                                 v1::ConsistencyProof* response) {
  return Serve(context, *request, "GetConsistencyProof", Action::kReadCheckpoint, [&](Call& call) {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kReadCheckpoint));
    if (request->old_size() > request->new_size()) {
      return absl::InvalidArgumentError("old_size: larger than new_size");
    }
    ASSIGN_OR_RETURN(std::vector<crypto::Hash> proof,
                     call.vault->log->ConsistencyProof(request->old_size(), request->new_size()));
    for (const crypto::Hash& hash : proof) response->add_hashes(crypto::HashToString(hash));
    return absl::OkStatus();
  });
}

grpc::Status AuditServiceImpl::GetEntries(grpc::ServerContext* context,
                                          const v1::GetEntriesRequest* request,
                                          grpc::ServerWriter<v1::AuditEntry>* writer) {
  return Serve(context, *request, "GetEntries", Action::kReadAudit, [&](Call& call) {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kReadAudit));
    const uint64_t size = call.vault->log->LatestCheckpoint().tree_size();
    const uint64_t end = request->end() == 0 ? size : request->end();
    if (request->start() > end || end > size) {
      return absl::InvalidArgumentError("start/end: outside the log");
    }
    if (end - request->start() > kMaxEntriesPerCall) {
      return absl::InvalidArgumentError(
          absl::StrCat("start/end: at most ", kMaxEntriesPerCall, " entries per call"));
    }
    call.event.set_detail(absl::StrCat("entries ", request->start(), "..", end));
    RETURN_IF_ERROR(RecordAllowed(call).status());  // before any entry leaves the vault
    return call.vault->log->ReadEntries(request->start(), end, [&](const v1::AuditEntry& entry) {
      return writer->Write(entry);
    });
  });
}

grpc::Status AuditServiceImpl::GetInclusionProof(grpc::ServerContext* context,
                                                 const v1::GetInclusionProofRequest* request,
                                                 v1::InclusionProof* response) {
  return Serve(context, *request, "GetInclusionProof", Action::kReadAudit, [&](Call& call) {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kReadAudit));
    ASSIGN_OR_RETURN(std::vector<crypto::Hash> proof,
                     call.vault->log->InclusionProof(request->index(), request->tree_size()));
    for (const crypto::Hash& hash : proof) response->add_hashes(crypto::HashToString(hash));
    return absl::OkStatus();
  });
}

}  // namespace confidant::server
