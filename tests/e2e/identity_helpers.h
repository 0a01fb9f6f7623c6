// Helpers for end-to-end tests that build client identities and channels by hand: the vault's
// dev CA, hand-issued client certificates, raw channels and deadlines. Header-only.
#ifndef CONFIDANT_TESTS_E2E_IDENTITY_HELPERS_H_
#define CONFIDANT_TESTS_E2E_IDENTITY_HELPERS_H_

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "client/identity.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "pki/certificates.h"
#include "confidant/v1/audit.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/e2e/vault_process.h"

namespace confidant::testing {

// The principal the dev environment gives `role`.
inline std::string DevPrincipalOf(const std::string& role) {
  return "spiffe://confidant.example/dev/" + role;
}

// The dev CA's key and certificate (DEV/ca/ca.key, DEV/ca/ca.crt).
inline absl::StatusOr<pki::KeyAndCertificate> LoadDevCa(const VaultProcess& vault) {
  pki::KeyAndCertificate ca;
  ASSIGN_OR_RETURN(ca.private_key_pem, ReadFile(vault.dev_dir() + "/ca/ca.key"));
  ASSIGN_OR_RETURN(ca.certificate_pem, ReadFile(vault.dev_dir() + "/ca/ca.crt"));
  return ca;
}

// The dev identity of `role` with its certificate and key replaced by `leaf`; the trusted CA
// and the pinned vault key stay the role's. `principal` is what the client claims in payloads.
inline absl::StatusOr<client::ClientIdentity> IdentityWithLeaf(const VaultProcess& vault,
                                                               const std::string& role,
                                                               const pki::KeyAndCertificate& leaf,
                                                               const std::string& principal) {
  ASSIGN_OR_RETURN(client::ClientIdentity identity,
                   client::ClientIdentity::Load(vault.identity_dir(role)));
  identity.certificate_pem = leaf.certificate_pem;
  identity.private_key_pem = leaf.private_key_pem;
  identity.principal = principal;
  return identity;
}

// A client certificate spec with clientAuth, CN "e2e test client" and the given URI SANs.
inline pki::CertificateSpec ClientSpec(std::vector<std::string> uri_sans) {
  pki::CertificateSpec spec;
  spec.common_name = "e2e test client";
  spec.uri_sans = std::move(uri_sans);
  spec.client_auth = true;
  spec.validity_days = 30;
  return spec;
}

// A channel to `address` trusting `identity`'s CA and presenting its certificate, if any (an
// empty certificate_pem presents none). No message size limits on the client side.
inline std::shared_ptr<grpc::Channel> RawChannel(const std::string& address,
                                                 const client::ClientIdentity& identity) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = identity.ca_certificate_pem;
  ssl.pem_private_key = identity.private_key_pem;
  ssl.pem_cert_chain = identity.certificate_pem;
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);
  args.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

// Gives `context` a deadline `seconds` from now.
inline void SetTestDeadline(grpc::ClientContext& context, int seconds = 15) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

// A raw channel to `vault` as its dev identity `id` (e.g. "auditor").
inline std::shared_ptr<grpc::Channel> ChannelAs(const VaultProcess& vault, const std::string& id) {
  absl::StatusOr<client::ClientIdentity> identity =
      client::ClientIdentity::Load(vault.identity_dir(id));
  EXPECT_TRUE(identity.ok()) << identity.status();
  return RawChannel(vault.address(), identity.ok() ? *identity : client::ClientIdentity());
}

// The request id the server gave a finished call ("" if none).
inline std::string RequestIdOf(const grpc::ClientContext& context) {
  auto it = context.GetServerTrailingMetadata().find("x-request-id");
  return it == context.GetServerTrailingMetadata().end()
             ? std::string()
             : std::string(it->second.data(), it->second.size());
}

// Every audit entry from index `from` on, as the dev auditor reads them: pages of 5000 (the
// vault serves at most 10000 a call), then the rest.
inline std::vector<v1::AuditEntry> AuditEntriesFrom(const VaultProcess& vault, uint64_t from = 0) {
  constexpr uint64_t kPage = 5000;
  auto stub = v1::AuditService::NewStub(ChannelAs(vault, "auditor"));
  std::vector<v1::AuditEntry> entries;
  for (uint64_t start = from;;) {
    for (const bool to_end : {false, true}) {
      grpc::ClientContext context;
      SetTestDeadline(context, 60);
      v1::GetEntriesRequest request;
      request.set_start(start);
      request.set_end(to_end ? 0 : start + kPage);
      auto reader = stub->GetEntries(&context, request);
      v1::AuditEntry entry;
      size_t read = 0;
      while (reader->Read(&entry)) {
        entries.push_back(entry);
        ++read;
      }
      const grpc::Status finished = reader->Finish();
      if (!to_end && finished.error_code() == grpc::StatusCode::INVALID_ARGUMENT && read == 0) {
        continue;  // fewer than a page left: read to the end
      }
      EXPECT_TRUE(finished.ok()) << finished.error_message();
      if (to_end || !finished.ok()) return entries;
      break;
    }
    start += kPage;
  }
}

// The events of every audit entry with `action`, in log order.
inline std::vector<v1::AuditEvent> AuditEventsWithAction(const VaultProcess& vault,
                                                         const std::string& action) {
  std::vector<v1::AuditEvent> events;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(vault)) {
    if (entry.event().action() == action) events.push_back(entry.event());
  }
  return events;
}

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_IDENTITY_HELPERS_H_
