#include "client/outbox_delivery.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "client/cli_commands.h"

namespace confidant::client {
namespace {

// How long `submit` waits to find out whether the vault answers before it queues offline.
constexpr absl::Duration kReachDeadline = absl::Seconds(10);

bool CanUseKeptKey(const absl::Status& fetch) {
  return fetch.code() == absl::StatusCode::kUnavailable ||
         fetch.code() == absl::StatusCode::kDeadlineExceeded ||
         fetch.code() == absl::StatusCode::kFailedPrecondition ||  // sealed
         fetch.code() == absl::StatusCode::kResourceExhausted;
}

}  // namespace

std::string PlainOfflineReason(const absl::Status& status) {
  std::string plain;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      plain = "the vault cannot be reached: no network here, or the vault is down";
      break;
    case absl::StatusCode::kDeadlineExceeded:
      plain = "the vault did not answer in time (a slow or broken connection)";
      break;
    case absl::StatusCode::kFailedPrecondition:
      plain = "the vault is sealed until its custodians unseal it";
      break;
    case absl::StatusCode::kResourceExhausted:
      plain = "your hourly allowance of calls to the vault is used up";
      break;
    case absl::StatusCode::kUnauthenticated:
      plain = "the vault did not accept this identity's certificate (expired or revoked?)";
      break;
    default:
      plain = "the vault refused the call";
  }
  return absl::StrCat(plain, " [", absl::StatusCodeToString(status.code()), ": ",
                      std::string(status.message()).substr(0, 200), "]");
}

bool VaultNotTakingSubmissions(const absl::Status& status) {
  return CanUseKeptKey(status) || status.code() == absl::StatusCode::kUnauthenticated;
}

absl::StatusOr<IntakeKeyChoice> ChooseIntakeKey(VaultClient& client,
                                                const std::string& identity_dir, int64_t now) {
  const std::string path = identity_dir + "/intake-key";
  const absl::Duration usual = client.deadline();
  client.set_deadline(kReachDeadline);
  absl::StatusOr<v1::IntakeKey> fetched = client.FetchIntakeKey();
  client.set_deadline(usual);
  if (fetched.ok()) {
    RETURN_IF_ERROR(StoreIntakeKey(path, *fetched, now));
    return IntakeKeyChoice{CachedIntakeKey::Dated(*std::move(fetched), now), std::nullopt};
  }
  if (!CanUseKeptKey(fetched.status())) return fetched.status();
  ASSIGN_OR_RETURN(std::optional<CachedIntakeKey> kept,
                   LoadIntakeKey(path, client.identity().vault_public_key));
  if (!kept.has_value()) {
    return absl::UnavailableError(absl::StrCat(
        PlainOfflineReason(fetched.status()),
        "; and this identity has no intake key yet to seal to: connect once with `confidant "
        "outbox flush` before working offline. Nothing was sealed; the file is unchanged"));
  }
  return IntakeKeyChoice{*std::move(kept), fetched.status()};
}

absl::StatusOr<v1::SubmitRecordResponse> DeliverEntry(VaultClient& client, LogClient& log,
                                                      const Outbox& outbox,
                                                      const Outbox::Entry& entry) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  absl::StatusOr<std::optional<v1::SubmitRecordRequest>> found = outbox.Find(entry.name);
  if (!found.ok() || !found->has_value()) {
    const absl::Status damaged =
        found.ok() ? absl::NotFoundError("the envelope is no longer in the outbox")
                   : absl::DataLossError("the envelope file is damaged and cannot be sent");
    if (found.ok()) return damaged;
    RETURN_IF_ERROR(outbox.Refuse(entry, damaged, now));
    return damaged;
  }
  const v1::SubmitRecordRequest& request = **found;
  absl::StatusOr<v1::SubmitRecordResponse> receipt;
  if (entry.amends_record_id.empty()) {
    receipt = client.SubmitSealed(request);
  } else {
    v1::AmendRecordRequest amend;
    amend.set_record_id(entry.amends_record_id);
    *amend.mutable_submission() = request;
    receipt = client.AmendSealed(amend);
  }
  absl::Status checked = receipt.status();
  if (checked.ok()) checked = CheckReceipt(client, log, request, *receipt);
  if (checked.ok() && !entry.amends_record_id.empty() &&
      receipt->record_id() != entry.amends_record_id) {
    checked = absl::UnauthenticatedError("the receipt names another record than the one amended");
  }
  if (checked.ok()) {
    RETURN_IF_ERROR(outbox.Remove(entry));
    return receipt;
  }
  if (IsPermanentRefusal(checked)) {
    RETURN_IF_ERROR(outbox.Refuse(entry, checked, now));
  } else {
    RETURN_IF_ERROR(outbox.RecordFailure(entry, checked, now));
  }
  return checked;
}

void PrintReceipt(const v1::SubmitRecordResponse& receipt, bool amendment, std::ostream& out,
                  std::ostream& err) {
  out << receipt.record_id();
  if (amendment) out << "  version " << receipt.record_version();
  out << (receipt.duplicate() ? "  (already stored)" : "") << "\n";
  // Said once, at the first submission: an amendment keeps the flag but is a correction, not
  // a second sending.
  if (receipt.likely_duplicate() && !amendment) {
    err << "confidant: note: record " << receipt.record_id()
        << " is a likely duplicate: you already filed a record of the same person, facility "
           "and visit date. Both are kept and flagged to staff; if the same interview was sent "
           "twice by mistake, tell your coordinator (do not submit it again).\n";
  }
  if (receipt.facility_dropped()) {
    err << "confidant: note: record " << receipt.record_id()
        << " names a facility the programme has since dropped from its registry; it was "
           "accepted because it was sealed before, and is flagged for staff to check.\n";
  }
}

std::string FormatUtc(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

std::string FormatAge(int64_t seconds) {
  if (seconds < 0) return "in the future";
  if (seconds < 120) return absl::StrCat(seconds, " s ago");
  if (seconds < 2 * 3600) return absl::StrCat(seconds / 60, " min ago");
  if (seconds < 2 * 86400) return absl::StrCat(seconds / 3600, " h ago");
  return absl::StrCat(seconds / 86400, " days ago");
}

}  // namespace confidant::client
