// Consent changes after the interview: append-only, sealed, newest per purpose wins.
#include <vector>


#include "base/bytes.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "proto/record_validation.h"
#include "server/clock.h"
#include "server/record_consent.h"
#include "server/record_layout.h"
#include "server/record_vault.h"

namespace confidant::server {

std::string ConsentPrefix(std::string_view raw_id) {
  std::string key = "C";
  key.append(raw_id);
  return key;
}

namespace {

std::string ConsentAssociatedData(std::string_view id_hex, std::string_view key) {
  std::string ad = DomainTag("confidant/v1/consent");
  AppendLengthPrefixed(ad, id_hex);
  AppendLengthPrefixed(ad, key);
  return ad;
}

}  // namespace

absl::StatusOr<std::vector<storage::v1::ConsentChange>> LoadConsentChanges(
    const store::KvStore& store, const crypto::SecretBytes& metadata_key, std::string_view id_hex) {
  std::vector<storage::v1::ConsentChange> changes;
  absl::Status status;
  RETURN_IF_ERROR(store.Scan(store::Space::kIndex, ConsentPrefix(RecordIdFromHex(id_hex)),
                             [&](std::string_view key, std::string_view value) {
                               absl::StatusOr<std::string> opened = crypto::AeadOpen(
                                   metadata_key, value, ConsentAssociatedData(id_hex, key));
                               storage::v1::ConsentChange change;
                               if (!opened.ok() || !change.ParseFromString(*opened)) {
                                 status = absl::DataLossError("decryption failed");
                                 return false;
                               }
                               changes.push_back(std::move(change));
                               return true;
                             }));
  RETURN_IF_ERROR(status);
  return changes;  // keys sort by time: oldest first
}

absl::StatusOr<store::Mutation> RecordVault::ConsentChangeMutation(std::string_view record_id,
                                                                   v1::Purpose purpose, bool given,
                                                                   std::string_view recorded_on,
                                                                   std::string_view person_id) {
  RETURN_IF_ERROR(ValidateRecordId(record_id));
  if (purpose == v1::PURPOSE_UNSPECIFIED || !v1::Purpose_IsValid(purpose)) {
    return absl::InvalidArgumentError("purpose: a known purpose code is required");
  }
  if (!IsValidDate(recorded_on)) return absl::InvalidArgumentError("recorded_on: must be YYYY-MM-DD");
  const int64_t now = clock_();
  storage::v1::ConsentChange change;
  change.set_purpose(purpose);
  change.set_given(given);
  change.set_recorded_on(std::string(recorded_on));
  change.set_recorded_by_person_id(std::string(person_id));
  change.set_recorded_unix_seconds(now);
  std::string key = ConsentPrefix(RecordIdFromHex(record_id));
  // Microseconds order changes made within one second; the random tail keeps keys unique.
  AppendU64(key, static_cast<uint64_t>(WallMicros()));
  key += crypto::RandomBytes(4);
  ASSIGN_OR_RETURN(std::string sealed,
                   crypto::AeadSeal(keys_.metadata_key(), change.SerializeAsString(),
                                    ConsentAssociatedData(record_id, key)));
  store::Mutation mutation;
  mutation.Put(store::Space::kIndex, std::move(key), std::move(sealed));
  return mutation;
}

void ApplyConsentChanges(const std::vector<storage::v1::ConsentChange>& changes,
                         google::protobuf::RepeatedPtrField<v1::Consent>& consents) {
  for (const storage::v1::ConsentChange& change : changes) {
    v1::Consent* target = nullptr;
    for (v1::Consent& consent : consents) {
      if (static_cast<uint32_t>(consent.purpose()) == change.purpose()) target = &consent;
    }
    if (target == nullptr) target = consents.Add();
    target->set_purpose(static_cast<v1::Purpose>(change.purpose()));
    target->set_given(change.given());
    target->set_recorded_on(change.recorded_on());
  }
}

}  // namespace confidant::server
