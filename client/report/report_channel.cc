#include "client/report/report_channel.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/private_folder.h"
#include "base/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace confidant::report {
namespace {

constexpr size_t kMaxPemBytes = 64 * 1024;
constexpr int kMaxMessageBytes = 4 << 20;  // a release or ledger; far above any real one

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  ASSIGN_OR_RETURN(std::string pem, ReadFile(path, kMaxPemBytes));
  if (!absl::StrContains(pem, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a PEM file"));
  }
  return pem;
}

}  // namespace

absl::StatusOr<ReportIdentity> ReportIdentity::Load(const std::string& directory) {
  RETURN_IF_ERROR(CheckPrivateFolder(directory, {"ca.crt", "client.crt"}, {"client.key"}));
  ReportIdentity identity;
  ASSIGN_OR_RETURN(identity.ca_certificate_pem, ReadPem(directory + "/ca.crt"));
  ASSIGN_OR_RETURN(identity.certificate_pem, ReadPem(directory + "/client.crt"));
  ASSIGN_OR_RETURN(identity.private_key_pem, ReadPem(directory + "/client.key"));
  return identity;
}

std::shared_ptr<grpc::Channel> MakeReportChannel(const std::string& server,
                                                 const ReportIdentity& identity) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = identity.ca_certificate_pem;
  ssl.pem_private_key = identity.private_key_pem;
  ssl.pem_cert_chain = identity.certificate_pem;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  return grpc::CreateCustomChannel(server, grpc::SslCredentials(ssl), args);
}

std::string ReportIdentityDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("CONFIDANT_IDENTITY")) return env;
  if (const char* dev = std::getenv("CONFIDANT_DEV_DIR")) {
    return absl::StrCat(dev, "/identities/reporting");
  }
  return "./confidant-dev/identities/reporting";
}

}  // namespace confidant::report
