// AuditLog: the append-only, tamper-evident access log (docs/ARCHITECTURE.md, "Audit log").
//
// Storage (Space::kAudit): "L" u64(index) -> leaf bytes (audit_leaf.h); "N" u8(level)
// u64(index) -> perfect-subtree hash; "C" u64(size) -> signed checkpoint note. Space::kMeta:
// "audit/origin" -> the log's origin line; "audit/head" -> AuditHead (frontier, checkpoint).
//
// Group commit: callers queue events (each optionally with a data mutation); one committer
// thread drains the queue, appends every event to the Merkle frontier, signs one checkpoint,
// and writes data, leaves, nodes and checkpoint in one synced batch. Callers return only after
// that batch is durable, so a read's data is released only after its entry is on disk.
#ifndef CONFIDANT_SERVER_AUDIT_AUDIT_LOG_H_
#define CONFIDANT_SERVER_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "confidant/v1/audit.pb.h"
#include "crypto/asymmetric.h"
#include "crypto/merkle.h"
#include "crypto/secret_bytes.h"
#include "server/store/kv_store.h"

namespace confidant::audit {

using SigningKeyPtr = std::shared_ptr<const crypto::Ed25519KeyPair>;

// A new checkpoint key, taken into use by the batch that commits it (AppendWithKeyChange).
struct CheckpointKeyChange {
  SigningKeyPtr next;
  // What to store with the entry, given the size of the first checkpoint `next` signs (the
  // key-transition statement, signed by the old key: crypto/key_transition.h).
  std::function<absl::StatusOr<store::Mutation>(uint64_t from_tree_size)> statement;
};

class AuditLog {
 public:
  using MicrosClock = std::function<int64_t()>;
  using Progress = std::function<void(uint64_t done, uint64_t total)>;

  // Opens the log: recomputes the tree from every stored leaf and checks it against the stored
  // nodes and the last signed checkpoint (DATA_LOSS naming the first bad index otherwise), and
  // refuses (FAILED_PRECONDITION) if the clock reads earlier than that checkpoint. A new log gets
  // a random origin. Borrows `store` and `audit_key` for its lifetime; `checkpoint_key` is the
  // current one (the last checkpoint must verify under it) until AppendWithKeyChange.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(store::KvStore& store,
                                                        const crypto::SecretBytes& audit_key,
                                                        SigningKeyPtr checkpoint_key,
                                                        MicrosClock clock,
                                                        const Progress& progress = nullptr);
  // Drains the queue, then stops the committer.
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  struct Committed {
    uint64_t index = 0;
    v1::Checkpoint checkpoint;
  };
  // Appends `event`, committing `data` (which must carry no expectations: INTERNAL otherwise) in
  // the same synced batch; blocks until durable. The
  // event's time is set here. UNAVAILABLE if the batch could not be written (then nothing of it
  // is stored); FAILED_PRECONDITION if the clock went back before the last checkpoint.
  absl::StatusOr<Committed> Append(v1::AuditEvent event, store::Mutation data = {});

  // Like Append, but the entry's batch also changes the checkpoint key: the entry is the last of
  // its group commit, `change.statement(size)` is stored with it, and that batch's checkpoint
  // (of `size` entries) and every later one is signed by `change.next`. Nothing changes if the
  // batch is not written. INVALID_ARGUMENT without a key or statement.
  absl::StatusOr<Committed> AppendWithKeyChange(v1::AuditEvent event, store::Mutation data,
                                                CheckpointKeyChange change);
  // The public key that signs checkpoints now.
  std::string CheckpointPublicKey() const ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& origin() const { return origin_; }
  v1::Checkpoint LatestCheckpoint() const ABSL_LOCKS_EXCLUDED(mu_);
  // The time of the last entry (unix microseconds, as its leaf carries it), 0 for an empty log.
  // Appends at an earlier clock reading are refused; so are RPCs (server/call.h, Begin).
  int64_t LastEntryMicros() const ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<std::vector<crypto::Hash>> InclusionProof(uint64_t index, uint64_t size) const;
  absl::StatusOr<std::vector<crypto::Hash>> ConsistencyProof(uint64_t old_size,
                                                             uint64_t new_size) const;
  // Visits entries [start, end) with decrypted events, until `visit` returns false.
  absl::Status ReadEntries(uint64_t start, uint64_t end,
                           const std::function<bool(const v1::AuditEntry&)>& visit) const;

 private:
  struct Pending;
  AuditLog(store::KvStore& store, const crypto::SecretBytes& audit_key,
           SigningKeyPtr checkpoint_key, MicrosClock clock);
  absl::StatusOr<Committed> Enqueue(Pending& pending);
  absl::Status Recover(const Progress& progress);
  void RunCommitter();
  void CommitBatch(std::vector<Pending*>& batch);

  store::KvStore& store_;
  const crypto::SecretBytes& audit_key_;
  MicrosClock clock_;
  std::string origin_;

  mutable absl::Mutex mu_;
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Only the committer thread changes these after Open; readers copy under mu_.
  crypto::MerkleFrontier frontier_ ABSL_GUARDED_BY(mu_);
  v1::Checkpoint checkpoint_ ABSL_GUARDED_BY(mu_);
  SigningKeyPtr checkpoint_key_ ABSL_GUARDED_BY(mu_);
  int64_t last_time_micros_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<std::string> head_bytes_ ABSL_GUARDED_BY(mu_);  // as stored; nullopt: none yet
  std::thread committer_;
};

// Storage keys, shared with tests that tamper with a stored log.
std::string LeafKey(uint64_t index);
std::string NodeKey(uint64_t level, uint64_t index);
std::string CheckpointKey(uint64_t size);

}  // namespace confidant::audit

#endif  // CONFIDANT_SERVER_AUDIT_AUDIT_LOG_H_
