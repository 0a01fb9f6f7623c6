// The `confidant` CLI's subcommands. Each prints its result on stdout and returns a status; the
// main prints a failed status as one line on stderr.
#ifndef CONFIDANT_CLIENT_CLI_COMMANDS_H_
#define CONFIDANT_CLIENT_CLI_COMMANDS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "client/log_client.h"
#include "client/vault_client.h"

namespace confidant::client {

// OK if `receipt` is signed by the vault (the pinned key, or the newest of its chain), names the
// envelope in `sent`, and carries a checkpoint signed by the log's checkpoint key chain;
// UNAUTHENTICATED otherwise.
absl::Status CheckReceipt(VaultClient& client, LogClient& log, const v1::SubmitRecordRequest& sent,
                          const v1::SubmitRecordResponse& receipt);

// Prints one line per version of a record: version, when, submitted or amended, by whom.
absl::Status HistoryCommand(VaultClient& client, const std::string& record_id, std::ostream& out);

// `purpose` is a purpose code, e.g. "follow_up" or "FOLLOW_UP". Prints the released sections
// of `version` (0: the newest) as JSON.
absl::Status GetCommand(VaultClient& client, const std::string& record_id,
                        const std::string& purpose, const std::string& reason, std::ostream& out,
                        uint64_t version = 0);

// Prints one line per record: id, version, visit date, region, facility, team. When nothing
// matches, says so on `err`; when `facility` is not in the vault's facility registry and nothing
// matches, INVALID_ARGUMENT naming the closest registered ids instead (a typo, or the wrong
// case, would otherwise look like an empty facility).
absl::Status ListCommand(VaultClient& client, const std::string& facility,
                         const std::string& since, std::ostream& out, std::ostream& err);

// Records that the detainee gave (`give`) or withdrew consent for `purpose` on `on` (default
// today, UTC): an append-only, audited change in the vault.
absl::Status ConsentCommand(VaultClient& client, const std::string& record_id,
                            const std::string& purpose, bool give, const std::string& on,
                            std::ostream& out);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_CLI_COMMANDS_H_
