#include "witness/witness_service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "crypto/signed_note.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "pki/certificates.h"

namespace confidant::witness {
namespace {

// The single URI SAN of the verified client certificate (gRPC has checked the chain to
// --client_ca). UNAUTHENTICATED otherwise.
absl::StatusOr<std::string> CallerPrincipal(const grpc::ServerContext& context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("a verified client certificate is required");
  }
  const std::vector<grpc::string_ref> pems =
      auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.size() != 1) return absl::UnauthenticatedError("exactly one client certificate is required");
  return pki::ClientPrincipalFromPem(std::string_view(pems[0].data(), pems[0].size()));
}

// Codes whose messages the witness wrote itself (fixed text, sizes): safe to return.
bool IsRefusal(absl::StatusCode code) {
  return code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kUnauthenticated ||
         code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kDataLoss;
}

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (IsRefusal(status.code())) return grpc::Status(code, std::string(status.message()));
  return grpc::Status(code, "witness cannot record this checkpoint now; retry later");
}

// The request's checkpoint note, after checking that the proto's convenience fields, when set,
// agree with it (the note alone is signed).
absl::StatusOr<std::string> CheckedNote(const v1::Checkpoint& checkpoint) {
  if (checkpoint.note().size() > kMaxNoteBytes) {
    return absl::InvalidArgumentError("checkpoint note too large");
  }
  absl::StatusOr<crypto::SplitNote> split = crypto::SplitSignedNote(checkpoint.note());
  if (!split.ok()) return absl::InvalidArgumentError("not a signed checkpoint note");
  absl::StatusOr<crypto::CheckpointBody> body = crypto::ParseCheckpointBody(split->body);
  if (!body.ok()) return absl::InvalidArgumentError("not a signed checkpoint note");
  const std::string root(body->root.begin(), body->root.end());
  if ((checkpoint.tree_size() != 0 && checkpoint.tree_size() != body->tree_size) ||
      (!checkpoint.root_hash().empty() && checkpoint.root_hash() != root) ||
      (checkpoint.time_unix_seconds() != 0 &&
       checkpoint.time_unix_seconds() != body->time_unix_seconds)) {
    return absl::InvalidArgumentError("checkpoint fields do not match its note");
  }
  return checkpoint.note();
}

absl::StatusOr<std::vector<crypto::Hash>> ProofHashes(const v1::AddCheckpointRequest& request) {
  if (request.consistency_proof_size() > kMaxProofHashes) {
    return absl::InvalidArgumentError("consistency proof too long");
  }
  std::vector<crypto::Hash> proof;
  for (const std::string& bytes : request.consistency_proof()) {
    absl::StatusOr<crypto::Hash> hash = crypto::HashFromString(bytes);
    if (!hash.ok()) return absl::InvalidArgumentError("consistency proof hashes must be 32 bytes");
    proof.push_back(*hash);
  }
  return proof;
}

// Checks the request's note and proof, then lets the witness decide (and persist).
absl::StatusOr<std::string> Cosign(Witness& witness, const v1::AddCheckpointRequest& request,
                                   uint64_t now_unix_seconds) {
  ASSIGN_OR_RETURN(const std::string note, CheckedNote(request.checkpoint()));
  ASSIGN_OR_RETURN(const std::vector<crypto::Hash> proof, ProofHashes(request));
  if (request.key_transitions_size() > kMaxKeyTransitions) {
    return absl::InvalidArgumentError("too many key transitions");
  }
  const std::vector<std::string> transitions(request.key_transitions().begin(),
                                             request.key_transitions().end());
  return witness.AddCheckpoint(request.old_size(), note, proof, now_unix_seconds, transitions);
}

uint64_t WallClockSeconds() {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return now < 0 ? 0 : static_cast<uint64_t>(now);
}

}  // namespace

WitnessServiceImpl::WitnessServiceImpl(Witness& witness, std::function<uint64_t()> now_unix_seconds)
    : witness_(witness),
      now_unix_seconds_(now_unix_seconds ? std::move(now_unix_seconds) : WallClockSeconds) {}

grpc::Status WitnessServiceImpl::AddCheckpoint(grpc::ServerContext* context,
                                               const v1::AddCheckpointRequest* request,
                                               v1::AddCheckpointResponse* response) {
  absl::StatusOr<std::string> caller = CallerPrincipal(*context);
  if (!caller.ok()) {
    LogEvent(LogLevel::kWarning, "witness_add_checkpoint", {{"code", "UNAUTHENTICATED"}});
    return ToGrpc(caller.status());
  }
  if (!witness_.MayPush(*caller)) {
    LogEvent(LogLevel::kWarning, "witness_add_checkpoint",
             {{"caller", *caller}, {"code", "PERMISSION_DENIED"}});
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "this principal may not push checkpoints to this witness");
  }
  absl::StatusOr<std::string> cosigned = Cosign(witness_, *request, now_unix_seconds_());
  const std::string code = absl::StatusCodeToString(cosigned.status().code());
  const std::string old_size = absl::StrCat(request->old_size());
  const std::string witness_size = absl::StrCat(witness_.Snapshot().tree_size);
  LogEvent(cosigned.ok() ? LogLevel::kInfo : LogLevel::kWarning, "witness_add_checkpoint",
           {{"caller", *caller}, {"old_size", old_size}, {"witness_size", witness_size},
            {"code", code}});
  if (!cosigned.ok() && !IsRefusal(cosigned.status().code())) {
    // Not a refusal: the state could not be persisted. The detail stays in this log.
    LogEvent(LogLevel::kError, "witness_internal_error",
             {{"detail", std::string(cosigned.status().message())}});
  }
  if (!cosigned.ok()) return ToGrpc(cosigned.status());
  response->set_cosigned_note(*std::move(cosigned));
  return grpc::Status::OK;
}

grpc::Status WitnessServiceImpl::GetWitnessState(grpc::ServerContext* context,
                                                 const v1::GetWitnessStateRequest* /*request*/,
                                                 v1::WitnessState* response) {
  absl::StatusOr<std::string> caller = CallerPrincipal(*context);
  if (!caller.ok()) return ToGrpc(caller.status());
  const WitnessSnapshot snapshot = witness_.Snapshot();
  response->set_origin(snapshot.origin);
  response->set_tree_size(snapshot.tree_size);
  response->set_root_hash(crypto::HashToString(snapshot.root));
  response->set_witness_name(snapshot.witness_name);
  response->set_witness_public_key(snapshot.witness_public_key);
  response->set_cosigned_note(snapshot.cosigned_note);
  LogEvent(LogLevel::kInfo, "witness_get_state", {{"caller", *caller}});
  return grpc::Status::OK;
}

}  // namespace confidant::witness
