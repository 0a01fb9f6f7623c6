// KvStore: the key-value part of the storage interface (docs/ARCHITECTURE.md, "Storage"). Services use only
// this; RocksDbStore implements it, and a replicated backend can take its place later.
#ifndef CONFIDANT_SERVER_STORE_KV_STORE_H_
#define CONFIDANT_SERVER_STORE_KV_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace confidant::store {

// Keyspaces, one per kind of data. Keys in every space are opaque ids or key labels; values are
// ciphertext or non-secret bookkeeping. Nothing in a key or value is plaintext record data.
// kFacts holds de-identified statistical facts and person links (server/facts.h). New spaces go
// last: backups name a space by its number.
enum class Space { kRecords, kSections, kWraps, kKeys, kIndex, kMeta, kAudit, kFacts };
inline constexpr Space kAllSpaces[] = {Space::kRecords, Space::kSections, Space::kWraps,
                                       Space::kKeys,    Space::kIndex,    Space::kMeta,
                                       Space::kAudit,   Space::kFacts};
std::string_view SpaceName(Space space);

// An all-or-nothing set of puts and deletes across spaces.
class Mutation {
 public:
  struct Op {
    Space space;
    std::string key;
    std::optional<std::string> value;  // nullopt = delete
  };
  void Put(Space space, std::string key, std::string value) {
    ops_.push_back({space, std::move(key), std::move(value)});
  }
  void Delete(Space space, std::string key) { ops_.push_back({space, std::move(key), std::nullopt}); }
  // The commit applies only if `key` holds exactly `value` (nullopt: is absent) at that moment;
  // otherwise it fails with FAILED_PRECONDITION and writes nothing. Atomic with respect to other
  // conditional commits: every writer of a guarded key must guard it.
  void Expect(Space space, std::string key, std::optional<std::string> value) {
    expectations_.push_back({space, std::move(key), std::move(value)});
  }
  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<Op>& expectations() const { return expectations_; }
  bool empty() const { return ops_.empty(); }

 private:
  std::vector<Op> ops_;
  std::vector<Op> expectations_;
};

// Thread-safe: every method may be called concurrently.
// Errors: UNAVAILABLE for I/O trouble that may pass; DATA_LOSS for corruption; INTERNAL otherwise.
class KvStore {
 public:
  virtual ~KvStore() = default;

  // The value at `key`, or nullopt if absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(Space space, std::string_view key) const = 0;

  // Calls `visit` for each entry whose key starts with `prefix`, in key order, until it returns
  // false. `visit`'s arguments are valid only during the call.
  virtual absl::Status Scan(
      Space space, std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) const = 0;

  // Calls `visit` for every entry of every space as of one point in time (a consistent snapshot:
  // writes committed meanwhile are not seen), space by space in kAllSpaces order, keys in order,
  // until it returns false. For online backups; the arguments are valid only during the call.
  virtual absl::Status ScanSnapshot(
      const std::function<bool(Space space, std::string_view key, std::string_view value)>& visit)
      const = 0;

  // Applies `mutation` atomically and durably (synced) before returning OK, if its expectations
  // hold (FAILED_PRECONDITION "precondition failed: ..." otherwise, nothing written).
  virtual absl::Status Commit(const Mutation& mutation) = 0;

  // Physically removes deleted data whose keys lie in [first, last] (inclusive) of `space` from
  // the backend's files: once it returns OK, no value deleted before the call remains in any
  // file the backend keeps (write-ahead logs included). Crypto-shredding relies on it. Slow
  // (rewrites files); UNAVAILABLE or INTERNAL on failure, after which a retry is safe.
  virtual absl::Status CompactRange(Space space, std::string_view first, std::string_view last) = 0;
};

}  // namespace confidant::store

#endif  // CONFIDANT_SERVER_STORE_KV_STORE_H_
