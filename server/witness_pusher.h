// WitnessPusher: sends each new checkpoint, with a consistency proof from the size each witness
// last cosigned, to the witnesses in the vault's configuration, and keeps the newest checkpoint
// that every one of them has cosigned. Witnesses run outside the operator's reach; a rolled
// back, forked or restarted log is refused by them, so its checkpoints stay uncosigned.
#ifndef CONFIDANT_SERVER_WITNESS_PUSHER_H_
#define CONFIDANT_SERVER_WITNESS_PUSHER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "confidant/v1/witness.grpc.pb.h"
#include "server/audit/audit_log.h"

namespace confidant::server {

struct WitnessEndpoint {
  std::string address;     // host:port
  std::string name;        // the witness's name in its cosignature lines
  std::string public_key;  // raw Ed25519, pinned
};

// How the vault reaches witnesses: their CA, and the vault's own client certificate.
struct WitnessTls {
  std::string ca_certificate_pem;
  std::string client_certificate_pem;
  std::string client_private_key_pem;
};

// Thread-safe. Borrows `log`, which must outlive it.
class WitnessPusher {
 public:
  // `key_transitions` gives the log's checkpoint key chain (oldest first), sent with every
  // checkpoint so witnesses pinned to an older key can follow it; null: none.
  WitnessPusher(const audit::AuditLog& log, std::vector<WitnessEndpoint> witnesses,
                const WitnessTls& tls,
                std::function<std::vector<std::string>()> key_transitions = nullptr);
  ~WitnessPusher();  // stops the push thread
  WitnessPusher(const WitnessPusher&) = delete;
  WitnessPusher& operator=(const WitnessPusher&) = delete;

  // The newest checkpoint cosigned by every configured witness, with all their cosignature
  // lines; nullopt until there is one.
  std::optional<v1::Checkpoint> LatestCosigned() const ABSL_LOCKS_EXCLUDED(mu_);

  // What GetCheckpoint serves, given the log's `latest`: the newest cosigned checkpoint once it
  // has caught up with every size served so far, else `latest` (after a restart, before the
  // first cosignature). Sizes served never go down, so clients see no false rollback.
  v1::Checkpoint ToServe(const v1::Checkpoint& latest) ABSL_LOCKS_EXCLUDED(mu_);

  // What each witness says it last cosigned for this log, as it answers now (5 s deadline
  // each). For the restore entry.
  struct Witnessed {
    std::string name;
    bool reachable = false;
    uint64_t tree_size = 0;
    std::string root_hex;
  };
  std::vector<Witnessed> AskWitnesses() const;

 private:
  struct Peer;
  void Run();
  void PushAll(const v1::Checkpoint& checkpoint);
  bool Push(Peer& peer, const v1::Checkpoint& checkpoint, std::string& cosignatures);

  const audit::AuditLog& log_;
  const std::function<std::vector<std::string>()> key_transitions_;
  std::vector<std::unique_ptr<Peer>> peers_;
  mutable absl::Mutex mu_;
  std::optional<v1::Checkpoint> cosigned_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t max_served_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

// Parses "NAME@HOST:PORT=BASE64KEY". INVALID_ARGUMENT naming the expected form.
absl::StatusOr<WitnessEndpoint> ParseWitnessEndpoint(const std::string& spec);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_WITNESS_PUSHER_H_
