#include "client/policy_commands.h"

#include <chrono>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "client/vault_client.h"
#include "confidant/v1/policy_service.grpc.pb.h"
#include "crypto/asymmetric.h"
#include "crypto/secret_bytes.h"
#include "grpcpp/client_context.h"
#include "policy/signed_policy.h"

namespace confidant::client {
namespace {

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

template <typename Enum, typename Parse>
absl::StatusOr<Enum> ParseCode(const std::string& text, Parse parse, const char* what) {
  Enum value{};
  if (text.empty()) return value;
  if (!parse(absl::AsciiStrToUpper(text), &value)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown ", what, ": ", text));
  }
  return value;
}

}  // namespace

absl::Status PolicySignCommand(const std::string& policy_path, const std::string& key_path,
                               const std::string& name, std::ostream& out) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(policy_path, 1 << 20));
  ASSIGN_OR_RETURN(std::string secret, ReadFile(key_path, 64));
  absl::StatusOr<crypto::Ed25519KeyPair> key =
      crypto::Ed25519KeyPair::FromSecretKey(crypto::SecretBytes::CopyFrom(secret));
  crypto::WipeString(secret);
  if (!key.ok()) return absl::InvalidArgumentError("the key file is not an Ed25519 secret key");
  // Refuse to sign what would not load: a governance member signs a valid policy or nothing.
  RETURN_IF_ERROR(policy::Policy::FromText(text).status());
  const std::string line = policy::SignPolicy(text, name, *key);
  std::ofstream sig(policy_path + ".sig", std::ios::app);
  sig << line;
  if (!sig.good()) return absl::UnavailableError("cannot append to " + policy_path + ".sig");
  out << "signed " << policy_path << " as " << name << " (" << policy_path << ".sig)\n";
  return absl::OkStatus();
}

absl::Status PolicyCheckCommand(const std::string& policy_path,
                                const std::string& governance_keys_path, std::ostream& out) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(policy_path, 1 << 20));
  ASSIGN_OR_RETURN(policy::Policy parsed, policy::Policy::FromText(text));
  out << policy_path << ": valid policy, version " << parsed.version() << ", "
      << parsed.proto().persons_size() << " persons\n";
  if (governance_keys_path.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string keys_text, ReadFile(governance_keys_path));
  ASSIGN_OR_RETURN(policy::GovernanceKeys keys, policy::GovernanceKeys::FromText(keys_text));
  absl::StatusOr<std::string> signatures = ReadFile(policy_path + ".sig", 1 << 20);
  RETURN_IF_ERROR(policy::VerifySignedPolicy(text, signatures.ok() ? *signatures : "", keys, 1)
                      .status());
  out << "signed by at least " << keys.threshold << " of " << keys.public_keys.size()
      << " governance keys\n";
  return absl::OkStatus();
}

absl::Status PolicyExplainCommand(std::shared_ptr<grpc::Channel> channel, const ExplainArgs& args,
                                  std::ostream& out) {
  v1::ExplainDecisionRequest request;
  request.set_person_id(args.person_id);
  request.set_action(args.action);
  request.set_record_id(args.record_id);
  ASSIGN_OR_RETURN(v1::Purpose purpose,
                   ParseCode<v1::Purpose>(args.purpose, v1::Purpose_Parse, "purpose"));
  ASSIGN_OR_RETURN(v1::Section section,
                   ParseCode<v1::Section>(args.section, v1::Section_Parse, "section"));
  request.set_purpose(purpose);
  request.set_section(section);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ExplainDecisionResponse response;
  RETURN_IF_ERROR(FromGrpc(v1::PolicyService::NewStub(channel)->ExplainDecision(&context, request,
                                                                                &response)));
  out << (response.allowed() ? "ALLOW" : "DENY") << " (" << response.rule() << ")\n"
      << response.explanation();
  if (!response.explanation().empty() && response.explanation().back() != '\n') out << "\n";
  return absl::OkStatus();
}

absl::Status PolicyWhoCanCommand(std::shared_ptr<grpc::Channel> channel,
                                 const std::string& record_id, std::ostream& out) {
  v1::WhoCanRequest request;
  request.set_record_id(record_id);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::WhoCanResponse response;
  RETURN_IF_ERROR(
      FromGrpc(v1::PolicyService::NewStub(channel)->WhoCan(&context, request, &response)));
  for (const v1::WhoCanEntry& e : response.entries()) {
    std::string purposes;
    for (int p : e.purposes()) {
      absl::StrAppend(&purposes, purposes.empty() ? "" : ",",
                      absl::AsciiStrToLower(v1::Purpose_Name(static_cast<v1::Purpose>(p))));
    }
    out << absl::AsciiStrToLower(v1::Section_Name(e.section())) << "  " << e.person_id() << " ("
        << e.display_name() << ")  role=" << e.role() << "  scope=" << e.scope_reason()
        << "  purposes=" << purposes << "\n";
  }
  out << response.entries_size() << " grants to read record " << record_id
      << " today (purposes needing consent apply only where the detainee consented)\n";
  return absl::OkStatus();
}

absl::Status PolicyReloadCommand(std::shared_ptr<grpc::Channel> channel, std::ostream& out) {
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ReloadPolicyResponse response;
  RETURN_IF_ERROR(FromGrpc(v1::PolicyService::NewStub(channel)->ReloadPolicy(
      &context, v1::ReloadPolicyRequest(), &response)));
  out << "policy version " << response.version() << " in force (blake2b256 "
      << response.blake2b256() << ")\n";
  return absl::OkStatus();
}

}  // namespace confidant::client
