#include "server/audit_service.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "crypto/asymmetric.h"
#include "crypto/key_transition.h"
#include "proto/log_key_format.h"
#include "proto/record_validation.h"
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

grpc::Status LogServiceImpl::GetReceiptProof(grpc::ServerContext* context,
                                             const v1::GetReceiptProofRequest* request,
                                             v1::ReceiptProof* response) {
  return Serve(context, *request, "GetReceiptProof", Action::kReadCheckpoint, [&](Call& call) {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kReadCheckpoint));
    RETURN_IF_ERROR(ValidateRecordId(request->record_id()));
    const audit::AuditLog& log = *call.vault->log;
    const uint64_t size = log.LatestCheckpoint().tree_size();
    if (request->audit_index() >= request->tree_size() || request->tree_size() > size) {
      return absl::InvalidArgumentError(
          "tree_size: must be larger than audit_index and at most the log's size");
    }
    // The same answer for an entry of someone else, another record, or a refusal: nothing is
    // learnt about entries that are not the caller's own submissions.
    const absl::Status not_yours =
        absl::NotFoundError("no submission of this record by you at this audit index");
    bool yours = false;
    RETURN_IF_ERROR(log.ReadEntries(request->audit_index(), request->audit_index() + 1,
                                    [&](const v1::AuditEntry& entry) {
      const v1::AuditEvent& e = entry.event();
      yours = e.principal() == call.principal && e.status_code() == "OK" &&
              (e.action() == policy::ActionName(Action::kSubmitRecord) ||
               e.action() == policy::ActionName(Action::kAmendRecord)) &&
              std::find(e.record_ids().begin(), e.record_ids().end(), request->record_id()) !=
                  e.record_ids().end();
      if (yours) response->set_leaf(entry.leaf());
      return false;
    }));
    if (!yours) return not_yours;
    ASSIGN_OR_RETURN(std::vector<crypto::Hash> proof,
                     log.InclusionProof(request->audit_index(), request->tree_size()));
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
