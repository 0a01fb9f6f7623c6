// Checking the vault's audit log from a client: verified checkpoints, the last checkpoint this
// client saw (kept in a state file), consistency between them, receipts, and the auditor's reads.
#ifndef CONFIDANT_CLIENT_LOG_CLIENT_H_
#define CONFIDANT_CLIENT_LOG_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client/identity.h"
#include "confidant/v1/audit.grpc.pb.h"
#include "confidant/v1/record_service.pb.h"
#include "crypto/key_transition.h"
#include "crypto/signed_note.h"
#include "grpcpp/channel.h"

namespace confidant::client {

struct VerifiedCheckpoint {
  crypto::CheckpointBody body;
  std::string note;
  std::string log_public_key;  // raw Ed25519, vouched for by the pinned vault key (or its chain)
  std::string log_key_signature;  // the vault identity key's statement for it
  // Key transitions as served (crypto/key_transition.h), kept for offline verification.
  std::vector<std::string> identity_transitions;
  std::vector<std::string> checkpoint_transitions;
  // The verified checkpoint key chain, ending at log_public_key: which key signs which sizes.
  std::vector<crypto::ChainKey> checkpoint_keys;
};

// The vault's key transitions, as GetCheckpointResponse carries them.
struct VaultKeyChains {
  std::vector<std::string> identity_transitions;
  std::vector<std::string> checkpoint_transitions;
};

// Checks a submission receipt offline: its signature by the pinned vault key over the record
// id, envelope hash, audit index and checkpoint note. UNAUTHENTICATED if it does not verify.
absl::Status VerifyReceipt(const ClientIdentity& identity, const v1::SubmitRecordResponse& receipt);
// The same, by `vault_public_key` (the key a client reached through the vault's identity chain).
absl::Status VerifyReceipt(std::string_view vault_public_key,
                           const v1::SubmitRecordResponse& receipt);

// Thread-compatible (one caller at a time per instance).
class LogClient {
 public:
  // `state_path` is where the last checkpoint seen is kept ("" = keep none).
  LogClient(std::shared_ptr<grpc::Channel> channel, ClientIdentity identity, std::string state_path);

  // The vault's current checkpoint, checked by VerifyCheckpoint with the key chains the vault
  // serves. UNAUTHENTICATED or DATA_LOSS otherwise.
  absl::StatusOr<VerifiedCheckpoint> FetchCheckpoint();

  // Checks `newer` against the last checkpoint this client saw and, if consistent (proof from
  // the vault verified) and signed by a key of `newer`'s checkpoint key chain, or the first,
  // makes it the last seen. DATA_LOSS naming a rollback, fork or a chain that does not include
  // the kept checkpoint's key otherwise; the state is then left as it was.
  absl::Status Advance(const VerifiedCheckpoint& newer);

  // Convenience: FetchCheckpoint then Advance.
  absl::StatusOr<VerifiedCheckpoint> Refresh();

  // Checks that the entry `receipt` names (its audit_index) is in the tree of the receipt's own
  // checkpoint (`checkpoint` must be that checkpoint, verified): fetches the caller's receipt
  // proof (LogService.GetReceiptProof) and verifies it against the checkpoint's root. DATA_LOSS
  // if the proof does not verify; the vault's status if it refuses.
  absl::Status VerifyReceiptInclusion(const v1::SubmitRecordResponse& receipt,
                                      const crypto::CheckpointBody& checkpoint);

  const ClientIdentity& identity() const { return identity_; }

  // Auditor only: entries [start, end) streamed to `visit`.
  absl::Status ReadEntries(uint64_t start, uint64_t end,
                           const std::function<absl::Status(const v1::AuditEntry&)>& visit);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  ClientIdentity identity_;
  std::string state_path_;
  std::unique_ptr<v1::LogService::Stub> log_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

// Verifies a checkpoint note and its log key statement (pure; used online and offline). The
// identity chain is followed from the pinned vault key, and the log key must be vouched for by
// its last key (UNAUTHENTICATED otherwise); the checkpoint key chain must end at the log key;
// the note must be signed by the chain's key for its size. A broken chain: DATA_LOSS naming it.
absl::StatusOr<VerifiedCheckpoint> VerifyCheckpoint(const ClientIdentity& identity,
                                                    const std::string& note,
                                                    const std::string& log_public_key,
                                                    const std::string& log_key_signature,
                                                    const VaultKeyChains& chains = {});

// Verifies `note` (a checkpoint of the log of `checkpoint`) under the key of its verified
// checkpoint key chain for the note's size. DATA_LOSS if no key of the chain signed it.
absl::Status VerifyNoteUnderChain(const VerifiedCheckpoint& checkpoint, std::string_view note);

// The vault identity key reached from `pinned_vault_key` through `identity_transitions` of the
// vault `origin` ("" = take the origin from the transitions: intake keys carry none).
absl::StatusOr<std::string> CurrentVaultKey(std::string_view pinned_vault_key,
                                            const std::vector<std::string>& identity_transitions,
                                            std::string_view origin);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_LOG_CLIENT_H_
