// The witness core: remembers the last checkpoint it cosigned for one pinned log, and cosigns a
// new one only if it is signed by the log key, has the log's origin, and extends the remembered
// tree (RFC 9162 consistency proof). The new state is persisted before the cosignature is
// returned, so a crash can never leave the witness having cosigned a tree it then forgets
// (docs/ARCHITECTURE.md "Audit log", threat 5). No gRPC here.
#ifndef CONFIDANT_WITNESS_WITNESS_STATE_H_
#define CONFIDANT_WITNESS_WITNESS_STATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crypto/asymmetric.h"
#include "crypto/merkle.h"

namespace confidant::witness {

// Largest note the witness accepts (a checkpoint with a few dozen cosignatures is ~4 KiB).
inline constexpr size_t kMaxNoteBytes = 16 * 1024;

// Fixed refusal messages; the RPC layer returns them unchanged.
inline constexpr char kRollbackRefused[] = "rollback refused";
inline constexpr char kForkRefused[] = "fork: same size, different root";
inline constexpr char kProofRefused[] = "consistency proof does not verify (fork or restarted log)";
inline constexpr char kWrongOrigin[] = "checkpoint origin is not the pinned log's";

struct WitnessConfig {
  std::string log_origin;      // the pinned log's origin line (also its signing key's name)
  std::string log_public_key;  // the pinned log's Ed25519 key, 32 raw bytes
  std::string witness_name;    // this witness's key name in cosignature lines
  std::string state_path;      // the state file; its folder must exist
  std::vector<std::string> pushers;  // URI SANs that may push checkpoints; empty: nobody
};

// What the witness last cosigned, plus who it is.
struct WitnessSnapshot {
  std::string origin;
  uint64_t tree_size = 0;
  crypto::Hash root{};          // EmptyTreeRoot() at size 0
  std::string cosigned_note;    // empty at size 0
  std::string witness_name;
  std::string witness_public_key;
};

// Thread-safe: every method may be called concurrently; AddCheckpoint calls are serialised
// (including their file writes) by one mutex. Not copyable.
class Witness {
 public:
  // Validates `config` and `key`, then reads the state file (absent = new witness at size 0).
  // INVALID_ARGUMENT on a bad origin, name or log key size. DATA_LOSS if the state file exists
  // but is not a checkpoint of this log signed by its key and cosigned by `key` (a state file
  // of another log or witness is refused, never silently replaced). Other read errors pass
  // through.
  // True if `principal` is one of the configured pushers (the vault's witness client).
  bool MayPush(std::string_view principal) const;

  static absl::StatusOr<std::unique_ptr<Witness>> Create(WitnessConfig config,
                                                         crypto::Ed25519KeyPair key);

  Witness(const Witness&) = delete;
  Witness& operator=(const Witness&) = delete;

  // Checks `note` against the remembered checkpoint, writes the new state to the state file
  // (fsync + rename, mode 0600) and only then returns `note` with this witness's cosignature
  // (timestamp `now_unix_seconds`) appended. Same size and same root: re-cosigned, idempotent.
  // Errors, in the order checked:
  //   INVALID_ARGUMENT   note too large or not a signed checkpoint note;
  //   DATA_LOSS          `transitions` (the log's checkpoint key chain, oldest first) is not
  //                      a valid chain from the pinned log key (the message names the link);
  //   UNAUTHENTICATED    origin is not the pinned one, or no valid signature by the log key
  //                      (the pinned one, or the chain's key for the note's tree size);
  //   FAILED_PRECONDITION kRollbackRefused when the tree is smaller than the witness's;
  //   DATA_LOSS          kForkRefused for the same size with another root;
  //   FAILED_PRECONDITION "witness is at size N" when old_size != N (retry with a proof from N);
  //   DATA_LOSS          kProofRefused when the consistency proof does not verify;
  //   UNAVAILABLE        the state could not be persisted (nothing is cosigned, state unchanged).
  absl::StatusOr<std::string> AddCheckpoint(uint64_t old_size, std::string_view note,
                                            const std::vector<crypto::Hash>& proof,
                                            uint64_t now_unix_seconds,
                                            const std::vector<std::string>& transitions = {})
      ABSL_LOCKS_EXCLUDED(mu_);

  WitnessSnapshot Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& name() const { return config_.witness_name; }
  const std::string& public_key() const { return key_.public_key; }

 private:
  Witness(WitnessConfig config, crypto::Ed25519KeyPair key);

  // Reads the state file into the fields below. Called once, from Create.
  absl::Status Load() ABSL_LOCKS_EXCLUDED(mu_);

  const WitnessConfig config_;
  const crypto::Ed25519KeyPair key_;

  mutable absl::Mutex mu_;
  uint64_t tree_size_ ABSL_GUARDED_BY(mu_) = 0;
  crypto::Hash root_ ABSL_GUARDED_BY(mu_){};
  std::string cosigned_note_ ABSL_GUARDED_BY(mu_);
  // The log key that signed the last cosigned checkpoint (the pinned one before any): every
  // later chain is followed from it, so a chain withheld or cut short by whoever holds a
  // retired log key cannot make the witness accept that key again.
  std::string anchor_key_ ABSL_GUARDED_BY(mu_) = config_.log_public_key;
};

// The state file's content: a version line, "log-key " + base64 of the anchor, then the
// cosigned note (whose body carries origin, size and root; the anchor's signature is on it).
// Exposed for tests. Files of version 1 (no anchor line) are still read.
inline constexpr char kStateFileHeader[] = "confidant-witness-state/v2\n";
inline constexpr char kStateFileHeaderV1[] = "confidant-witness-state/v1\n";

}  // namespace confidant::witness

#endif  // CONFIDANT_WITNESS_WITNESS_STATE_H_
