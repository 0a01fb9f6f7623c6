#include "client/operator_commands.h"

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "client/vault_client.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "crypto/secret_bytes.h"
#include "grpcpp/client_context.h"

namespace confidant::client {
namespace {

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
}

void PrintStatus(const v1::VaultStatus& s, std::ostream& out) {
  out << "initialised: " << (s.initialised() ? "yes" : "no") << "\n"
      << "sealed: " << (s.sealed() ? "yes" : "no") << "\n";
  if (s.threshold() > 0) {
    out << "shares: " << s.threshold() << " of " << s.shares() << " open the vault (share set "
        << s.share_set_id() << ")\n";
    if (s.sealed()) out << "shares received: " << s.shares_received() << "\n";
  } else if (s.initialised() && s.sealed()) {
    // A --dev vault keeps its master key in a file: no shares to enter.
    out << "a dev vault (no unseal shares): restart `confidantd --dev` to reopen it\n";
  }
  if (!s.vault_public_key().empty()) {
    out << "vault identity key (clients pin it as vault.pub): "
        << absl::Base64Escape(s.vault_public_key()) << "\n";
  }
  if (s.emergency()) out << "emergency seal: each share must come from a different custodian\n";
  if (s.restore_pending()) {
    out << "restore pending: backup epoch " << s.restore_backup_epoch() << ", "
        << s.restore_approvals() << " of 2 custodian approvals"
        << (s.restore_approvals() >= 2 ? "; unseal with the vault's shares\n"
                                       : " (confidant operator approve-restore)\n");
  }
}

}  // namespace

absl::Status OperatorStatusCommand(const std::shared_ptr<grpc::Channel>& channel,
                                   std::ostream& out) {
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::VaultStatus status;
  RETURN_IF_ERROR(FromGrpc(stub->GetStatus(&context, v1::GetStatusRequest(), &status)));
  PrintStatus(status, out);
  return absl::OkStatus();
}

absl::Status OperatorInitCommand(const std::shared_ptr<grpc::Channel>& channel, int shares,
                                 int threshold, std::ostream& out) {
  if (shares < 2 || shares > 255 || threshold < 2 || threshold > shares) {
    return absl::InvalidArgumentError("need 2 <= --threshold <= --shares <= 255");
  }
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::InitRequest request;
  request.set_shares(static_cast<uint32_t>(shares));
  request.set_threshold(static_cast<uint32_t>(threshold));
  v1::InitResponse response;
  RETURN_IF_ERROR(FromGrpc(stub->Init(&context, request, &response)));
  out << "The vault is initialised and unsealed. Below are its " << response.shares_size()
      << " unseal shares; any " << threshold
      << " of them open it. They are shown once and the vault keeps none of them:\n"
         "give each to a different custodian now, on paper or offline media.\n\n";
  for (std::string& share : *response.mutable_shares()) {
    out << share << "\n";
    crypto::WipeString(share);
  }
  if (!response.status().vault_public_key().empty()) {
    out << "\nThe vault's identity key: every client pins it as IDENTITY_DIR/vault.pub (publish "
           "it through a channel of your own too):\n"
        << absl::Base64Escape(response.status().vault_public_key()) << "\n";
  }
  return absl::OkStatus();
}

absl::Status OperatorUnsealCommand(const std::shared_ptr<grpc::Channel>& channel, std::istream& in,
                                   std::ostream& out) {
  v1::UnsealRequest request;
  std::string line;
  std::getline(in, line);
  request.set_share(std::string(absl::StripAsciiWhitespace(line)));
  crypto::WipeString(line);
  if (request.share().empty()) {
    return absl::InvalidArgumentError(
        "unseal reads one share from standard input (paste it, or `confidant operator unseal < "
        "share.txt`); got none. A dev vault has no shares: restart `confidantd --dev` instead");
  }
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::VaultStatus status;
  absl::Status sent = FromGrpc(stub->Unseal(&context, request, &status));
  crypto::WipeString(*request.mutable_share());
  RETURN_IF_ERROR(sent);
  if (status.sealed()) {
    out << "share accepted: " << status.shares_received() << " of " << status.threshold()
        << "\n";
  } else {
    out << "the vault is unsealed\n";
  }
  return absl::OkStatus();
}

absl::Status OperatorResetUnsealCommand(const std::shared_ptr<grpc::Channel>& channel,
                                        std::ostream& out) {
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::VaultStatus status;
  RETURN_IF_ERROR(FromGrpc(stub->ResetUnseal(&context, v1::ResetUnsealRequest(), &status)));
  out << "unseal progress reset\n";
  return absl::OkStatus();
}

absl::Status OperatorApproveRestoreCommand(const std::shared_ptr<grpc::Channel>& channel,
                                           std::ostream& out) {
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::VaultStatus status;
  RETURN_IF_ERROR(
      FromGrpc(stub->ApproveRestore(&context, v1::ApproveRestoreRequest(), &status)));
  out << "restore approved (" << status.restore_approvals() << " of 2)\n";
  PrintStatus(status, out);
  return absl::OkStatus();
}

absl::Status OperatorReviseReleaseCommand(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& table_id, const std::string& period,
                                          const std::string& reason, std::ostream& out) {
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::RequestRevisionRequest request;
  request.set_table_id(table_id);
  request.set_period(period);
  request.set_reason(reason);
  v1::RequestRevisionResponse response;
  RETURN_IF_ERROR(FromGrpc(stub->RequestRevision(&context, request, &response)));
  out << "revision of " << table_id << " " << period << " requested (released so far: version "
      << response.released_version() << "); the release job computes version "
      << response.released_version() + 1 << " at its next pass, charged to the year's budget\n";
  return absl::OkStatus();
}

absl::Status OperatorSealCommand(const std::shared_ptr<grpc::Channel>& channel, bool emergency,
                                 std::ostream& out) {
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::SealRequest request;
  request.set_emergency(emergency);
  v1::VaultStatus status;
  RETURN_IF_ERROR(FromGrpc(stub->Seal(&context, request, &status)));
  out << (emergency ? "the vault is sealed (emergency: unsealing needs K different custodians)\n"
                    : "the vault is sealed\n");
  return absl::OkStatus();
}

absl::Status OperatorShredExpiredCommand(const std::shared_ptr<grpc::Channel>& channel,
                                         bool confirm, std::ostream& out) {
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  // Shredding and compaction can take a while on a large vault.
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
  v1::ShredExpiredRequest request;
  request.set_confirm(confirm);
  v1::ShredExpiredResponse response;
  RETURN_IF_ERROR(FromGrpc(stub->ShredExpired(&context, request, &response)));
  out << "shredded " << response.shredded() << " records past retention ("
      << response.retention_days() << " days); disposal receipts are in the audit log\n";
  for (const std::string& id : response.record_ids()) out << id << "\n";
  return absl::OkStatus();
}

absl::Status OperatorRotateCommand(const std::shared_ptr<grpc::Channel>& channel,
                                   std::ostream& out) {
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::RotateResponse response;
  RETURN_IF_ERROR(FromGrpc(stub->Rotate(&context, v1::RotateRequest(), &response)));
  out << "keys rotated; new writes use the new versions now\n";
  for (const v1::RoleKeyVersion& key : response.role_keys()) {
    out << "  role key " << key.role() << ": version " << key.version() << "\n";
  }
  out << "  intake key: version " << response.intake_key_version() << " (version "
      << response.retired_intake_key_version() << " accepted until unix time "
      << response.intake_grace_until_unix_seconds() << ")\n";
  for (uint32_t v : response.destroyed_intake_key_versions()) {
    out << "  intake key version " << v << " destroyed (past its grace)\n";
  }
  out << "  vault identity key: version " << response.identity_key_version()
      << ", checkpoint key: version " << response.checkpoint_key_version()
      << ", release key: version " << response.release_key_version()
      << " (each signed by the old key; old private keys destroyed)\n";
  out << "records keep their old wraps until 'confidant operator rewrap' moves them\n";
  return absl::OkStatus();
}

namespace {

void PrintRewrapStatus(const v1::RewrapStatus& status, std::ostream& out) {
  out << "rewrap " << (status.running() ? "running" : status.completed() ? "completed" : "stopped")
      << (status.resumed() ? " (resumed)" : "") << ": " << status.records_scanned()
      << " record versions scanned, " << status.wraps_rewrapped() << " wraps rewrapped\n";
  for (const v1::RoleKeyVersion& key : status.destroyed()) {
    out << "  role key " << key.role() << " version " << key.version() << " destroyed\n";
  }
  if (!status.error().empty()) out << "  stopped early: " << status.error() << "\n";
  if (status.wraps_added() > 0 || status.wraps_removed() > 0 || !status.trigger().empty()) {
    out << "  " << status.wraps_added() << " wraps added for granted roles, "
        << status.wraps_removed() << " wraps of revoked roles removed"
        << (status.trigger().empty() ? "" : " (") << status.trigger()
        << (status.trigger().empty() ? "" : ")") << "\n";
  }
}

}  // namespace

absl::Status OperatorRewrapCommand(const std::shared_ptr<grpc::Channel>& channel, bool wait,
                                   std::ostream& out) {
  auto stub = v1::OperatorService::NewStub(channel);
  v1::RewrapStatus status;
  {
    grpc::ClientContext context;
    SetDeadline(context);
    RETURN_IF_ERROR(FromGrpc(stub->Rewrap(&context, v1::RewrapRequest(), &status)));
  }
  while (wait && status.running()) {
    PrintRewrapStatus(status, out);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    grpc::ClientContext context;
    SetDeadline(context);
    RETURN_IF_ERROR(
        FromGrpc(stub->GetRewrapStatus(&context, v1::GetRewrapStatusRequest(), &status)));
  }
  PrintRewrapStatus(status, out);
  if (wait && !status.error().empty()) {
    return absl::UnavailableError("the rewrap job stopped early; run it again to resume");
  }
  return absl::OkStatus();
}

namespace {

std::string Utc(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

}  // namespace

absl::Status OperatorBackupCommand(const std::shared_ptr<grpc::Channel>& channel,
                                   const std::string& directory, std::ostream& out) {
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::hours(2));
  v1::BackupRequest request;
  request.set_directory(directory);
  v1::BackupResponse response;
  RETURN_IF_ERROR(FromGrpc(stub->Backup(&context, request, &response)));
  out << "backup written to " << directory << ": epoch " << response.epoch() << ", "
      << response.entries() << " entries, " << response.chunks() << " chunks, "
      << response.bytes() << " bytes; contains the audit log up to size "
      << response.audit_tree_size() << "\n"
      << "its epoch key is destroyed (and the backup can no longer be opened) by "
      << Utc(response.epoch_key_destroyed_at_unix_seconds()) << "\n";
  return absl::OkStatus();
}

absl::Status OperatorVerifyBackupCommand(const std::shared_ptr<grpc::Channel>& channel,
                                         const std::string& directory, std::ostream& out) {
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::hours(1));
  v1::VerifyBackupRequest request;
  request.set_directory(directory);
  v1::BackupResponse response;
  RETURN_IF_ERROR(FromGrpc(stub->VerifyBackup(&context, request, &response)));
  out << "backup " << directory << " opens: epoch " << response.epoch() << ", "
      << response.entries() << " entries, " << response.chunks() << " chunks; its epoch key is "
      << "destroyed by " << Utc(response.epoch_key_destroyed_at_unix_seconds()) << "\n";
  return absl::OkStatus();
}

}  // namespace confidant::client
