#include "server/custody.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/share_text.h"

namespace confidant::server {
namespace {

constexpr std::string_view kCustodyKey = kCustodyRecordKey;

absl::StatusOr<crypto::ShareHashes> HashesOf(const storage::v1::CustodyRecord& record) {
  std::vector<std::string> hashes(record.share_hashes().begin(), record.share_hashes().end());
  absl::StatusOr<crypto::ShareHashes> parsed = crypto::ShareHashes::Create(
      record.share_set_id(), static_cast<int>(record.threshold()), std::move(hashes));
  if (!parsed.ok()) return absl::DataLossError("the stored custody record is malformed");
  return parsed;
}

}  // namespace

absl::StatusOr<std::optional<storage::v1::CustodyRecord>> LoadCustodyRecord(
    const store::KvStore& store) {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   store.Get(store::Space::kMeta, std::string(kCustodyKey)));
  if (!value.has_value()) return std::nullopt;
  storage::v1::CustodyRecord record;
  if (!record.ParseFromString(*value)) {
    return absl::DataLossError("the stored custody record is malformed");
  }
  return record;
}

absl::StatusOr<std::optional<storage::v1::CustodyRecord>> Custody::Load() const {
  if (restoring_.has_value()) return restoring_;
  return LoadCustodyRecord(store_);
}

void Custody::EndRestore() {
  absl::MutexLock lock(&mu_);
  restoring_.reset();
}

bool Custody::restoring() const {
  absl::MutexLock lock(&mu_);
  return restoring_.has_value();
}

absl::StatusOr<bool> Custody::HasKeys() const {
  bool has_keys = false;
  RETURN_IF_ERROR(store_.Scan(store::Space::kKeys, "", [&](std::string_view, std::string_view) {
    has_keys = true;
    return false;
  }));
  return has_keys;
}

absl::StatusOr<CustodyStatus> Custody::Status() const {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::optional<storage::v1::CustodyRecord> record, Load());
  CustodyStatus status;
  if (!record.has_value()) {
    ASSIGN_OR_RETURN(status.keyed_without_shares, HasKeys());
    return status;
  }
  status.initialised = true;
  status.threshold = record->threshold();
  status.shares = static_cast<uint32_t>(record->share_hashes_size());
  status.emergency = record->emergency();
  status.set_id_hex = crypto::ShareSetIdHex(record->share_set_id());
  status.received = static_cast<uint32_t>(received_.size());
  return status;
}

absl::StatusOr<Custody::Initialised> Custody::Init(int threshold, int shares, int64_t now) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::optional<storage::v1::CustodyRecord> existing, Load());
  if (existing.has_value()) {
    return absl::FailedPreconditionError("this vault is already initialised");
  }
  ASSIGN_OR_RETURN(const bool has_keys, HasKeys());
  if (has_keys) {
    return absl::FailedPreconditionError(
        "this vault already has keys (a dev vault keyed by its key file?): init is only for a "
        "new vault");
  }
  crypto::SecretBytes master = crypto::SecretBytes::Random(crypto::kShamirSecretSize);
  ASSIGN_OR_RETURN(crypto::SplitShares split, crypto::Split(master, threshold, shares));
  storage::v1::CustodyRecord record;
  record.set_share_set_id(split.hashes.set_id());
  record.set_threshold(static_cast<uint32_t>(threshold));
  for (int i = 1; i <= split.hashes.share_count(); ++i) record.add_share_hashes(split.hashes.hash(i));
  record.set_created_unix_seconds(now);
  store::Mutation mutation;
  mutation.Put(store::Space::kMeta, std::string(kCustodyKey), record.SerializeAsString());
  mutation.Expect(store::Space::kMeta, std::string(kCustodyKey), std::nullopt);
  RETURN_IF_ERROR(store_.Commit(mutation));
  Initialised out{std::move(master), {}};
  for (const crypto::Share& share : split.shares) out.share_texts.push_back(crypto::EncodeShare(share));
  return out;
}

absl::StatusOr<std::optional<crypto::SecretBytes>> Custody::AddShare(std::string_view text,
                                                                     std::string_view person_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::optional<storage::v1::CustodyRecord> record, Load());
  if (!record.has_value()) {
    ASSIGN_OR_RETURN(const bool has_keys, HasKeys());
    if (has_keys) {
      return absl::FailedPreconditionError(
          "this vault has keys but no share set: a dev vault is keyed by its key file, so "
          "restart confidantd --dev to unseal it");
    }
    return absl::FailedPreconditionError("this vault is not initialised: run operator init");
  }
  ASSIGN_OR_RETURN(crypto::ShareHashes hashes, HashesOf(*record));
  ASSIGN_OR_RETURN(crypto::Share share, crypto::ParseShare(text));
  ASSIGN_OR_RETURN(int index, crypto::VerifyShareAgainst(hashes, share));
  for (size_t i = 0; i < received_.size(); ++i) {
    if (received_[i].index() == index) {
      return absl::InvalidArgumentError(
          absl::StrCat("share ", index, " was already given for this unseal"));
    }
    if (record->emergency() && received_from_[i] == person_id) {
      return absl::InvalidArgumentError(
          "after an emergency seal each share must come from a different custodian");
    }
  }
  received_.push_back(std::move(share));
  received_from_.emplace_back(person_id);
  if (received_.size() < record->threshold()) return std::nullopt;
  absl::StatusOr<crypto::SecretBytes> master = crypto::CombineVerified(hashes, received_);
  received_.clear();  // Share payloads are SecretBytes: wiped as they go
  received_from_.clear();
  if (!master.ok()) return master.status();
  return std::optional<crypto::SecretBytes>(*std::move(master));
}

void Custody::Reset() {
  absl::MutexLock lock(&mu_);
  received_.clear();
  received_from_.clear();
}

absl::Status Custody::SetEmergency(bool emergency) {
  absl::MutexLock lock(&mu_);
  if (restoring_.has_value()) {
    return absl::FailedPreconditionError(
        "a restore is pending: the emergency flag is kept with the restored vault");
  }
  ASSIGN_OR_RETURN(std::optional<storage::v1::CustodyRecord> record, Load());
  if (!record.has_value()) {
    return emergency ? absl::FailedPreconditionError(
                           "an emergency seal needs an initialised vault (a dev vault reopens "
                           "from its key file)")
                     : absl::OkStatus();
  }
  if (record->emergency() == emergency) return absl::OkStatus();
  record->set_emergency(emergency);
  store::Mutation mutation;
  mutation.Put(store::Space::kMeta, std::string(kCustodyKey), record->SerializeAsString());
  return store_.Commit(mutation);
}

absl::StatusOr<Custody::ReshareProgress> Custody::AddReshareShare(
    std::string_view text, std::string_view person_id, int threshold, int shares, int64_t now,
    const ReshareCommitFn& commit) {
  if (shares < 2 || shares > 255 || threshold < 2 || threshold > shares) {
    return absl::InvalidArgumentError(
        "shares and threshold: need 2 <= threshold <= shares <= 255 (one person must never "
        "open the vault alone)");
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::optional<storage::v1::CustodyRecord> record, Load());
  if (!record.has_value()) {
    return absl::FailedPreconditionError(
        "this vault has no unseal shares to re-share (a dev vault is keyed by its key file)");
  }
  if (!reshare_received_.empty() &&
      (threshold != reshare_threshold_ || shares != reshare_shares_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the re-share in progress is for ", reshare_threshold_, " of ", reshare_shares_,
        " new shares; every custodian must ask for the same (or reset it first)"));
  }
  ASSIGN_OR_RETURN(crypto::ShareHashes hashes, HashesOf(*record));
  ASSIGN_OR_RETURN(crypto::Share share, crypto::ParseShare(text));
  ASSIGN_OR_RETURN(int index, crypto::VerifyShareAgainst(hashes, share));
  for (size_t i = 0; i < reshare_received_.size(); ++i) {
    if (reshare_received_[i].index() == index) {
      return absl::InvalidArgumentError(
          absl::StrCat("share ", index, " was already given for this re-share"));
    }
    if (record->emergency() && reshare_from_[i] == person_id) {
      return absl::InvalidArgumentError(
          "after an emergency seal each share must come from a different custodian");
    }
  }
  reshare_received_.push_back(std::move(share));
  reshare_from_.emplace_back(person_id);
  reshare_threshold_ = threshold;
  reshare_shares_ = shares;
  ReshareProgress progress;
  progress.needed = record->threshold();
  progress.old_set_id_hex = crypto::ShareSetIdHex(record->share_set_id());
  progress.received = static_cast<uint32_t>(reshare_received_.size());
  if (reshare_received_.size() < record->threshold()) return progress;
  absl::StatusOr<crypto::SecretBytes> current = crypto::CombineVerified(hashes, reshare_received_);
  reshare_received_.clear();  // wiped; whatever happens next, they must be given again
  reshare_from_.clear();
  progress.received = 0;
  if (!current.ok()) return current.status();
  crypto::SecretBytes fresh = crypto::SecretBytes::Random(crypto::kShamirSecretSize);
  std::optional<crypto::SplitShares> split;
  while (!split.has_value() || split->hashes.set_id() == record->share_set_id()) {
    ASSIGN_OR_RETURN(crypto::SplitShares drawn, crypto::Split(fresh, threshold, shares));
    split.emplace(std::move(drawn));  // a new random set id, never the old one
  }
  storage::v1::CustodyRecord next;
  next.set_share_set_id(split->hashes.set_id());
  next.set_threshold(static_cast<uint32_t>(threshold));
  for (int i = 1; i <= split->hashes.share_count(); ++i) {
    next.add_share_hashes(split->hashes.hash(i));
  }
  next.set_created_unix_seconds(now);
  store::Mutation mutation;
  mutation.Put(store::Space::kMeta, std::string(kCustodyKey), next.SerializeAsString());
  RETURN_IF_ERROR(
      commit(*current, fresh, std::move(mutation), record->share_set_id(), next.share_set_id()));
  for (const crypto::Share& s : split->shares) {
    progress.share_texts.push_back(crypto::EncodeShare(s));
  }
  progress.new_set_id_hex = crypto::ShareSetIdHex(next.share_set_id());
  return progress;
}

void Custody::ResetReshare() {
  absl::MutexLock lock(&mu_);
  reshare_received_.clear();
  reshare_from_.clear();
  reshare_threshold_ = reshare_shares_ = 0;
}

uint32_t Custody::ReshareReceived() const {
  absl::MutexLock lock(&mu_);
  return static_cast<uint32_t>(reshare_received_.size());
}

}  // namespace confidant::server
