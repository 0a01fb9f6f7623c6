// ReleaseStore: frozen statistical releases and the hash-chained privacy ledger (docs/ARCHITECTURE.md
// "Reporting"). Releases are public once made, so they are stored as signed, not sealed; their
// integrity comes from the release key's signature and the ledger, whose head every release's
// audit entry carries (so the witnesses cover it).
//
// Meta space layout:
//   "reporting/release/<table>/<period>"   -> SignedRelease bytes of version 1, exactly as served
//   "reporting/release/<table>/<period>/v<N>" -> version N >= 2 (a revision)
//   "reporting/revision-requested/<table>/<period>" -> person id (a custodian asked; the job
//                                             computes it at its next pass)
//   "reporting/ledger/<index, 16 digits>"  -> LedgerEntry bytes
//   "reporting/ledger-head"                -> u64 entry count (big-endian) || BLAKE2b-256 of the
//                                             last entry's bytes (32 zero bytes when empty)
//   "reporting/withheld/<table>/<period>" -> "" (decided: withheld after a restore)
//   "reporting/withheld-through"           -> decimal unix seconds: after a restore, periods due
//                                             by then are never computed (their release may
//                                             exist in the lost history; recomputing would
//                                             draw fresh noise for the same data)
#ifndef CONFIDANT_SERVER_RELEASE_STORE_H_
#define CONFIDANT_SERVER_RELEASE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "confidant/v1/reporting.pb.h"
#include "server/store/kv_store.h"

namespace confidant::server {

inline constexpr std::string_view kReleaseWithheldThroughKey = "reporting/withheld-through";

std::string ReleaseStorageKey(std::string_view table_id, std::string_view period);
std::string WithheldStorageKey(std::string_view table_id, std::string_view period);
std::string ReleaseVersionKey(std::string_view table_id, std::string_view period, uint32_t version);
std::string RevisionRequestKey(std::string_view table_id, std::string_view period);

struct LedgerHead {
  uint64_t count = 0;
  std::string hash = std::string(32, '\0');
  std::string Encode() const;
};

// The signing input of a release: "confidant/v1/release" 0x00 || release bytes.
std::string ReleaseSigningBytes(std::string_view release_bytes);

class ReleaseStore {
 public:
  explicit ReleaseStore(store::KvStore& store) : store_(store) {}

  // The stored SignedRelease bytes of version 1, or nullopt.
  absl::StatusOr<std::optional<std::string>> Find(std::string_view table_id,
                                                   std::string_view period) const;
  // Version `version` (0: the newest) and its number, or nullopt.
  absl::StatusOr<std::optional<std::pair<uint32_t, std::string>>> FindVersion(
      std::string_view table_id, std::string_view period, uint32_t version) const;
  // (table, period) pairs with a revision requested, in key order.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> PendingRevisions() const;
  // True once (table, period) was released or withheld: it is never computed again.
  absl::StatusOr<bool> Decided(std::string_view table_id, std::string_view period) const;
  // Periods released for `table_id`, in storage order.
  absl::StatusOr<std::vector<std::string>> ReleasedPeriods(std::string_view table_id) const;
  // DATA_LOSS when the stored head does not parse.
  absl::StatusOr<LedgerHead> Head() const;
  // Every entry, checked: each one's previous_hash must be the hash of the one before and the
  // last one's hash the stored head (DATA_LOSS otherwise).
  absl::StatusOr<v1::Ledger> Ledger() const;
  // Epsilon (thousandths) already charged to `year`, and of it, by revisions.
  absl::StatusOr<uint32_t> SpentInYear(uint32_t year) const;
  absl::StatusOr<uint32_t> RevisionsInYear(uint32_t year) const;
  // 0 when the vault was never restored.
  absl::StatusOr<int64_t> WithheldThrough() const;

  // Adds to `mutation` the release under entry.version() (an empty `signed_release` writes the
  // withheld marker instead; a "revision" entry also clears the request), the ledger entry and
  // the new head. Fills entry.index and entry.previous_hash from
  // `head`; returns the new head. Not guarded (an audited batch carries no conditions): the one
  // writer is the release job, one pass at a time.
  LedgerHead Append(const LedgerHead& head, std::string_view table_id, std::string_view period,
                    std::string_view signed_release, v1::LedgerEntry& entry,
                    store::Mutation& mutation) const;

 private:
  store::KvStore& store_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RELEASE_STORE_H_
