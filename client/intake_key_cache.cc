#include "client/intake_key_cache.h"

#include <algorithm>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "client/log_client.h"
#include "crypto/asymmetric.h"
#include "policy/facility_registry.h"
#include "policy/policy.h"
#include "proto/facility_registry_format.h"
#include "proto/intake_key_format.h"

namespace confidant::client {
namespace {

constexpr char kHeader[] = "confidant-intake-key v1";

}  // namespace

absl::StatusOr<std::string> VerifyIntakeKey(const v1::IntakeKey& key,
                                            const std::string& trusted_vault_key) {
  ASSIGN_OR_RETURN(std::string vault_key,
                   CurrentVaultKey(trusted_vault_key,
                                   std::vector<std::string>(key.identity_transitions().begin(),
                                                            key.identity_transitions().end()),
                                   ""));
  const std::string signed_bytes =
      IntakeKeySigningBytes(key.version(), key.public_key(), key.created_unix_seconds());
  if (!crypto::VerifySignature(vault_key, signed_bytes, key.signature()).ok()) {
    return absl::UnauthenticatedError("intake key is not signed by the pinned vault key");
  }
  if (!key.has_facility_registry()) {
    return absl::UnauthenticatedError(
        "intake key came without the facility registry the vault signs and serves with it "
        "(removed from the kept key, or a vault older than this client); it is not used");
  }
  if (!crypto::VerifySignature(vault_key, FacilityRegistrySigningBytes(key.facility_registry()),
                               key.facility_registry().signature())
           .ok()) {
    return absl::UnauthenticatedError("facility registry is not signed by the pinned vault key");
  }
  if (key.facility_registry().intake_key_version() != key.version()) {
    return absl::UnauthenticatedError(
        "facility registry was served with another intake key (a replayed registry)");
  }
  return vault_key;
}

absl::Status CheckFacilityBeforeSealing(const v1::IntakeKey& key,
                                        const v1::InterviewRecord& record) {
  if (!key.has_facility_registry()) {  // VerifyIntakeKey refuses such a key
    return absl::UnauthenticatedError("intake key came without its facility registry");
  }
  const v1::FacilityRegistry& registry = key.facility_registry();
  // The record class: refused at delivery otherwise, when the file may be gone.
  const std::string& record_class = record.record_class();
  if (!record_class.empty() && record_class != policy::kDefaultRecordClass &&
      std::find(registry.record_classes().begin(), registry.record_classes().end(),
                record_class) == registry.record_classes().end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "record_class: not a retention class the policy declares (",
        registry.record_classes().empty()
            ? "it declares none"
            : absl::StrCat("declared: ", absl::StrJoin(registry.record_classes(), ", ")),
        "; leave it empty for the default class). Nothing was sealed: fix the file and submit it "
        "again"));
  }
  if (!registry.lists_facilities()) return absl::OkStatus();  // the vault checks none either
  std::vector<policy::v1::Facility> facilities;
  facilities.reserve(key.facility_registry().facilities_size());
  for (const v1::RegisteredFacility& registered : key.facility_registry().facilities()) {
    policy::v1::Facility& facility = facilities.emplace_back();
    facility.set_id(registered.id());
    facility.set_region(static_cast<policy::v1::Region>(registered.region()));
  }
  const absl::Status checked = policy::CheckFacilityInList(
      facilities, key.facility_registry().policy_version(), record.visit().facility_id(),
      static_cast<policy::v1::Region>(record.visit().region()));
  if (checked.ok()) return checked;
  return absl::Status(checked.code(),
                      absl::StrCat(checked.message(), ". Nothing was sealed: fix the file and "
                                                      "submit it again"));
}

// File format, one item per line: the header, "confirmed UNIX_SECONDS", then the base64 of the
// serialized v1.IntakeKey (record_service.proto).
CachedIntakeKey CachedIntakeKey::Dated(v1::IntakeKey key, int64_t unsigned_fallback) {
  const int64_t served = key.facility_registry().served_unix_seconds();
  return CachedIntakeKey{std::move(key), served != 0 ? served : unsigned_fallback};
}

absl::StatusOr<std::optional<CachedIntakeKey>> LoadIntakeKey(const std::string& path,
                                                             const std::string& pinned_vault_key) {
  absl::StatusOr<std::string> text = ReadFile(path, 1 << 20);
  if (absl::IsNotFound(text.status())) return std::nullopt;
  RETURN_IF_ERROR(text.status());
  const std::vector<std::string> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  v1::IntakeKey key;
  int64_t written_confirmed = 0;
  std::string serialized;
  if (lines.size() != 3 || lines[0] != kHeader || !absl::StartsWith(lines[1], "confirmed ") ||
      !absl::SimpleAtoi(lines[1].substr(10), &written_confirmed) ||
      !absl::Base64Unescape(lines[2], &serialized) || !key.ParseFromString(serialized)) {
    return absl::DataLossError(absl::StrCat(path, " is damaged; delete it and run `confidant "
                                                  "outbox flush` while online to fetch the key again"));
  }
  if (const absl::Status verified = VerifyIntakeKey(key, pinned_vault_key).status();
      !verified.ok()) {
    return absl::DataLossError(absl::StrCat(
        path, " does not verify under the pinned vault key (vault.pub) (", verified.message(),
        "): it is not used; delete it and fetch the key again while online"));
  }
  return CachedIntakeKey::Dated(std::move(key), written_confirmed);
}

absl::Status StoreIntakeKey(const std::string& path, const v1::IntakeKey& key,
                            int64_t confirmed_unix_seconds) {
  return WriteFileAtomically(
      path,
      absl::StrCat(kHeader, "\nconfirmed ", confirmed_unix_seconds, "\n",
                   absl::Base64Escape(key.SerializeAsString()), "\n"),
      0600);
}

}  // namespace confidant::client
