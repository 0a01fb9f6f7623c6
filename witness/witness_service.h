// WitnessService over gRPC (sync API): the RPC edge of the Witness core. Every call requires a
// verified mTLS client certificate with one URI SAN; the caller's URI SAN, sizes and status
// codes go to the operational log, never the note.
#ifndef CONFIDANT_WITNESS_WITNESS_SERVICE_H_
#define CONFIDANT_WITNESS_WITNESS_SERVICE_H_

#include <cstdint>
#include <functional>

#include "confidant/v1/witness.grpc.pb.h"
#include "witness/witness_state.h"

namespace confidant::witness {

// Most proof hashes a consistency proof between trees below 2^64 can need (about 2 log2 n).
inline constexpr int kMaxProofHashes = 130;
// Most checkpoint key transitions a request may carry (each ~400 bytes; the request stays within
// the server's 64 KiB message limit). A log rotated monthly reaches it after eight years.
inline constexpr int kMaxKeyTransitions = 100;

// Thread-safe (the Witness is). Borrows `witness`, which must outlive the service.
class WitnessServiceImpl final : public v1::WitnessService::Service {
 public:
  // `now_unix_seconds` gives the cosignature timestamp (wall clock when unset).
  explicit WitnessServiceImpl(Witness& witness,
                              std::function<uint64_t()> now_unix_seconds = nullptr);

  grpc::Status AddCheckpoint(grpc::ServerContext* context, const v1::AddCheckpointRequest* request,
                             v1::AddCheckpointResponse* response) override;
  grpc::Status GetWitnessState(grpc::ServerContext* context,
                               const v1::GetWitnessStateRequest* request,
                               v1::WitnessState* response) override;

 private:
  Witness& witness_;
  std::function<uint64_t()> now_unix_seconds_;
};

}  // namespace confidant::witness

#endif  // CONFIDANT_WITNESS_WITNESS_SERVICE_H_
