// Sending one queued envelope and settling it in the outbox: the step shared by `submit`,
// `amend` and `outbox flush` (client/outbox_commands.h).
#ifndef CONFIDANT_CLIENT_OUTBOX_DELIVERY_H_
#define CONFIDANT_CLIENT_OUTBOX_DELIVERY_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "client/intake_key_cache.h"
#include "client/log_client.h"
#include "client/outbox.h"
#include "client/vault_client.h"

namespace confidant::client {

// Why the vault is not taking submissions, in words for a visit team ("the vault cannot be
// reached: no network here, or the vault is down"), then the technical status in brackets.
std::string PlainOfflineReason(const absl::Status& status);

// True when the vault could not be reached or cannot take anything now (unreachable, sealed,
// clock, quota, this identity refused): a flush stops its pass instead of trying every envelope.
bool VaultNotTakingSubmissions(const absl::Status& status);

// Fetches the vault's current intake key (verified against the pinned vault key chain) within
// a short deadline and keeps it as confirmed now. If the vault cannot be asked (unreachable,
// sealed), returns the kept key instead, with `offline_reason` set. Errors: UNAVAILABLE when no
// key is kept yet; the vault's refusal (e.g. PERMISSION_DENIED for a role that does not submit);
// UNAUTHENTICATED or DATA_LOSS when a key fails verification.
struct IntakeKeyChoice {
  CachedIntakeKey key;
  std::optional<absl::Status> offline_reason;  // set when the kept key is used
};
absl::StatusOr<IntakeKeyChoice> ChooseIntakeKey(VaultClient& client,
                                                const std::string& identity_dir, int64_t now);

// Sends `entry` and, if the receipt verifies, deletes it from `outbox` and returns the receipt.
// A permanent refusal moves it to refused/; any other failure is noted in its state file.
// Either way the failure is returned.
absl::StatusOr<v1::SubmitRecordResponse> DeliverEntry(VaultClient& client, LogClient& log,
                                                      const Outbox& outbox,
                                                      const Outbox::Entry& entry);

// One line on `out` for a delivered receipt: "RECORD_ID[  version N][  (already stored)]"; a
// likely duplicate (same person, facility and visit date) adds a note on `err`.
void PrintReceipt(const v1::SubmitRecordResponse& receipt, bool amendment, std::ostream& out,
                  std::ostream& err);

// "2026-12-05 09:30 UTC" and "3 h ago".
std::string FormatUtc(int64_t unix_seconds);
std::string FormatAge(int64_t seconds);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_OUTBOX_DELIVERY_H_
