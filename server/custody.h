// Custody: the unseal shares' side of the vault. At init it creates the master key, splits it
// (crypto/shamir.h) and records the shares' hashes (storage.proto CustodyRecord), never a share;
// afterwards it collects shares one at a time, each checked against those hashes, and hands back
// the recombined master key at the threshold. No gRPC and no policy here.
#ifndef CONFIDANT_SERVER_CUSTODY_H_
#define CONFIDANT_SERVER_CUSTODY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crypto/secret_bytes.h"
#include "crypto/shamir.h"
#include "server/store/kv_store.h"
#include "server/store/storage.pb.h"

namespace confidant::server {

struct CustodyStatus {
  bool initialised = false;  // a custody record exists
  bool keyed_without_shares = false;  // no custody record, but keys: a dev vault (key file)
  uint32_t threshold = 0;
  uint32_t shares = 0;
  uint32_t received = 0;
  bool emergency = false;
  std::string set_id_hex;
};

// Meta key of the custody record.
inline constexpr std::string_view kCustodyRecordKey = "custody/shares";

// The custody record stored in `store`, if any. DATA_LOSS if malformed.
absl::StatusOr<std::optional<storage::v1::CustodyRecord>> LoadCustodyRecord(
    const store::KvStore& store);

// Thread-safe. Borrows `store`.
class Custody {
 public:
  explicit Custody(store::KvStore& store) : store_(store) {}
  // For a restore into an empty data directory: shares are checked against `restoring` (the
  // backup's custody record) until EndRestore; init and the emergency flag are refused.
  Custody(store::KvStore& store, storage::v1::CustodyRecord restoring)
      : store_(store), restoring_(std::move(restoring)) {}

  // From now on the custody record is the one in the store (restored with the backup).
  void EndRestore() ABSL_LOCKS_EXCLUDED(mu_);
  bool restoring() const ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<CustodyStatus> Status() const ABSL_LOCKS_EXCLUDED(mu_);

  // On a vault with no keys and no custody record only (FAILED_PRECONDITION otherwise): a fresh
  // random master key split into `shares` shares, any `threshold` of which recombine it
  // (INVALID_ARGUMENT unless 2 <= threshold <= shares <= 255). The share hashes are committed
  // before this returns; the caller must unseal with `master_key` and then hand out the shares.
  struct Initialised {
    crypto::SecretBytes master_key;
    std::vector<crypto::SecretBytes> share_texts;  // index 1..N in order
  };
  absl::StatusOr<Initialised> Init(int threshold, int shares, int64_t now)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Adds one share (text form) from `person_id`. INVALID_ARGUMENT naming what is wrong (typo,
  // another vault's share, a share that does not match the recorded hashes, one already given,
  // and after an emergency seal a second share from the same person), and it does not count.
  // FAILED_PRECONDITION before init. Returns the master key once `threshold` valid shares are in
  // (and forgets them all), else nullopt.
  absl::StatusOr<std::optional<crypto::SecretBytes>> AddShare(std::string_view text,
                                                              std::string_view person_id)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Forgets every share received so far (their memory is wiped).
  void Reset() ABSL_LOCKS_EXCLUDED(mu_);

  // Records whether the last seal was an emergency seal (kept until the next unseal).
  absl::Status SetEmergency(bool emergency) ABSL_LOCKS_EXCLUDED(mu_);

  // Re-share (re-key) of an unsealed vault. Shares of the CURRENT
  // set are collected one at a time, each checked exactly as AddShare checks it; every share of
  // one re-share must ask for the same new `threshold` of `shares` (INVALID_ARGUMENT otherwise,
  // and as Init for bad numbers). At the current threshold the shares are recombined (and
  // forgotten), a new random master key is split under a new random share set id, and `commit`
  // gets the recombined key, the new key and the mutation that stores the new custody record:
  // it must check the recombined key is the one in use, re-wrap every key and write all of it
  // with its audit entry in one synced batch. Its error passes through and nothing changes (the
  // shares given must be given again). The collection is serialised with Init, AddShare and
  // SetEmergency. FAILED_PRECONDITION before init.
  using ReshareCommitFn = std::function<absl::Status(
      const crypto::SecretBytes& current_master, const crypto::SecretBytes& new_master,
      store::Mutation custody_record, uint32_t old_set_id, uint32_t new_set_id)>;
  struct ReshareProgress {
    uint32_t received = 0;  // current shares held towards this re-share
    uint32_t needed = 0;    // the current threshold
    std::vector<crypto::SecretBytes> share_texts;  // the new shares, once done; index 1..N
    std::string old_set_id_hex;
    std::string new_set_id_hex;  // once done
  };
  absl::StatusOr<ReshareProgress> AddReshareShare(std::string_view text,
                                                  std::string_view person_id, int threshold,
                                                  int shares, int64_t now,
                                                  const ReshareCommitFn& commit)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets the re-share shares received so far (wiped) and the new numbers they asked for.
  void ResetReshare() ABSL_LOCKS_EXCLUDED(mu_);
  uint32_t ReshareReceived() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::StatusOr<std::optional<storage::v1::CustodyRecord>> Load() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // True when the keys space holds any key (the vault was keyed, by shares or a key file).
  absl::StatusOr<bool> HasKeys() const;

  store::KvStore& store_;
  mutable absl::Mutex mu_;  // serialises Init, AddShare, Reset and SetEmergency
  std::vector<crypto::Share> received_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> received_from_ ABSL_GUARDED_BY(mu_);  // person ids, same order
  std::optional<storage::v1::CustodyRecord> restoring_ ABSL_GUARDED_BY(mu_);
  // Re-share in progress: current shares, who gave them, and the new numbers asked for.
  std::vector<crypto::Share> reshare_received_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> reshare_from_ ABSL_GUARDED_BY(mu_);
  int reshare_threshold_ ABSL_GUARDED_BY(mu_) = 0;
  int reshare_shares_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_CUSTODY_H_
