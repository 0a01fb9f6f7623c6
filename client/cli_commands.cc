#include "client/cli_commands.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "client/log_client.h"
#include "proto/display_text.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "crypto/signed_note.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "proto/record_validation.h"

namespace confidant::client {

absl::Status CheckReceipt(VaultClient& client, LogClient& log,
                          const v1::SubmitRecordRequest& sent,
                          const v1::SubmitRecordResponse& receipt) {
  bool signed_ok = VerifyReceipt(client.vault_key(), receipt).ok();
  // A rotation between fetching the intake key and the receipt: follow the chain once more.
  if (!signed_ok && client.FetchIntakeKey().ok()) {
    signed_ok = VerifyReceipt(client.vault_key(), receipt).ok();
  }
  if (!signed_ok) {
    return absl::UnauthenticatedError("the receipt is not signed by the pinned vault key");
  }
  if (receipt.envelope_hash() != crypto::Blake2b256(sent.sealed_envelope())) {
    return absl::UnauthenticatedError("the receipt names another envelope than the one sent");
  }
  ASSIGN_OR_RETURN(VerifiedCheckpoint current, log.FetchCheckpoint());
  if (!VerifyNoteUnderChain(current, receipt.checkpoint().note()).ok()) {
    return absl::UnauthenticatedError("the receipt's checkpoint is not signed by the vault's log");
  }
  // The receipt's entry is in that checkpoint's tree (docs/WIRE-FORMATS.md).
  ASSIGN_OR_RETURN(crypto::SplitNote split, crypto::SplitSignedNote(receipt.checkpoint().note()));
  ASSIGN_OR_RETURN(crypto::CheckpointBody body, crypto::ParseCheckpointBody(split.body));
  return log.VerifyReceiptInclusion(receipt, body);
}

absl::Status HistoryCommand(VaultClient& client, const std::string& record_id, std::ostream& out) {
  ASSIGN_OR_RETURN(v1::ListRecordVersionsResponse history, client.Versions(record_id));
  for (const v1::RecordVersionSummary& v : history.versions()) {
    out << "v" << v.version() << "  "
        << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(v.created_unix_seconds()),
                            absl::UTCTimeZone())
        << "  " << (v.version() == 1 ? "submitted" : "amended") << " by "
        << ForTerminal(v.author_person_id())
        << "\n";
  }
  return absl::OkStatus();
}

absl::Status GetCommand(VaultClient& client, const std::string& record_id,
                        const std::string& purpose, const std::string& reason, std::ostream& out,
                        uint64_t version) {
  v1::Purpose code;
  if (!v1::Purpose_Parse(absl::AsciiStrToUpper(purpose), &code) ||
      code == v1::PURPOSE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "--purpose must be one of follow_up, case_review, quality_assurance, legal_referral, "
        "medical_referral, raise_with_authority");
  }
  v1::GetRecordRequest request;
  request.set_record_id(record_id);
  request.set_purpose(code);
  request.set_reason(reason);
  request.set_version(version);
  absl::StatusOr<v1::GetRecordResponse> got = client.Get(request);
  if (!got.ok() && absl::IsPermissionDenied(got.status()) && ValidateRecordId(record_id).ok()) {
    // The vault's hints never name the record: put back what this user typed.
    const std::string stated = absl::StrCat("--purpose ", absl::AsciiStrToLower(purpose), " ");
    return absl::Status(got.status().code(),
                        absl::StrReplaceAll(got.status().message(),
                                            {{"RECORD_ID", record_id}, {"--purpose P ", stated}}));
  }
  ASSIGN_OR_RETURN(v1::GetRecordResponse response, std::move(got));
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;  // "given": false matters
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(response, &json, options).ok()) {
    return absl::InternalError("cannot print the record as JSON");
  }
  // A yes/no question nobody answered reads as such, not as an enum's zero value.
  std::string shown = absl::StrReplaceAll(json, {{"\"YES_NO_UNSPECIFIED\"", "\"not answered\""}});
  crypto::WipeString(json);
  out << shown;
  crypto::WipeString(shown);
  return absl::OkStatus();
}

absl::Status ConsentCommand(VaultClient& client, const std::string& record_id,
                            const std::string& purpose, bool give, const std::string& on,
                            std::ostream& out) {
  v1::Purpose code;
  if (!v1::Purpose_Parse(absl::AsciiStrToUpper(purpose), &code) || code == v1::PURPOSE_UNSPECIFIED) {
    return absl::InvalidArgumentError("--purpose must be a purpose code, e.g. medical_referral");
  }
  v1::RecordConsentRequest request;
  request.set_record_id(record_id);
  request.set_purpose(code);
  request.set_given(give);
  request.set_recorded_on(
      on.empty() ? absl::FormatTime("%Y-%m-%d", absl::Now(), absl::UTCTimeZone()) : on);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::RecordConsentResponse response;
  RETURN_IF_ERROR(FromGrpc(client.stub().RecordConsent(&context, request, &response)));
  out << "consent for " << absl::AsciiStrToLower(v1::Purpose_Name(code)) << " "
      << (give ? "given" : "withdrawn") << " on record " << record_id << "\n";
  return absl::OkStatus();
}

absl::Status ListCommand(VaultClient& client, const std::string& facility, const std::string& since,
                         std::ostream& out, std::ostream& err) {
  v1::ListRecordsRequest request;
  request.set_facility_id(facility);
  request.set_since(since);
  request.set_page_size(1000);
  size_t listed = 0;
  for (;;) {
    ASSIGN_OR_RETURN(v1::ListRecordsResponse page, client.List(request));
    listed += page.records_size();
    // Facility ids are public codes: the typed one may be repeated (truncated).
    const std::string unregistered =
        page.closest_registered_facilities().empty()
            ? ""
            : absl::StrCat("--facility: \"", facility.substr(0, 64),
                           "\" is not in the facility registry (ids are case-sensitive); "
                           "closest: ",
                           absl::StrJoin(page.closest_registered_facilities(), ", "));
    if (page.next_page_token().empty() && listed == 0) {
      if (!unregistered.empty()) return absl::InvalidArgumentError(unregistered);
      err << "no records match" << (facility.empty() && since.empty() ? "" : " these filters")
          << " in your scope\n";
      return absl::OkStatus();
    }
    if (!unregistered.empty() && request.page_token().empty()) {
      err << "confidant: " << unregistered << "\n";  // records filed before it was removed
    }
    for (const v1::RecordSummary& r : page.records()) {
      // The team name is free text a submitter typed: escaped (proto/display_text.h).
      out << ForTerminal(r.record_id()) << "  v" << r.record_version() << "  "
          << ForTerminal(r.visit().visit_date()) << "  "
          << v1::Region_Name(r.visit().region()) << "  "  // as written in a record file
          << ForTerminal(r.visit().facility_id()) << "  " << ForTerminal(r.visit().team());
      if (!r.likely_duplicate_of().empty()) {
        out << "  likely-duplicate-of " << ForTerminal(r.likely_duplicate_of());
      }
      out << "\n";
    }
    if (page.next_page_token().empty()) return absl::OkStatus();
    request.set_page_token(page.next_page_token());
  }
}

}  // namespace confidant::client
