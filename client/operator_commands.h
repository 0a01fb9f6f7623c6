// `confidant operator status|init|unseal|reset-unseal|seal|shred|rotate|rewrap`: key custody from the CLI
// (custodians; OperatorService). Nothing here goes through the audit-log check of other
// commands: the vault may be sealed.
#ifndef CONFIDANT_CLIENT_OPERATOR_COMMANDS_H_
#define CONFIDANT_CLIENT_OPERATOR_COMMANDS_H_

#include <istream>
#include <memory>
#include <string>
#include <ostream>

#include "absl/status/status.h"
#include "grpcpp/channel.h"

namespace confidant::client {

absl::Status OperatorStatusCommand(const std::shared_ptr<grpc::Channel>& channel,
                                   std::ostream& out);

// Prints the N shares, one per line, after a warning: they are shown once and never stored.
absl::Status OperatorInitCommand(const std::shared_ptr<grpc::Channel>& channel, int shares,
                                 int threshold, std::ostream& out);

// Reads one share from the first line of `in` (never from the command line, so it stays out of
// shell history and process lists) and submits it; prints the progress.
absl::Status OperatorUnsealCommand(const std::shared_ptr<grpc::Channel>& channel, std::istream& in,
                                   std::ostream& out);

// Restore mode: this custodian approves the pending restore (two must).
// Asks for a revision of a released table (RequestRevision).
absl::Status OperatorReviseReleaseCommand(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& table_id, const std::string& period,
                                          const std::string& reason, std::ostream& out);
absl::Status OperatorApproveRestoreCommand(const std::shared_ptr<grpc::Channel>& channel,
                                           std::ostream& out);
absl::Status OperatorResetUnsealCommand(const std::shared_ptr<grpc::Channel>& channel,
                                        std::ostream& out);

absl::Status OperatorSealCommand(const std::shared_ptr<grpc::Channel>& channel, bool emergency,
                                 std::ostream& out);

// Crypto-shreds the records past the policy's retention; prints how many and their ids. Without
// `confirm`, a run over the policy's max_shred_without_confirmation fails (FAILED_PRECONDITION
// naming the count) and shreds nothing.
absl::Status OperatorShredExpiredCommand(const std::shared_ptr<grpc::Channel>& channel,
                                         bool confirm, std::ostream& out);

// Rotates the role keys and the intake key pair; prints the new versions and the intake grace.
absl::Status OperatorRotateCommand(const std::shared_ptr<grpc::Channel>& channel,
                                   std::ostream& out);

// Starts (or resumes) the background rewrap job and prints its status. With `wait`, polls until
// the job has stopped, printing progress; fails if it stopped with an error.
absl::Status OperatorRewrapCommand(const std::shared_ptr<grpc::Channel>& channel, bool wait,
                                   std::ostream& out);

// Takes an encrypted online backup into `directory` (an absolute path on the vault's host, new or
// empty, on another filesystem than its data directory); prints the epoch, counts, the audit log
// size it contains and when its epoch key will be destroyed.
absl::Status OperatorBackupCommand(const std::shared_ptr<grpc::Channel>& channel,
                                   const std::string& directory, std::ostream& out);

// Checks that the backup in `directory` still opens (NOT_FOUND once its epoch key was
// destroyed); prints its epoch and counts.
absl::Status OperatorVerifyBackupCommand(const std::shared_ptr<grpc::Channel>& channel,
                                         const std::string& directory, std::ostream& out);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_OPERATOR_COMMANDS_H_
