#include "server/witness_pusher.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace confidant::server {

struct WitnessPusher::Peer {
  WitnessEndpoint endpoint;
  std::unique_ptr<v1::WitnessService::Stub> stub;
  std::optional<uint64_t> size;  // the witness's size, when known
  std::string last_error;        // logged once per change
};

namespace {

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

}  // namespace

absl::StatusOr<WitnessEndpoint> ParseWitnessEndpoint(const std::string& spec) {
  const size_t at = spec.find('@');
  const size_t eq = spec.find('=', at == std::string::npos ? 0 : at);
  std::string key;
  if (at == std::string::npos || eq == std::string::npos || at == 0 || eq == at + 1 ||
      !absl::Base64Unescape(spec.substr(eq + 1), &key) || key.size() != 32) {
    return absl::InvalidArgumentError("--witness takes NAME@HOST:PORT=BASE64KEY");
  }
  return WitnessEndpoint{spec.substr(at + 1, eq - at - 1), spec.substr(0, at), key};
}

WitnessPusher::WitnessPusher(const audit::AuditLog& log, std::vector<WitnessEndpoint> witnesses,
                             const WitnessTls& tls,
                             std::function<std::vector<std::string>()> key_transitions)
    : log_(log), key_transitions_(std::move(key_transitions)) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = tls.ca_certificate_pem;
  ssl.pem_cert_chain = tls.client_certificate_pem;
  ssl.pem_private_key = tls.client_private_key_pem;
  for (WitnessEndpoint& w : witnesses) {
    auto peer = std::make_unique<Peer>();
    peer->stub = v1::WitnessService::NewStub(
        grpc::CreateChannel(w.address, grpc::SslCredentials(ssl)));
    peer->endpoint = std::move(w);
    peers_.push_back(std::move(peer));
  }
  thread_ = std::thread([this] { Run(); });
}

WitnessPusher::~WitnessPusher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

std::vector<WitnessPusher::Witnessed> WitnessPusher::AskWitnesses() const {
  std::vector<Witnessed> answers;
  for (const std::unique_ptr<Peer>& peer : peers_) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::WitnessState state;
    Witnessed answer;
    answer.name = peer->endpoint.name;
    answer.reachable = peer->stub->GetWitnessState(&context, {}, &state).ok();
    if (answer.reachable) {
      answer.tree_size = state.tree_size();
      answer.root_hex = absl::BytesToHexString(state.root_hash());
    }
    answers.push_back(std::move(answer));
  }
  return answers;
}

std::optional<v1::Checkpoint> WitnessPusher::LatestCosigned() const {
  absl::MutexLock lock(&mu_);
  return cosigned_;
}

v1::Checkpoint WitnessPusher::ToServe(const v1::Checkpoint& latest) {
  absl::MutexLock lock(&mu_);
  if (cosigned_.has_value() && cosigned_->tree_size() >= max_served_) {
    max_served_ = cosigned_->tree_size();
    return *cosigned_;
  }
  max_served_ = std::max(max_served_, latest.tree_size());
  return latest;
}

void WitnessPusher::Run() {
  uint64_t done_size = 0;
  bool first = true;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(200));
      if (stopping_) return;
    }
    const v1::Checkpoint checkpoint = log_.LatestCheckpoint();
    if (checkpoint.tree_size() == 0 || (!first && checkpoint.tree_size() == done_size)) continue;
    PushAll(checkpoint);
    absl::MutexLock lock(&mu_);
    if (cosigned_.has_value() && cosigned_->tree_size() == checkpoint.tree_size()) {
      done_size = checkpoint.tree_size();
      first = false;
    }
  }
}

void WitnessPusher::PushAll(const v1::Checkpoint& checkpoint) {
  std::string cosignatures;
  for (auto& peer : peers_) {
    if (!Push(*peer, checkpoint, cosignatures)) return;  // not cosigned by every witness (yet)
  }
  v1::Checkpoint cosigned = checkpoint;
  cosigned.set_note(checkpoint.note() + cosignatures);
  absl::MutexLock lock(&mu_);
  cosigned_ = std::move(cosigned);
}

bool WitnessPusher::Push(Peer& peer, const v1::Checkpoint& checkpoint, std::string& cosignatures) {
  auto fail = [&](const std::string& what, const grpc::Status& status) {
    const std::string error = what + ":" + std::to_string(status.error_code());
    if (error != peer.last_error) {
      LogEvent(LogLevel::kError, "witness_refused",
               {{"witness", peer.endpoint.name}, {"step", what},
                {"code", std::to_string(status.error_code())},
                {"tree_size", std::to_string(checkpoint.tree_size())}});
      peer.last_error = error;
    }
    peer.size.reset();  // ask again next time
    return false;
  };
  if (!peer.size.has_value()) {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::WitnessState state;
    grpc::Status status = peer.stub->GetWitnessState(&context, v1::GetWitnessStateRequest(), &state);
    if (!status.ok()) return fail("state", status);
    peer.size = state.tree_size();
  }
  v1::AddCheckpointRequest request;
  request.set_old_size(*peer.size);
  *request.mutable_checkpoint() = checkpoint;
  if (key_transitions_) {
    for (const std::string& note : key_transitions_()) request.add_key_transitions(note);
  }
  if (*peer.size < checkpoint.tree_size()) {
    absl::StatusOr<std::vector<crypto::Hash>> proof =
        log_.ConsistencyProof(*peer.size, checkpoint.tree_size());
    if (!proof.ok()) return fail("proof", grpc::Status(grpc::StatusCode::INTERNAL, ""));
    for (const crypto::Hash& h : *proof) request.add_consistency_proof(crypto::HashToString(h));
  }
  grpc::ClientContext context;
  SetDeadline(context);
  v1::AddCheckpointResponse response;
  grpc::Status status = peer.stub->AddCheckpoint(&context, request, &response);
  if (!status.ok()) return fail("add", status);
  const std::string& note = response.cosigned_note();
  if (note.compare(0, checkpoint.note().size(), checkpoint.note()) != 0 ||
      !crypto::VerifyCosignature(note, peer.endpoint.name, peer.endpoint.public_key).ok()) {
    return fail("cosignature", grpc::Status(grpc::StatusCode::UNAUTHENTICATED, ""));
  }
  if (!peer.last_error.empty()) LogEvent(LogLevel::kInfo, "witness_ok", {{"witness", peer.endpoint.name}});
  peer.last_error.clear();
  peer.size = checkpoint.tree_size();
  cosignatures += note.substr(checkpoint.note().size());
  return true;
}

}  // namespace confidant::server
