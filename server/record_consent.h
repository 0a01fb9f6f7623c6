// Consent changes recorded after the interview (see RecordVault::ConsentChangeMutation).
#ifndef CONFIDANT_SERVER_RECORD_CONSENT_H_
#define CONFIDANT_SERVER_RECORD_CONSENT_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "confidant/v1/record.pb.h"
#include "crypto/secret_bytes.h"
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

// Applies `changes` in order to the consents recorded at the interview: the newest per purpose
// decides.
void ApplyConsentChanges(const std::vector<storage::v1::ConsentChange>& changes,
                         google::protobuf::RepeatedPtrField<v1::Consent>& consents);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RECORD_CONSENT_H_
