// Offline intake: `confidant submit`, `amend` and `outbox status|flush|wipe`.
//
// A record is validated and sealed at once, to the newest verified intake key this identity
// holds (client/intake_key_cache.h), whether or not the vault is reachable; only the sealed
// envelope is written (client/outbox.h), and then it is sent if the vault answers. Nothing but
// a verified receipt deletes an envelope; a permanent refusal moves it to outbox/refused.
#ifndef CONFIDANT_CLIENT_OUTBOX_COMMANDS_H_
#define CONFIDANT_CLIENT_OUTBOX_COMMANDS_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "client/identity.h"
#include "client/log_client.h"
#include "client/vault_client.h"

namespace confidant::client {

// How a command that sends envelopes ended when it did not fail.
enum class Delivery {
  kDelivered,  // everything it had to send has a verified receipt
  kQueued,     // sealed and kept in the outbox; not yet delivered (exit code 3)
  kRefused,    // the vault answered and will never accept it: moved to outbox/refused (exit 1)
};

struct SubmitOptions {
  std::string submission_id;     // empty: a random one; an id already queued resends that envelope
  std::string amends_record_id;  // empty: a new record
  // Overwrite and delete the JSON file: online, once the vault's receipt verifies; offline, once
  // a new record is sealed and queued (an amendment's file is kept: only the vault can tell
  // whether its record id is right). Kept, with a note, whenever the record might be lost.
  bool remove_source = false;
};

// Reads the record (client/record_json.h), validates it, seals it to the intake key (fetched
// and kept if the vault answers, else the kept one) and queues the envelope; then sends it if
// the vault answered. Prints the record id (and version, for an amendment) once the receipt
// verifies, or "queued ID" (the submission id) when the envelope stays in the outbox. Errors:
// INVALID_ARGUMENT for a bad file (nothing is sealed); UNAVAILABLE when the vault is
// unreachable and no intake key is kept yet (nothing is sealed). A permanent refusal by the
// vault is kRefused: the envelope is moved to outbox/refused and `err` says why and what to do.
absl::StatusOr<Delivery> SubmitCommand(VaultClient& client, LogClient& log,
                                       const std::string& json_path,
                                       const std::string& identity_dir,
                                       const SubmitOptions& options, std::ostream& out,
                                       std::ostream& err);

// Sends every queued envelope, oldest first; with `wait_seconds` > 0 retries what is left with
// exponential backoff (1 s doubling to 60 s) until the outbox is empty or the time is up.
// FAILED_PRECONDITION if the vault refused any envelope (moved to outbox/refused).
absl::StatusOr<Delivery> OutboxFlushCommand(VaultClient& client, LogClient& log,
                                            const std::string& identity_dir, int wait_seconds,
                                            std::ostream& out, std::ostream& err);

// Offline: the kept intake key, then each queued envelope (age, attempts, last error, the date
// to deliver it by) and each refused one with the reason.
absl::Status OutboxStatusCommand(const ClientIdentity& identity, const std::string& identity_dir,
                                 std::ostream& out);

// Offline: deletes every queued and refused envelope (only the refused ones with
// `refused_only`). Without `yes`, deletes nothing and says how many would go
// (FAILED_PRECONDITION).
// `outbox requeue NAME`: moves the refused envelope NAME (as `outbox status` lists it) back to
// the queue, for when what refused it was put right (a facility or a grant restored by staff);
// the next `outbox flush` sends it. NOT_FOUND if no refused envelope has that name.
absl::Status OutboxRequeueCommand(const std::string& identity_dir, const std::string& name,
                                  std::ostream& out);

absl::Status OutboxWipeCommand(const std::string& identity_dir, bool yes, bool refused_only,
                               std::ostream& out);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_OUTBOX_COMMANDS_H_
