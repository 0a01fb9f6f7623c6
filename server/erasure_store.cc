#include "server/erasure_store.h"

#include <string>
#include <utility>

#include "base/bytes.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "server/break_glass_store.h"
#include "server/record_layout.h"

namespace confidant::server {
namespace {

// Keys are exactly "E" and 16 bytes; submission index keys (32-byte keyed hashes) share the
// space and may start with "E" too, so scans check the length.
constexpr char kPrefix[] = "E";

std::string StorageKey(std::string_view request_id_hex) {
  std::string key = kPrefix;
  key.append(RecordIdFromHex(request_id_hex));
  return key;
}

std::string AssociatedData(std::string_view key) {
  std::string ad = DomainTag("confidant/v1/erasure");
  AppendLengthPrefixed(ad, key);
  return ad;
}

absl::StatusOr<storage::v1::ErasureRequest> Open(const VaultKeys& keys, std::string_view key,
                                                 std::string_view value) {
  absl::StatusOr<std::string> opened = crypto::AeadOpen(keys.metadata_key(), value,
                                                        AssociatedData(key));
  storage::v1::ErasureRequest request;
  if (!opened.ok() || !request.ParseFromString(*opened) || StorageKey(request.id()) != key) {
    return absl::DataLossError("decryption failed");
  }
  return request;
}

}  // namespace

bool ErasureRequestOpen(const storage::v1::ErasureRequest& request, int64_t ttl_seconds,
                        int64_t now) {
  return request.decided_by().empty() && !request.request_expired() &&
         now < request.created_unix_seconds() + ttl_seconds;
}

absl::StatusOr<store::Mutation> ErasureStore::Seal(const storage::v1::ErasureRequest& request) const {
  std::string key = StorageKey(request.id());
  ASSIGN_OR_RETURN(std::string sealed, crypto::AeadSeal(keys_.metadata_key(),
                                                        request.SerializeAsString(),
                                                        AssociatedData(key)));
  store::Mutation mutation;
  mutation.Put(store::Space::kIndex, std::move(key), std::move(sealed));
  return mutation;
}

absl::StatusOr<store::Mutation> ErasureStore::CreateMutation(
    storage::v1::ErasureRequest& request) const {
  request.set_id(RecordIdToHex(crypto::RandomBytes(kRecordIdBytes)));
  return Seal(request);
}

absl::Status ErasureStore::Create(storage::v1::ErasureRequest& request, const AdmitFn& admit,
                           const std::function<absl::Status(store::Mutation)>& commit) {
  absl::MutexLock lock(&create_mu_);
  ASSIGN_OR_RETURN(std::vector<storage::v1::ErasureRequest> all, All());
  RETURN_IF_ERROR(admit(all));
  ASSIGN_OR_RETURN(store::Mutation mutation, CreateMutation(request));
  return commit(std::move(mutation));
}

absl::StatusOr<std::vector<storage::v1::ErasureRequest>> ErasureStore::All() const {
  std::vector<storage::v1::ErasureRequest> requests;
  absl::Status status;
  RETURN_IF_ERROR(store_.Scan(store::Space::kIndex, kPrefix,
                              [&](std::string_view key, std::string_view value) {
                                if (key.size() != 1 + kRecordIdBytes) return true;
                                absl::StatusOr<storage::v1::ErasureRequest> request =
                                    Open(keys_, key, value);
                                if (!request.ok()) {
                                  status = request.status();
                                  return false;
                                }
                                requests.push_back(*std::move(request));
                                return true;
                              }));
  RETURN_IF_ERROR(status);
  return requests;
}

absl::Status ErasureStore::Decide(std::string_view request_id, const DecideFn& decide,
                                  const CommitFn& commit) {
  RETURN_IF_ERROR(ValidateBreakGlassRequestId(request_id));  // same 32-hex form
  absl::MutexLock lock(&mu_);
  const std::string key = StorageKey(request_id);
  ASSIGN_OR_RETURN(std::optional<std::string> value, store_.Get(store::Space::kIndex, key));
  if (!value.has_value()) return absl::NotFoundError("no such erasure request");
  ASSIGN_OR_RETURN(storage::v1::ErasureRequest request, Open(keys_, key, *value));
  RETURN_IF_ERROR(decide(request));
  ASSIGN_OR_RETURN(store::Mutation mutation, Seal(request));
  return commit(std::move(mutation));
}

}  // namespace confidant::server
