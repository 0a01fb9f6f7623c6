// The reporting client's own identity folder and mTLS channel. It reads only ca.crt, client.crt
// and client.key, and links no stub but the reporting one.
#ifndef CONFIDANT_CLIENT_REPORT_REPORT_CHANNEL_H_
#define CONFIDANT_CLIENT_REPORT_REPORT_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

namespace confidant::report {

// A reporting identity: the CA that signs the server's certificate, and the client's own
// certificate and key. Holds a private key: never printed.
struct ReportIdentity {
  std::string ca_certificate_pem;
  std::string certificate_pem;
  std::string private_key_pem;  // secret

  // Reads `directory`/ca.crt, client.crt and client.key. NOT_FOUND naming a missing file;
  // INVALID_ARGUMENT if a file does not look like PEM.
  static absl::StatusOr<ReportIdentity> Load(const std::string& directory);
};

// An mTLS channel to `server` (host:port): the server is authenticated against the identity's CA
// and the client presents its certificate. The channel connects lazily.
std::shared_ptr<grpc::Channel> MakeReportChannel(const std::string& server,
                                                 const ReportIdentity& identity);

// The identity folder: `flag` if set, else $CONFIDANT_IDENTITY, else
// $CONFIDANT_DEV_DIR/identities/reporting, else ./confidant-dev/identities/reporting.
std::string ReportIdentityDir(const std::string& flag);

}  // namespace confidant::report

#endif  // CONFIDANT_CLIENT_REPORT_REPORT_CHANNEL_H_
