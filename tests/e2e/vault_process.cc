#include "tests/e2e/vault_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"
#include "base/files.h"
#include "tests/e2e/child_process.h"

namespace confidant::testing {

absl::StatusOr<std::unique_ptr<VaultProcess>> VaultProcess::Prepare(
    std::vector<std::string> extra_args) {
  std::unique_ptr<VaultProcess> vault(new VaultProcess());
  char pattern[] = "/tmp/confidant-e2e-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return absl::InternalError("mkdtemp failed");
  vault->root_ = pattern;
  vault->extra_args_ = std::move(extra_args);
  return vault;
}

absl::StatusOr<std::unique_ptr<VaultProcess>> VaultProcess::Start(
    std::vector<std::string> extra_args) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> vault = Prepare(std::move(extra_args));
  if (!vault.ok()) return vault.status();
  if (absl::Status s = (*vault)->Launch(); !s.ok()) return s;
  return vault;
}

absl::StatusOr<std::unique_ptr<VaultProcess>> VaultProcess::StartWithDevClock(
    std::vector<std::string> extra_args) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> vault = Prepare(std::move(extra_args));
  if (!vault.ok()) return vault.status();
  (*vault)->extra_args_.push_back("--dev-clock-offset-file=" + (*vault)->clock_offset_file());
  if (absl::Status s = (*vault)->Launch(); !s.ok()) return s;
  return vault;
}

absl::Status VaultProcess::SetClockOffsetSeconds(int64_t seconds) const {
  return WriteFileAtomically(clock_offset_file(), std::to_string(seconds) + "\n", 0600);
}

absl::Status VaultProcess::Launch() {
  const std::string port_file = root_ + "/port";
  std::filesystem::remove(port_file);
  std::filesystem::remove(root_ + "/reporting_port");
  std::vector<std::string> args = {CONFIDANTD_PATH, "--dev",   "--dev-dir", dev_dir(),
                                   "--listen",      "127.0.0.1:0", "--port-file", port_file,
                                   "--reporting-port-file", root_ + "/reporting_port"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  pid_ = SpawnProcess(std::move(args), root_ + "/server.log", root_ + "/server.log");
  if (pid_ < 0) return absl::InternalError("fork failed");
  int status = 0;
  switch (WaitForPort(pid_, port_file, port_, status)) {
    case StartResult::kServing:
      return absl::OkStatus();
    case StartResult::kExited:
      pid_ = -1;
      return absl::InternalError("confidantd exited at start:\n" + log());
    case StartResult::kTimedOut:
      break;
  }
  return absl::DeadlineExceededError("confidantd did not start:\n" + log());
}

VaultProcess::~VaultProcess() {
  Stop();
  std::error_code ec;
  if (std::getenv("CONFIDANT_KEEP_E2E") == nullptr) std::filesystem::remove_all(root_, ec);
}

int VaultProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

int VaultProcess::Kill() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

absl::Status VaultProcess::Restart() {
  Stop();
  return Launch();
}

std::string VaultProcess::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string VaultProcess::reporting_address() const {
  // Written just after the main port file: wait a moment for it.
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<std::string> port = ReadFile(root_ + "/reporting_port", 64);
    if (port.ok() && !absl::StripAsciiWhitespace(*port).empty()) {
      return "127.0.0.1:" + std::string(absl::StripAsciiWhitespace(*port));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";
}

std::string VaultProcess::identity_dir(const std::string& role) const {
  return dev_dir() + "/identities/" + role;
}

std::string VaultProcess::log() const {
  absl::StatusOr<std::string> text = ReadFile(root_ + "/server.log", 64 << 20);
  return text.ok() ? *text : std::string();
}

std::unique_ptr<client::VaultClient> VaultProcess::ClientAs(const std::string& role) const {
  absl::StatusOr<client::ClientIdentity> identity = client::ClientIdentity::Load(identity_dir(role));
  if (!identity.ok()) return nullptr;
  return ClientWith(*std::move(identity));
}

std::unique_ptr<client::VaultClient> VaultProcess::ClientWith(client::ClientIdentity identity) const {
  absl::StatusOr<std::unique_ptr<client::VaultClient>> c =
      client::VaultClient::Connect(address(), std::move(identity));
  return c.ok() ? *std::move(c) : nullptr;
}

v1::InterviewRecord SyntheticRecord(const std::string& text) {
  v1::InterviewRecord r;
  v1::VisitMetadata* visit = r.mutable_visit();
  visit->set_facility_id("qc-lav-ihc");
  visit->set_region(v1::QUEBEC);
  visit->set_visit_date("2026-10-02");
  visit->set_team("team-quebec-1");
  r.mutable_identity()->set_full_name(text + " name");
  r.mutable_identity()->set_date_of_birth("1988-07-21");
  r.mutable_identity()->set_immigration_client_id(text.substr(0, 40) + "-id");
  r.mutable_identity()->add_languages(text.substr(0, 40) + " language");
  r.mutable_interview()->set_narrative(text + " narrative");
  r.mutable_interview()->add_concerns_raised(text.substr(0, 100) + " concern");
  r.mutable_interview()->set_follow_up_requested(true);
  r.mutable_health()->set_observations(text + " observations");
  r.mutable_health()->set_needs(text + " needs");
  r.mutable_legal()->set_counsel_access(text + " counsel");
  r.mutable_legal()->set_proceedings(text + " proceedings");
  r.mutable_indicators()->set_age_band(v1::AGE_25_34);
  r.mutable_indicators()->set_gender(v1::MAN);
  r.mutable_indicators()->set_detention_length(v1::DAYS_7_29);
  r.mutable_indicators()->mutable_concerns()->set_lacks_medical_care(v1::YES);
  for (v1::Purpose p : {v1::FOLLOW_UP, v1::CASE_REVIEW, v1::MEDICAL_REFERRAL, v1::LEGAL_REFERRAL}) {
    v1::Consent* consent = r.add_consents();
    consent->set_purpose(p);
    consent->set_given(true);
    consent->set_recorded_on("2026-10-02");
  }
  return r;
}

std::vector<std::string> FilesBelow(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file()) files.push_back(it->path().string());
  }
  return files;
}

}  // namespace confidant::testing
