// `confidant policy ...`: signing and checking policy files offline, and asking the vault to
// explain, list who can read a record, or reload.
#ifndef CONFIDANT_CLIENT_POLICY_COMMANDS_H_
#define CONFIDANT_CLIENT_POLICY_COMMANDS_H_

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/channel.h"

namespace confidant::client {

// Appends one governance signature of `policy_path` to `policy_path`.sig. `key_path` holds a
// 64-byte Ed25519 secret key (libsodium form); `name` is its name in the governance keys file.
absl::Status PolicySignCommand(const std::string& policy_path, const std::string& key_path,
                               const std::string& name, std::ostream& out);

// Validates `policy_path` offline (line-numbered errors); with `governance_keys_path`, also
// counts its valid signatures against the threshold.
absl::Status PolicyCheckCommand(const std::string& policy_path,
                                const std::string& governance_keys_path, std::ostream& out);

struct ExplainArgs {
  std::string person_id;
  std::string action;
  std::string record_id;
  std::string purpose;  // code, e.g. follow_up; may be empty
  std::string section;  // e.g. health; may be empty
};
absl::Status PolicyExplainCommand(std::shared_ptr<grpc::Channel> channel, const ExplainArgs& args,
                                  std::ostream& out);
absl::Status PolicyWhoCanCommand(std::shared_ptr<grpc::Channel> channel,
                                 const std::string& record_id, std::ostream& out);
absl::Status PolicyReloadCommand(std::shared_ptr<grpc::Channel> channel, std::ostream& out);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_POLICY_COMMANDS_H_
