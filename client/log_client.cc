#include "client/log_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "client/vault_client.h"
#include "client/vault_key_pin.h"
#include "crypto/asymmetric.h"
#include "crypto/merkle.h"
#include "grpcpp/client_context.h"
#include "proto/log_key_format.h"
#include "proto/receipt_format.h"

namespace confidant::client {
namespace {

void SetDeadline(grpc::ClientContext& context, int seconds = 30) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

}  // namespace

absl::Status VerifyReceipt(const ClientIdentity& identity, const v1::SubmitRecordResponse& r) {
  return VerifyReceipt(identity.vault_public_key, r);
}

absl::Status VerifyReceipt(std::string_view vault_public_key, const v1::SubmitRecordResponse& r) {
  return crypto::VerifySignature(
      vault_public_key,
      ReceiptSigningBytes(r.record_id(), r.envelope_hash(), r.audit_index(), r.checkpoint().note()),
      r.receipt_signature());
}

absl::StatusOr<std::string> CurrentVaultKey(std::string_view pinned_vault_key,
                                            const std::vector<std::string>& identity_transitions,
                                            std::string_view origin) {
  ASSIGN_OR_RETURN(std::vector<crypto::ChainKey> chain,
                   FollowVaultKeyChain(pinned_vault_key, identity_transitions, origin));
  return chain.back().public_key;
}

absl::StatusOr<VerifiedCheckpoint> VerifyCheckpoint(const ClientIdentity& identity,
                                                    const std::string& note,
                                                    const std::string& log_public_key,
                                                    const std::string& log_key_signature,
                                                    const VaultKeyChains& chains) {
  ASSIGN_OR_RETURN(crypto::SplitNote split, crypto::SplitSignedNote(note));
  ASSIGN_OR_RETURN(crypto::CheckpointBody body, crypto::ParseCheckpointBody(split.body));
  ASSIGN_OR_RETURN(std::string vault_key,
                   CurrentVaultKey(identity.vault_public_key, chains.identity_transitions,
                                   body.origin));
  if (!crypto::VerifySignature(
           vault_key,
           LogKeyStatement(body.origin, log_public_key, chains.checkpoint_transitions),
           log_key_signature)
           .ok()) {
    return absl::UnauthenticatedError(
        "the log key and its key chain are not vouched for by the pinned vault key");
  }
  ASSIGN_OR_RETURN(std::vector<crypto::ChainKey> keys,
                   crypto::KeyChainEndingAt(crypto::kCheckpointKeyPurpose, body.origin,
                                            log_public_key, chains.checkpoint_transitions));
  VerifiedCheckpoint verified{std::move(body), note, log_public_key, log_key_signature,
                              chains.identity_transitions, chains.checkpoint_transitions,
                              std::move(keys)};
  const crypto::ChainKey* signer =
      crypto::SignerForTreeSize(verified.checkpoint_keys, verified.body.tree_size);
  RETURN_IF_ERROR(crypto::VerifyNoteSignature(note, verified.body.origin,
                                              signer == nullptr ? "" : signer->public_key));
  return verified;
}

absl::Status VerifyNoteUnderChain(const VerifiedCheckpoint& checkpoint, std::string_view note) {
  absl::StatusOr<crypto::SplitNote> split = crypto::SplitSignedNote(note);
  absl::StatusOr<crypto::CheckpointBody> body =
      split.ok() ? crypto::ParseCheckpointBody(split->body) : split.status();
  const crypto::ChainKey* signer =
      body.ok() ? crypto::SignerForTreeSize(checkpoint.checkpoint_keys, body->tree_size) : nullptr;
  if (signer == nullptr || body->origin != checkpoint.body.origin ||
      !crypto::VerifyNoteSignature(note, checkpoint.body.origin, signer->public_key).ok()) {
    return absl::DataLossError("a checkpoint is not signed by the log's checkpoint key chain");
  }
  return absl::OkStatus();
}

LogClient::LogClient(std::shared_ptr<grpc::Channel> channel, ClientIdentity identity,
                     std::string state_path)
    : channel_(std::move(channel)),
      identity_(std::move(identity)),
      state_path_(std::move(state_path)),
      log_(v1::LogService::NewStub(channel_)),
      audit_(v1::AuditService::NewStub(channel_)) {}

absl::Status LogClient::VerifyReceiptInclusion(const v1::SubmitRecordResponse& receipt,
                                              const crypto::CheckpointBody& checkpoint) {
  grpc::ClientContext context;
  SetDeadline(context);
  v1::GetReceiptProofRequest request;
  request.set_audit_index(receipt.audit_index());
  request.set_record_id(receipt.record_id());
  request.set_tree_size(checkpoint.tree_size);
  v1::ReceiptProof proof;
  RETURN_IF_ERROR(FromGrpc(log_->GetReceiptProof(&context, request, &proof)));
  std::vector<crypto::Hash> hashes;
  for (const std::string& h : proof.hashes()) {
    ASSIGN_OR_RETURN(crypto::Hash hash, crypto::HashFromString(h));
    hashes.push_back(hash);
  }
  if (!crypto::VerifyInclusion(crypto::LeafHash(proof.leaf()), receipt.audit_index(),
                               checkpoint.tree_size, hashes, checkpoint.root)
           .ok()) {
    return absl::DataLossError(absl::StrCat("the receipt's audit entry ", receipt.audit_index(),
                                            " is not in the tree of its checkpoint"));
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifiedCheckpoint> LogClient::FetchCheckpoint() {
  grpc::ClientContext context;
  SetDeadline(context);
  v1::GetCheckpointResponse response;
  RETURN_IF_ERROR(FromGrpc(log_->GetCheckpoint(&context, v1::GetCheckpointRequest(), &response)));
  VaultKeyChains chains;
  chains.identity_transitions.assign(response.identity_transitions().begin(),
                                     response.identity_transitions().end());
  chains.checkpoint_transitions.assign(response.checkpoint_transitions().begin(),
                                       response.checkpoint_transitions().end());
  return VerifyCheckpoint(identity_, response.checkpoint().note(), response.log_public_key(),
                          response.log_key_signature(), chains);
}

absl::Status LogClient::Advance(const VerifiedCheckpoint& newer) {
  if (state_path_.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> saved = ReadFile(state_path_);
  if (saved.ok()) {
    ASSIGN_OR_RETURN(crypto::SplitNote split, crypto::SplitSignedNote(*saved));
    ASSIGN_OR_RETURN(crypto::CheckpointBody old, crypto::ParseCheckpointBody(split.body));
    if (old.origin != newer.body.origin) {
      return absl::DataLossError("the vault's log has another origin than the one this client saw");
    }
    if (newer.body.tree_size < old.tree_size) {
      return absl::DataLossError(absl::StrCat(
          "rollback: the vault's log has ", newer.body.tree_size,
          " entries but this client saw a signed checkpoint of ", old.tree_size));
    }
    if (newer.body.tree_size == old.tree_size && newer.body.root != old.root) {
      return absl::DataLossError("fork: same log size as last seen, different root");
    }
    if (newer.body.tree_size > old.tree_size) {
      grpc::ClientContext context;
      SetDeadline(context);
      v1::GetConsistencyProofRequest request;
      request.set_old_size(old.tree_size);
      request.set_new_size(newer.body.tree_size);
      v1::ConsistencyProof proof;
      RETURN_IF_ERROR(FromGrpc(log_->GetConsistencyProof(&context, request, &proof)));
      std::vector<crypto::Hash> hashes;
      for (const std::string& h : proof.hashes()) {
        ASSIGN_OR_RETURN(crypto::Hash hash, crypto::HashFromString(h));
        hashes.push_back(hash);
      }
      if (!crypto::VerifyConsistency(old.tree_size, newer.body.tree_size, old.root,
                                     newer.body.root, hashes)
               .ok()) {
        return absl::DataLossError(absl::StrCat(
            "fork: the vault's log at ", newer.body.tree_size,
            " entries is not consistent with the checkpoint this client saw at ", old.tree_size));
      }
    }
    // The kept checkpoint pins the key that signed it: the chain must lead on from that key
    // (checked after the tree, so a rollback or fork is named as such).
    if (!VerifyNoteUnderChain(newer, *saved).ok()) {
      return absl::DataLossError(
          "the vault's checkpoint key chain does not include the key that signed the checkpoint "
          "this client kept");
    }
  } else if (saved.status().code() != absl::StatusCode::kNotFound) {
    return saved.status();
  }
  RETURN_IF_ERROR(WriteFileAtomically(state_path_, newer.note, 0600));
  // The newest vault identity key verified becomes the anchor on disk (client/vault_key_pin.h).
  return KeepNewestVaultKey(identity_.directory, identity_.pinned_vault_key,
                            identity_.vault_public_key, newer.identity_transitions)
      .status();
}

absl::StatusOr<VerifiedCheckpoint> LogClient::Refresh() {
  ASSIGN_OR_RETURN(VerifiedCheckpoint checkpoint, FetchCheckpoint());
  RETURN_IF_ERROR(Advance(checkpoint));
  return checkpoint;
}

absl::Status LogClient::ReadEntries(uint64_t start, uint64_t end,
                                    const std::function<absl::Status(const v1::AuditEntry&)>& visit) {
  grpc::ClientContext context;
  SetDeadline(context, 300);
  v1::GetEntriesRequest request;
  request.set_start(start);
  request.set_end(end);
  std::unique_ptr<grpc::ClientReader<v1::AuditEntry>> reader = audit_->GetEntries(&context, request);
  v1::AuditEntry entry;
  absl::Status status;
  while (status.ok() && reader->Read(&entry)) status = visit(entry);
  if (!status.ok()) {
    context.TryCancel();
    reader->Finish().ok();
    return status;
  }
  return FromGrpc(reader->Finish());
}

}  // namespace confidant::client
