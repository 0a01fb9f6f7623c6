// AuditLog: opening and verifying a stored log, proofs and reads. The committer is in
// audit_committer.cc.
#include "server/audit/audit_log.h"

#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "crypto/random.h"
#include "crypto/signed_note.h"
#include "server/audit/audit_leaf.h"
#include "server/store/storage.pb.h"

namespace confidant::audit {
namespace {

constexpr std::string_view kOriginKey = "audit/origin";
constexpr std::string_view kHeadKey = "audit/head";

uint64_t KeyU64(std::string_view key, size_t offset) {
  uint64_t v = 0;
  for (size_t i = offset; i < offset + 8; ++i) v = (v << 8) | static_cast<uint8_t>(key[i]);
  return v;
}

// Reads perfect-subtree nodes from storage for proof generation.
class StoredNodes : public crypto::NodeSource {
 public:
  explicit StoredNodes(const store::KvStore& store) : store_(store) {}
  absl::StatusOr<crypto::Hash> PerfectNode(uint64_t level, uint64_t index) const override {
    ASSIGN_OR_RETURN(auto value, store_.Get(store::Space::kAudit, NodeKey(level, index)));
    if (!value.has_value()) return absl::DataLossError("audit log node is missing");
    return crypto::HashFromString(*value);
  }

 private:
  const store::KvStore& store_;
};

absl::Status BadEntry(uint64_t index, std::string_view why) {
  return absl::DataLossError(absl::StrCat("audit log entry ", index, " ", std::string(why)));
}

}  // namespace

std::string LeafKey(uint64_t index) {
  std::string key = "L";
  AppendU64(key, index);
  return key;
}

std::string NodeKey(uint64_t level, uint64_t index) {
  std::string key = "N";
  key.push_back(static_cast<char>(level));
  AppendU64(key, index);
  return key;
}

std::string CheckpointKey(uint64_t size) {
  std::string key = "C";
  AppendU64(key, size);
  return key;
}

AuditLog::AuditLog(store::KvStore& store, const crypto::SecretBytes& audit_key,
                   SigningKeyPtr checkpoint_key, MicrosClock clock)
    : store_(store), audit_key_(audit_key), clock_(std::move(clock)) {
  absl::MutexLock lock(&mu_);
  checkpoint_key_ = std::move(checkpoint_key);
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    store::KvStore& store, const crypto::SecretBytes& audit_key,
    SigningKeyPtr checkpoint_key, MicrosClock clock, const Progress& progress) {
  if (checkpoint_key == nullptr) return absl::InvalidArgumentError("no checkpoint key");
  std::unique_ptr<AuditLog> log(
      new AuditLog(store, audit_key, std::move(checkpoint_key), std::move(clock)));
  RETURN_IF_ERROR(log->Recover(progress));
  log->committer_ = std::thread([raw = log.get()] { raw->RunCommitter(); });
  return log;
}

absl::Status AuditLog::Recover(const Progress& progress) {
  ASSIGN_OR_RETURN(auto origin, store_.Get(store::Space::kMeta, kOriginKey));
  ASSIGN_OR_RETURN(auto head_bytes, store_.Get(store::Space::kMeta, kHeadKey));
  if (!origin.has_value()) {
    if (head_bytes.has_value()) return absl::DataLossError("audit log origin is missing");
    origin = absl::StrCat("confidant.example/log/", crypto::RandomHexId(8));
    store::Mutation init;
    init.Put(store::Space::kMeta, std::string(kOriginKey), *origin);
    RETURN_IF_ERROR(store_.Commit(init));
  }
  origin_ = *origin;
  storage::v1::AuditHead head;
  if (head_bytes.has_value() && !head.ParseFromString(*head_bytes)) {
    return absl::DataLossError("audit log head is malformed");
  }
  // What the log must reproduce comes from the signed note alone; the head's other fields are
  // bookkeeping and must agree with it.
  crypto::CheckpointBody signed_body;
  const std::string public_key = CheckpointPublicKey();
  if (head_bytes.has_value()) {
    const v1::Checkpoint& cp = head.checkpoint();
    absl::StatusOr<crypto::SplitNote> split = crypto::SplitSignedNote(cp.note());
    absl::StatusOr<crypto::CheckpointBody> body =
        split.ok() ? crypto::ParseCheckpointBody(split->body)
                   : absl::StatusOr<crypto::CheckpointBody>(split.status());
    if (!body.ok() || body->origin != origin_ ||
        !crypto::VerifyNoteSignature(cp.note(), origin_, public_key).ok() ||
        body->tree_size != cp.tree_size() || crypto::HashToString(body->root) != cp.root_hash() ||
        body->time_unix_seconds != cp.time_unix_seconds()) {
      return absl::DataLossError("audit log head does not carry a valid signed checkpoint");
    }
    signed_body = *std::move(body);
  }
  // Recompute the whole tree from the stored leaves, checking every stored node on the way.
  crypto::MerkleFrontier frontier;
  const uint64_t expected = signed_body.tree_size;
  absl::Status status;
  int64_t last_time = 0;
  RETURN_IF_ERROR(store_.Scan(store::Space::kAudit, "L", [&](std::string_view key,
                                                             std::string_view value) {
    const uint64_t index = frontier.size();
    absl::StatusOr<Leaf> leaf = DecodeLeaf(value);
    if (key.size() != 9 || KeyU64(key, 1) != index) {
      status = BadEntry(index, "is missing or out of order");
    } else if (!leaf.ok() || leaf->index != index || leaf->time_unix_micros < last_time) {
      status = BadEntry(index, "is malformed or out of order");
    } else {
      last_time = leaf->time_unix_micros;
      for (const crypto::MerkleNode& node : frontier.Append(crypto::LeafHash(value))) {
        absl::StatusOr<std::optional<std::string>> stored =
            store_.Get(store::Space::kAudit, NodeKey(node.level, node.index));
        if (!stored.ok() || !stored->has_value() || **stored != crypto::HashToString(node.hash)) {
          status = BadEntry(index, "does not match the stored tree");
          break;
        }
      }
    }
    if (progress && frontier.size() % 10000 == 0) progress(frontier.size(), expected);
    return status.ok();
  }));
  RETURN_IF_ERROR(status);
  if (frontier.size() != expected) {
    return BadEntry(std::min(frontier.size(), expected),
                    frontier.size() < expected ? "is missing (log truncated)"
                                               : "was appended after the last checkpoint");
  }
  if (expected > 0) {
    if (frontier.Root() != signed_body.root) {
      return absl::DataLossError("audit log does not match its last signed checkpoint");
    }
    if (clock_() / 1000000 < signed_body.time_unix_seconds) {
      return absl::FailedPreconditionError(
          "the clock reads earlier than the last checkpoint; refusing to serve");
    }
  }
  absl::MutexLock lock(&mu_);
  frontier_ = std::move(frontier);
  checkpoint_ = head.checkpoint();
  head_bytes_ = head_bytes;
  last_time_micros_ = std::max(last_time, head.last_time_unix_micros());
  return absl::OkStatus();
}

std::string AuditLog::CheckpointPublicKey() const {
  absl::MutexLock lock(&mu_);
  return checkpoint_key_->public_key;
}

v1::Checkpoint AuditLog::LatestCheckpoint() const {
  absl::MutexLock lock(&mu_);
  return checkpoint_;
}

int64_t AuditLog::LastEntryMicros() const {
  absl::MutexLock lock(&mu_);
  return last_time_micros_;
}

absl::StatusOr<std::vector<crypto::Hash>> AuditLog::InclusionProof(uint64_t index,
                                                                   uint64_t size) const {
  if (size > LatestCheckpoint().tree_size()) {
    return absl::InvalidArgumentError("tree_size: larger than the log");
  }
  return crypto::InclusionProof(StoredNodes(store_), index, size);
}

absl::StatusOr<std::vector<crypto::Hash>> AuditLog::ConsistencyProof(uint64_t old_size,
                                                                     uint64_t new_size) const {
  if (new_size > LatestCheckpoint().tree_size()) {
    return absl::InvalidArgumentError("new_size: larger than the log");
  }
  return crypto::ConsistencyProof(StoredNodes(store_), old_size, new_size);
}

absl::Status AuditLog::ReadEntries(uint64_t start, uint64_t end,
                                   const std::function<bool(const v1::AuditEntry&)>& visit) const {
  absl::Status status;
  RETURN_IF_ERROR(store_.Scan(store::Space::kAudit, "L", [&](std::string_view key,
                                                             std::string_view value) {
    const uint64_t index = KeyU64(key, 1);
    if (index < start) return true;
    if (index >= end) return false;
    absl::StatusOr<Leaf> leaf = DecodeLeaf(value);
    absl::StatusOr<v1::AuditEvent> event =
        leaf.ok() ? OpenEvent(audit_key_, *leaf) : absl::StatusOr<v1::AuditEvent>(leaf.status());
    if (!event.ok()) {
      status = BadEntry(index, "does not open");
      return false;
    }
    v1::AuditEntry entry;
    entry.set_index(index);
    entry.set_time_unix_micros(leaf->time_unix_micros);
    *entry.mutable_event() = *std::move(event);
    entry.set_leaf(std::string(value));
    absl::StatusOr<std::optional<std::string>> note =
        store_.Get(store::Space::kAudit, CheckpointKey(index + 1));
    if (note.ok() && note->has_value()) entry.set_checkpoint_note(**note);
    return visit(entry);
  }));
  return status;
}

}  // namespace confidant::audit
