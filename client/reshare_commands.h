// `confidant operator reshare` and `reset-reshare`: the custodians' side of re-keying the master
// key (OperatorService.Reshare).
#ifndef CONFIDANT_CLIENT_RESHARE_COMMANDS_H_
#define CONFIDANT_CLIENT_RESHARE_COMMANDS_H_

#include <iostream>
#include <memory>

#include "absl/status/status.h"
#include "grpcpp/channel.h"

namespace confidant::client {

// Reads one CURRENT share from the first line of `in` (never from the command line) and submits
// it towards a re-share into `shares` new shares, any `threshold` of which will open the vault.
// Prints the progress; once the vault's threshold is reached, prints the N new shares once, one
// per line, after a warning (the old shares no longer open the vault).
absl::Status OperatorReshareCommand(const std::shared_ptr<grpc::Channel>& channel, int shares,
                                    int threshold, std::istream& in, std::ostream& out);

absl::Status OperatorResetReshareCommand(const std::shared_ptr<grpc::Channel>& channel,
                                         std::ostream& out);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_RESHARE_COMMANDS_H_
