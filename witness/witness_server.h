// A running confidant-witness gRPC server: WitnessService and the health service over mTLS
// with required, verified client certificates.
#ifndef CONFIDANT_WITNESS_WITNESS_SERVER_H_
#define CONFIDANT_WITNESS_WITNESS_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "witness/witness_service.h"
#include "witness/witness_state.h"

namespace confidant::witness {

struct WitnessServerOptions {
  std::string listen_address = "127.0.0.1:7445";  // port 0 picks a free port
  std::string server_certificate_pem;
  std::string server_private_key_pem;  // secret: never logged
  std::string client_ca_pem;           // client certificates must chain to this CA
  int max_threads = 8;
  std::function<uint64_t()> now_unix_seconds;  // cosignature clock; wall clock when unset
};

// Not copyable. Shutdown (also run by the destructor) waits for in-flight calls.
class WitnessServer {
 public:
  // Borrows `witness`, which must outlive the server. INVALID_ARGUMENT if a PEM is missing;
  // UNAVAILABLE if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<WitnessServer>> Start(Witness& witness,
                                                              WitnessServerOptions options);
  ~WitnessServer();
  WitnessServer(const WitnessServer&) = delete;
  WitnessServer& operator=(const WitnessServer&) = delete;

  int port() const { return port_; }
  void Shutdown();

 private:
  WitnessServer() = default;

  std::unique_ptr<WitnessServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace confidant::witness

#endif  // CONFIDANT_WITNESS_WITNESS_SERVER_H_
