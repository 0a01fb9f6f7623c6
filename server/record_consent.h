// Consent changes recorded after the interview (see RecordVault::ConsentChangeMutation).
#ifndef CONFIDANT_SERVER_RECORD_CONSENT_H_
#define CONFIDANT_SERVER_RECORD_CONSENT_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "confidant/v1/record.pb.h"
#include "crypto/secret_bytes.h"
#include "policy/authorizer.h"
#include "server/store/kv_store.h"
#include "server/store/storage.pb.h"

namespace confidant::server {

// The index-space prefix of a record's consent changes: "C" || record id (16 raw bytes). Each
// key adds u64(time micros) and 4 random bytes.
std::string ConsentPrefix(std::string_view raw_id);
inline constexpr size_t kConsentKeyBytes = 1 + 16 + 8 + 4;

// Every consent change of a record, oldest first. DATA_LOSS if one does not open.
absl::StatusOr<std::vector<storage::v1::ConsentChange>> LoadConsentChanges(
    const store::KvStore& store, const crypto::SecretBytes& metadata_key, std::string_view id_hex);

// A record's consent for one purpose, and the day of the statement that set it.
struct ConsentState {
  policy::Consent consent = policy::Consent::kNone;
  std::string recorded_on;
};

// The consent per purpose of a record, replayed oldest first: the consents of its first
// version, then each amendment and each consent change in the order they were stored (an
// amendment goes after a change stored in the same second). A consent change sets the state
// (given or withdrawn). An amendment may only narrow it: a purpose it does not state as given
// becomes withdrawn if it was given; it never gives consent (a detainee's consent is recorded
// again through a consent change, which is audited as such). `versions` is oldest first.
std::map<v1::Purpose, ConsentState> ReplayConsent(
    const std::vector<const storage::v1::RecordMetadata*>& versions,
    const std::vector<storage::v1::ConsentChange>& changes);

// The state as the API shows it: one Consent per purpose with a statement, in purpose order.
void ToConsents(const std::map<v1::Purpose, ConsentState>& state,
                google::protobuf::RepeatedPtrField<v1::Consent>& consents);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RECORD_CONSENT_H_
