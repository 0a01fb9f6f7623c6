// Break-glass requests: sealed, keyed by random id, rewritten under one lock as decisions arrive.
#include "server/break_glass_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "server/record_layout.h"

namespace confidant::server {
namespace {

// Keys are exactly "B" and 16 bytes; other index entries may start with "B" too (see All).
constexpr char kPrefix[] = "B";

std::string StorageKey(std::string_view request_id_hex) {
  std::string key = kPrefix;
  key.append(RecordIdFromHex(request_id_hex));  // same 16-byte hex form as record ids
  return key;
}

std::string AssociatedData(std::string_view key) {
  std::string ad = DomainTag("confidant/v1/break-glass");
  AppendLengthPrefixed(ad, key);
  return ad;
}

}  // namespace

absl::Status ValidateBreakGlassRequestId(std::string_view request_id) {
  bool ok = request_id.size() == 2 * kRecordIdBytes;
  for (char c : request_id) ok = ok && absl::ascii_isxdigit(c) && !absl::ascii_isupper(c);
  if (!ok) return absl::InvalidArgumentError("request_id: must be 32 lower-case hex characters");
  return absl::OkStatus();
}

bool BreakGlassApproved(const storage::v1::BreakGlassRequest& request, uint32_t min_approvals) {
  return request.rejected_by().empty() && !request.request_expired() && min_approvals > 0 &&
         static_cast<uint32_t>(request.approvals_size()) >= min_approvals;
}

policy::BreakGlassGrant ToGrant(const storage::v1::BreakGlassRequest& request,
                                std::optional<int64_t> steady_deadline_micros,
                                int64_t now_steady_micros) {
  policy::BreakGlassGrant grant;
  grant.record_id = request.record_id();
  grant.requester_person_id = request.requester_person_id();
  grant.purpose = static_cast<policy::v1::Purpose>(request.purpose());
  grant.request_id = request.id();
  const bool lapsed = request.lapse_recorded() || (steady_deadline_micros.has_value() &&
                                                   now_steady_micros >= *steady_deadline_micros);
  grant.expires_unix_seconds = lapsed ? 0 : request.expires_unix_seconds();
  grant.approver_person_ids.assign(request.approvals().begin(), request.approvals().end());
  return grant;
}

absl::StatusOr<store::Mutation> BreakGlassStore::Seal(
    const storage::v1::BreakGlassRequest& request) const {
  std::string key = StorageKey(request.id());
  ASSIGN_OR_RETURN(std::string sealed, crypto::AeadSeal(keys_.metadata_key(),
                                                        request.SerializeAsString(),
                                                        AssociatedData(key)));
  store::Mutation mutation;
  mutation.Put(store::Space::kIndex, std::move(key), std::move(sealed));
  return mutation;
}

absl::StatusOr<store::Mutation> BreakGlassStore::CreateMutation(
    storage::v1::BreakGlassRequest& request) {
  request.set_id(RecordIdToHex(crypto::RandomBytes(kRecordIdBytes)));
  return Seal(request);
}

absl::Status BreakGlassStore::Create(storage::v1::BreakGlassRequest& request, const AdmitFn& admit,
                           const std::function<absl::Status(store::Mutation)>& commit) {
  absl::MutexLock lock(&create_mu_);
  ASSIGN_OR_RETURN(std::vector<storage::v1::BreakGlassRequest> all, All());
  RETURN_IF_ERROR(admit(all));
  ASSIGN_OR_RETURN(store::Mutation mutation, CreateMutation(request));
  return commit(std::move(mutation));
}

absl::StatusOr<std::vector<storage::v1::BreakGlassRequest>> BreakGlassStore::All() const {
  std::vector<storage::v1::BreakGlassRequest> requests;
  absl::Status status;
  RETURN_IF_ERROR(store_.Scan(store::Space::kIndex, kPrefix,
                              [&](std::string_view key, std::string_view value) {
                                // Submission index keys (32-byte keyed hashes, no prefix)
                                // share this space: one in 256 starts with "B".
                                if (key.size() != 1 + kRecordIdBytes) return true;
                                absl::StatusOr<std::string> opened = crypto::AeadOpen(
                                    keys_.metadata_key(), value, AssociatedData(key));
                                storage::v1::BreakGlassRequest request;
                                if (!opened.ok() || !request.ParseFromString(*opened) ||
                                    StorageKey(request.id()) != key) {
                                  status = absl::DataLossError("decryption failed");
                                  return false;
                                }
                                requests.push_back(std::move(request));
                                return true;
                              }));
  RETURN_IF_ERROR(status);
  return requests;
}

absl::Status BreakGlassStore::DeleteForRecord(std::string_view record_id,
                                              store::Mutation mutation, const CommitFn& commit,
                                              std::vector<std::string>& deleted) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::vector<storage::v1::BreakGlassRequest> requests, All());
  std::vector<std::string> ids;
  deleted.clear();
  for (const storage::v1::BreakGlassRequest& request : requests) {
    if (request.record_id() != record_id) continue;
    ids.push_back(request.id());
    deleted.push_back(StorageKey(request.id()));
    mutation.Delete(store::Space::kIndex, deleted.back());
  }
  RETURN_IF_ERROR(commit(std::move(mutation)));
  for (const std::string& id : ids) ForgetSteadyDeadline(id);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<storage::v1::BreakGlassRequest>> BreakGlassStore::FindGrant(
    std::string_view record_id, std::string_view person_id, uint32_t purpose,
    uint32_t min_approvals) const {
  ASSIGN_OR_RETURN(std::vector<storage::v1::BreakGlassRequest> requests, All());
  std::optional<storage::v1::BreakGlassRequest> best;
  for (storage::v1::BreakGlassRequest& request : requests) {
    if (request.record_id() != record_id || request.requester_person_id() != person_id ||
        request.purpose() != purpose || !BreakGlassApproved(request, min_approvals)) {
      continue;
    }
    if (!best.has_value() || request.expires_unix_seconds() > best->expires_unix_seconds()) {
      best = std::move(request);
    }
  }
  return best;
}

absl::Status BreakGlassStore::Decide(std::string_view request_id, const DecideFn& decide,
                                     const CommitFn& commit) {
  RETURN_IF_ERROR(ValidateBreakGlassRequestId(request_id));
  absl::MutexLock lock(&mu_);
  const std::string key = StorageKey(request_id);
  ASSIGN_OR_RETURN(std::optional<std::string> value, store_.Get(store::Space::kIndex, key));
  if (!value.has_value()) return absl::NotFoundError("no such break-glass request");
  absl::StatusOr<std::string> opened =
      crypto::AeadOpen(keys_.metadata_key(), *value, AssociatedData(key));
  storage::v1::BreakGlassRequest request;
  if (!opened.ok() || !request.ParseFromString(*opened) || request.id() != request_id) {
    return absl::DataLossError("decryption failed");
  }
  RETURN_IF_ERROR(decide(request));
  ASSIGN_OR_RETURN(store::Mutation mutation, Seal(request));
  return commit(std::move(mutation));
}

void BreakGlassStore::RememberSteadyDeadline(std::string_view request_id, int64_t steady_micros) {
  absl::MutexLock lock(&deadlines_mu_);
  steady_deadlines_[std::string(request_id)] = steady_micros;
}

std::optional<int64_t> BreakGlassStore::SteadyDeadline(std::string_view request_id) const {
  absl::MutexLock lock(&deadlines_mu_);
  auto it = steady_deadlines_.find(request_id);
  if (it == steady_deadlines_.end()) return std::nullopt;
  return it->second;
}

void BreakGlassStore::ForgetSteadyDeadline(std::string_view request_id) {
  absl::MutexLock lock(&deadlines_mu_);
  auto it = steady_deadlines_.find(request_id);
  if (it != steady_deadlines_.end()) steady_deadlines_.erase(it);
}

}  // namespace confidant::server
