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
  const int64_t micros = WallMicros();
  change.set_recorded_unix_micros(micros);
  std::string key = ConsentPrefix(RecordIdFromHex(record_id));
  // Microseconds order changes made within one second; the random tail keeps keys unique.
  AppendU64(key, static_cast<uint64_t>(micros));
  key += crypto::RandomBytes(4);
  ASSIGN_OR_RETURN(std::string sealed,
                   crypto::AeadSeal(keys_.metadata_key(), change.SerializeAsString(),
                                    ConsentAssociatedData(record_id, key)));
  store::Mutation mutation;
  mutation.Put(store::Space::kIndex, std::move(key), std::move(sealed));
  return mutation;
}

std::map<v1::Purpose, ConsentState> ReplayConsent(
    const std::vector<const storage::v1::RecordMetadata*>& versions,
    const std::vector<storage::v1::ConsentChange>& changes) {
  std::map<v1::Purpose, ConsentState> state;
  if (versions.empty()) return state;
  for (const v1::Consent& c : versions.front()->consents()) {
    if (c.given()) {
      state[c.purpose()] = {policy::Consent::kGiven, c.recorded_on()};
    } else {
      state.try_emplace(c.purpose(), ConsentState{policy::Consent::kNone, c.recorded_on()});
    }
  }
  auto amend = [&](const storage::v1::RecordMetadata& m) {
    for (auto& [purpose, current] : state) {
      if (current.consent != policy::Consent::kGiven) continue;
      const v1::Consent* stated = nullptr;
      for (const v1::Consent& c : m.consents()) {
        if (c.purpose() == purpose) stated = &c;
      }
      if (stated == nullptr || !stated->given()) {
        current = {policy::Consent::kWithdrawn,
                   stated != nullptr ? stated->recorded_on() : m.visit().visit_date()};
      }
    }
  };
  // Merge by time; changes are already oldest first (their keys sort by time). Microseconds where
  // both sides have them; otherwise seconds, an amendment going after a change of its second.
  auto change_time = [](const storage::v1::ConsentChange& c) {
    return c.recorded_unix_micros() != 0 ? c.recorded_unix_micros()
                                         : c.recorded_unix_seconds() * 1000000 + 999999;
  };
  size_t next_change = 0;
  for (size_t v = 1; v < versions.size(); ++v) {
    const int64_t at = versions[v]->version_created_unix_micros() != 0
                           ? versions[v]->version_created_unix_micros()
                           : versions[v]->version_created_unix_seconds() * 1000000 + 999999;
    for (; next_change < changes.size() && change_time(changes[next_change]) <= at;
         ++next_change) {
      const storage::v1::ConsentChange& c = changes[next_change];
      state[static_cast<v1::Purpose>(c.purpose())] = {
          c.given() ? policy::Consent::kGiven : policy::Consent::kWithdrawn, c.recorded_on()};
    }
    amend(*versions[v]);
  }
  for (; next_change < changes.size(); ++next_change) {
    const storage::v1::ConsentChange& c = changes[next_change];
    state[static_cast<v1::Purpose>(c.purpose())] = {
        c.given() ? policy::Consent::kGiven : policy::Consent::kWithdrawn, c.recorded_on()};
  }
  return state;
}

void ToConsents(const std::map<v1::Purpose, ConsentState>& state,
                google::protobuf::RepeatedPtrField<v1::Consent>& consents) {
  consents.Clear();
  for (const auto& [purpose, s] : state) {
    v1::Consent* c = consents.Add();
    c->set_purpose(purpose);
    c->set_given(s.consent == policy::Consent::kGiven);
    c->set_recorded_on(s.recorded_on);
  }
}

}  // namespace confidant::server
