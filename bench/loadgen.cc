// confidant-loadgen: closed-loop load against a dev vault on loopback. N client threads, each
// with its own channel per role (bench_visit_team submits, bench_case_officer reads with FOLLOW_UP: dev persons with high quotas), run a
// submit/get mix for T seconds; one JSON summary line goes to stdout, progress to stderr.
//
// Latency is one RPC (SubmitRecord or GetRecord) on a steady clock. Sealing a submission and
// choosing its record happen before the clock starts; the intake key is fetched once per client
// (and again after a submit fails with FAILED_PRECONDITION or INVALID_ARGUMENT), as a
// long-running client would. Errors are counted by gRPC code and listed on stderr at the end.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/flags_help.h"
#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/flag_names.h"
#include "base/status_macros.h"
#include "bench/loadgen_support.h"
#include "client/identity.h"
#include "client/vault_client.h"

ABSL_FLAG(std::string, server, "127.0.0.1:7443", "Vault address HOST:PORT (loopback only)");
ABSL_FLAG(std::string, dev_dir, "", "Dev folder of confidantd --dev (holds identities/ROLE)");
ABSL_FLAG(int, clients, 1, "Client threads, each with its own channel per role");
ABSL_FLAG(int, seconds, 10, "Length of the timed run");
ABSL_FLAG(std::string, mix, "submit=50,get=50", "Request mix in percent, summing to 100");
ABSL_FLAG(uint64_t, seed, 1, "Seed for the request mix and record contents");
ABSL_FLAG(int, warmup_records, 50, "Records submitted before the run, for gets to read");

namespace confidant::bench {
namespace {

constexpr char kHelpIntro[] = R"(confidant-loadgen: closed-loop load against a dev vault on loopback.

For developers measuring a dev vault (confidantd --dev) only: it refuses any
server but loopback. N client threads, each with its own channel per role (the
dev persons bench_visit_team submits, bench_case_officer reads for follow_up),
run a submit/get mix for T seconds after submitting --warmup-records records to
read. One JSON summary line (qps, p50/p99/p99.9 latency in microseconds, errors)
goes to stdout; progress and errors by code go to stderr.

Usage:
  confidant-loadgen --dev-dir DIR [--server HOST:PORT] [--clients N]
                    [--seconds T] [--mix submit=50,get=50] [--seed S]

Flags (--flag-name and --flag_name both work):
)";

constexpr char kHelpOutro[] = R"(
Exit codes: 0 done; 1 the run failed; 2 bad flags (nothing was sent).

Examples:
  confidantd --dev --dev-dir /tmp/lg/dev --listen 127.0.0.1:0 --port-file /tmp/lg/port &
  confidant-loadgen --server 127.0.0.1:$(cat /tmp/lg/port) --dev-dir /tmp/lg/dev \
    --clients 16 --seconds 10 --mix submit=50,get=50
)";

// -h, --help or `help`: answered before Abseil parses flags (its own --help lists only flags
// defined in files named after the program, and finds none here).
bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "-h" || arg == "-help" || arg == "--help" || arg == "--helpshort" ||
        absl::StartsWith(arg, "--help=")) {
      return true;
    }
  }
  return argc > 1 && absl::string_view(argv[1]) == "help";
}

using Clock = std::chrono::steady_clock;

// One client thread's channels and results. Touched only by its thread during the run.
struct Worker {
  std::unique_ptr<client::VaultClient> submitter;
  std::unique_ptr<client::VaultClient> reader;
  v1::IntakeKey intake_key;
  std::mt19937_64 rng;        // seeded: mix, record contents, which record to get
  std::mt19937_64 fresh_ids;  // from std::random_device: submission ids never repeat across runs
  std::vector<int64_t> latencies_ns;
};

// What every worker shares during the run. Read-only apart from the atomic counters.
struct Run {
  Mix mix;
  std::vector<std::string> record_ids;  // the warm-up pool
  Clock::time_point deadline;
  std::chrono::system_clock::time_point rpc_deadline;  // bounds a stuck call
  std::atomic<int64_t> ok{0};
  std::atomic<int64_t> errors{0};
  std::array<std::atomic<int64_t>, 17> errors_by_code{};  // indexed by grpc::StatusCode
};

// Issues one request and records its latency on success.
grpc::StatusCode OneRequest(Worker& w, Run& run) {
  grpc::ClientContext context;
  context.set_deadline(run.rpc_deadline);
  grpc::Status status;
  Clock::time_point start, end;
  if (std::uniform_int_distribution<int>(1, 100)(w.rng) <= run.mix.submit) {
    absl::StatusOr<v1::SubmitRecordRequest> request = client::SealSubmission(
        w.intake_key, w.submitter->identity().principal, SyntheticRecord(w.rng),
        RandomSubmissionId(w.fresh_ids), absl::ToUnixSeconds(absl::Now()));
    if (!request.ok()) return grpc::StatusCode::INVALID_ARGUMENT;
    v1::SubmitRecordResponse response;
    start = Clock::now();
    status = w.submitter->stub().SubmitRecord(&context, *request, &response);
    end = Clock::now();
    const grpc::StatusCode code = status.error_code();
    if (code == grpc::StatusCode::FAILED_PRECONDITION ||
        code == grpc::StatusCode::INVALID_ARGUMENT) {
      // Perhaps the intake key rotated: refresh it, outside the clock.
      if (absl::StatusOr<v1::IntakeKey> key = w.submitter->FetchIntakeKey(); key.ok()) {
        w.intake_key = *std::move(key);
      }
    }
  } else {
    v1::GetRecordRequest request;
    request.set_record_id(
        run.record_ids[std::uniform_int_distribution<size_t>(0, run.record_ids.size() - 1)(w.rng)]);
    request.set_purpose(v1::FOLLOW_UP);
    v1::GetRecordResponse response;
    start = Clock::now();
    status = w.reader->stub().GetRecord(&context, request, &response);
    end = Clock::now();
  }
  if (!status.ok()) return status.error_code();
  w.latencies_ns.push_back(
      std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
  return grpc::StatusCode::OK;
}

void RunWorker(Worker& w, Run& run) {
  while (Clock::now() < run.deadline) {
    const grpc::StatusCode code = OneRequest(w, run);
    if (code == grpc::StatusCode::OK) {
      run.ok.fetch_add(1, std::memory_order_relaxed);
    } else {
      run.errors.fetch_add(1, std::memory_order_relaxed);
      run.errors_by_code[std::min<size_t>(code, 16)].fetch_add(1, std::memory_order_relaxed);
    }
  }
}

// Connects both roles and fetches the intake key (which also opens the submit channel).
absl::StatusOr<Worker> MakeWorker(const std::string& server, const client::ClientIdentity& team,
                                  const client::ClientIdentity& officer, uint64_t seed) {
  Worker w;
  ASSIGN_OR_RETURN(w.submitter, client::VaultClient::Connect(server, team));
  ASSIGN_OR_RETURN(w.reader, client::VaultClient::Connect(server, officer));
  ASSIGN_OR_RETURN(w.intake_key, w.submitter->FetchIntakeKey());
  w.rng.seed(seed);
  w.fresh_ids.seed((uint64_t{std::random_device()()} << 32) | std::random_device()());
  return w;
}

std::string Micros(const std::vector<int64_t>& sorted, double p) {
  return sorted.empty() ? "null" : absl::StrFormat("%.1f", Percentile(sorted, p) / 1000.0);
}

absl::Status Main(const std::string& server, const std::string& dev_dir, int clients, int seconds,
                  const Mix& mix) {
  ASSIGN_OR_RETURN(client::ClientIdentity team,
                   client::ClientIdentity::Load(dev_dir + "/identities/bench_visit_team"));
  ASSIGN_OR_RETURN(client::ClientIdentity officer,
                   client::ClientIdentity::Load(dev_dir + "/identities/bench_case_officer"));
  std::vector<Worker> workers;
  for (int i = 0; i < clients; ++i) {
    ASSIGN_OR_RETURN(Worker w, MakeWorker(server, team, officer, absl::GetFlag(FLAGS_seed) + i));
    workers.push_back(std::move(w));
  }
  Run run;
  run.mix = mix;
  Worker& first = workers[0];
  for (int i = 0; i < absl::GetFlag(FLAGS_warmup_records); ++i) {
    ASSIGN_OR_RETURN(
        v1::SubmitRecordResponse response,
        first.submitter->Submit(SyntheticRecord(first.rng), RandomSubmissionId(first.fresh_ids)));
    run.record_ids.push_back(response.record_id());
  }
  if (run.record_ids.empty()) return absl::InvalidArgumentError("--warmup_records must be >= 1");
  for (Worker& w : workers) {  // opens each read channel and checks reads work
    v1::GetRecordRequest get;
    get.set_record_id(run.record_ids[0]);
    get.set_purpose(v1::FOLLOW_UP);
    RETURN_IF_ERROR(w.reader->Get(get).status());
  }

  const Clock::time_point start = Clock::now();
  run.deadline = start + std::chrono::seconds(seconds);
  run.rpc_deadline = std::chrono::system_clock::now() + std::chrono::seconds(seconds + 10);
  std::vector<std::thread> threads;
  for (Worker& w : workers) threads.emplace_back(RunWorker, std::ref(w), std::ref(run));
  for (int s = 1; s <= seconds; ++s) {
    std::this_thread::sleep_until(start + std::chrono::seconds(s));
    std::cerr << absl::StrFormat("loadgen: %ds ok=%d errors=%d\n", s, run.ok.load(),
                                 run.errors.load());
  }
  for (std::thread& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<int64_t> all;
  for (const Worker& w : workers)
    all.insert(all.end(), w.latencies_ns.begin(), w.latencies_ns.end());
  std::sort(all.begin(), all.end());
  const int64_t errors = run.errors.load();
  for (size_t code = 1; code < run.errors_by_code.size(); ++code) {
    if (run.errors_by_code[code] == 0) continue;
    std::cerr << absl::StrFormat("loadgen: %d errors with %s\n", run.errors_by_code[code].load(),
                                 absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
  }
  std::cout << absl::StrFormat(
      R"({"qps":%.1f, "p50_us":%s, "p99_us":%s, "p999_us":%s, "errors":%d, "requests":%d, )"
      R"("clients":%d, "seconds":%d, "mix":"%s"})"
      "\n",
      all.size() / elapsed, Micros(all, 50), Micros(all, 99), Micros(all, 99.9), errors,
      static_cast<int64_t>(all.size()) + errors, clients, seconds, mix.ToString());
  return absl::OkStatus();
}

}  // namespace
}  // namespace confidant::bench

int main(int argc, char** argv) {
  if (confidant::bench::WantsHelp(argc, argv)) {
    std::cout << confidant::bench::kHelpIntro << ::confidant::FlagsHelp(__FILE__)
              << confidant::bench::kHelpOutro;
    return 0;
  }
  absl::SetProgramUsageMessage(
      "confidant-loadgen [--server H:P] --dev-dir DIR --clients N --seconds T "
      "--mix submit=50,get=50 [--seed S]");
  std::vector<std::string> normalized = confidant::NormalizeFlagNames(argc, argv);
  std::vector<char*> cargs;
  for (std::string& a : normalized) cargs.push_back(a.data());
  absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());

  const std::string server = absl::GetFlag(FLAGS_server);
  const int clients = absl::GetFlag(FLAGS_clients), seconds = absl::GetFlag(FLAGS_seconds);
  absl::StatusOr<confidant::bench::Mix> mix = confidant::bench::ParseMix(absl::GetFlag(FLAGS_mix));
  absl::Status usage = mix.status();
  if (usage.ok()) usage = confidant::bench::CheckLoopbackServer(server);
  if (usage.ok() && absl::GetFlag(FLAGS_dev_dir).empty()) {
    usage = absl::InvalidArgumentError("--dev-dir is required");
  }
  if (usage.ok() && (clients < 1 || clients > 1024 || seconds < 1 || seconds > 3600)) {
    usage = absl::InvalidArgumentError("--clients must be 1..1024 and --seconds 1..3600");
  }
  if (!usage.ok()) {
    std::cerr << "confidant-loadgen: " << usage.message() << "\n";
    return 2;
  }
  absl::Status status =
      confidant::bench::Main(server, absl::GetFlag(FLAGS_dev_dir), clients, seconds, *mix);
  if (!status.ok()) {
    std::cerr << "confidant-loadgen: " << absl::StatusCodeToString(status.code()) << ": "
              << status.message() << "\n";
    return 1;
  }
  return 0;
}
