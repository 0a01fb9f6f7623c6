// AuditLog's group committer: many callers, one synced write batch per round.
#include <optional>
#include <utility>

#include "absl/synchronization/notification.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "crypto/signed_note.h"
#include "server/audit/audit_leaf.h"
#include "server/audit/event_bounds.h"
#include "server/audit/audit_log.h"
#include "server/store/storage.pb.h"

namespace confidant::audit {
namespace {

constexpr size_t kMaxBatch = 1024;

}  // namespace

struct AuditLog::Pending {
  v1::AuditEvent event;
  store::Mutation data;
  std::optional<CheckpointKeyChange> key_change;  // then the last of its batch
  absl::StatusOr<Committed> result = absl::UnknownError("not committed");
  absl::Notification done;
};

absl::StatusOr<AuditLog::Committed> AuditLog::Append(v1::AuditEvent event, store::Mutation data) {
  // A group commit shares one batch among callers; one caller's failed condition would fail
  // everyone's, so conditional data cannot ride along (commit it separately, under a lock).
  if (!data.expectations().empty()) {
    return absl::InternalError("conditional data cannot be committed with an audit entry");
  }
  Pending pending;
  pending.event = std::move(event);
  pending.data = std::move(data);
  return Enqueue(pending);
}

absl::StatusOr<AuditLog::Committed> AuditLog::AppendWithKeyChange(v1::AuditEvent event,
                                                                  store::Mutation data,
                                                                  CheckpointKeyChange change) {
  if (change.next == nullptr || !change.statement) {
    return absl::InvalidArgumentError("a checkpoint key change needs a key and its statement");
  }
  if (!data.expectations().empty()) {
    return absl::InternalError("conditional data cannot be committed with an audit entry");
  }
  Pending pending;
  pending.event = std::move(event);
  pending.data = std::move(data);
  pending.key_change = std::move(change);
  return Enqueue(pending);
}

absl::StatusOr<AuditLog::Committed> AuditLog::Enqueue(Pending& pending) {
  BoundEvent(pending.event);  // no entry grows with the records it concerns
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("the audit log is shutting down");
    queue_.push_back(&pending);
  }
  pending.done.WaitForNotification();
  return std::move(pending.result);
}

AuditLog::~AuditLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (committer_.joinable()) committer_.join();
}

void AuditLog::RunCommitter() {
  for (;;) {
    std::vector<Pending*> batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](AuditLog* log) ABSL_EXCLUSIVE_LOCKS_REQUIRED(log->mu_) {
            return log->stopping_ || !log->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, and everything queued was committed
      // A key change ends its batch: the checkpoint after it is the first the new key signs.
      while (!queue_.empty() && batch.size() < kMaxBatch &&
             (batch.empty() || !batch.back()->key_change.has_value())) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    CommitBatch(batch);
  }
}

void AuditLog::CommitBatch(std::vector<Pending*>& batch) {
  crypto::MerkleFrontier frontier;
  int64_t last_time = 0;
  std::optional<std::string> head_bytes;
  SigningKeyPtr signer;
  {
    absl::MutexLock lock(&mu_);
    signer = checkpoint_key_;
    frontier = frontier_;
    last_time = last_time_micros_;
    head_bytes = head_bytes_;
  }
  const int64_t now = clock_();
  auto fail_all = [&](const absl::Status& status) {
    for (Pending* p : batch) {
      p->result = status;
      p->done.Notify();
    }
  };
  if (now < last_time) {
    return fail_all(absl::FailedPreconditionError(
        "the clock reads earlier than the last audit entry; refusing to serve"));
  }
  store::Mutation mutation;
  std::vector<uint64_t> indices;
  for (Pending* p : batch) {
    for (const store::Mutation::Op& op : p->data.ops()) {
      op.value ? mutation.Put(op.space, op.key, *op.value) : mutation.Delete(op.space, op.key);
    }
    const uint64_t index = frontier.size();
    p->event.set_time_unix_micros(now);
    absl::StatusOr<Leaf> leaf = SealEvent(audit_key_, index, now, p->event);
    if (!leaf.ok()) return fail_all(absl::InternalError("cannot seal an audit entry"));
    const std::string bytes = EncodeLeaf(*leaf);
    for (const crypto::MerkleNode& node : frontier.Append(crypto::LeafHash(bytes))) {
      mutation.Put(store::Space::kAudit, NodeKey(node.level, node.index),
                   crypto::HashToString(node.hash));
    }
    mutation.Put(store::Space::kAudit, LeafKey(index), bytes);
    indices.push_back(index);
  }
  const std::optional<CheckpointKeyChange>& change = batch.back()->key_change;
  if (change.has_value()) {
    absl::StatusOr<store::Mutation> statement = change->statement(frontier.size());
    if (!statement.ok()) return fail_all(statement.status());
    for (const store::Mutation::Op& op : statement->ops()) {
      op.value ? mutation.Put(op.space, op.key, *op.value) : mutation.Delete(op.space, op.key);
    }
    signer = change->next;
  }
  crypto::CheckpointBody body{origin_, frontier.size(), frontier.Root(), now / 1000000};
  v1::Checkpoint checkpoint;
  checkpoint.set_note(crypto::SignNote(crypto::FormatCheckpointBody(body), origin_, *signer));
  checkpoint.set_tree_size(body.tree_size);
  checkpoint.set_root_hash(crypto::HashToString(body.root));
  checkpoint.set_time_unix_seconds(body.time_unix_seconds);
  mutation.Put(store::Space::kAudit, CheckpointKey(body.tree_size), checkpoint.note());
  storage::v1::AuditHead head;
  head.set_frontier(frontier.Serialize());
  *head.mutable_checkpoint() = checkpoint;
  head.set_last_time_unix_micros(now);
  // Conditional on the head this batch extends, so a stale or second appender cannot fork the log.
  mutation.Expect(store::Space::kMeta, "audit/head", head_bytes);
  mutation.Put(store::Space::kMeta, "audit/head", head.SerializeAsString());

  if (absl::Status written = store_.Commit(mutation); !written.ok()) {
    LogEvent(LogLevel::kError, "audit_commit_failed",
             {{"entries", std::to_string(batch.size())},
              {"code", absl::StatusCodeToString(written.code())}});
    return fail_all(absl::UnavailableError("the audit log could not be written"));
  }
  {
    absl::MutexLock lock(&mu_);
    frontier_ = std::move(frontier);
    checkpoint_ = checkpoint;
    checkpoint_key_ = std::move(signer);
    last_time_micros_ = now;
    head_bytes_ = head.SerializeAsString();
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i]->result = Committed{indices[i], checkpoint};
    batch[i]->done.Notify();
  }
}

}  // namespace confidant::audit
