// Audit log benchmarks on real RocksDB in /tmp folders (removed afterwards). Appends by 16
// threads: (a) through AuditLog (group commit), (b) one synced RocksDbStore::Commit per entry
// with the same sealed leaf, (b') the same straight into rocksdb::DB; BM_GroupCommitSpeedup runs
// them interleaved and reports the ratios. Then proof generation at tree size 100,000.
#include <stdlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "crypto/merkle.h"
#include "crypto/secret_bytes.h"
#include "rocksdb/db.h"
#include "server/audit/audit_leaf.h"
#include "server/audit/audit_log.h"
#include "server/store/rocksdb_store.h"

namespace confidant {
namespace {

constexpr int kAppendsPerThread = 64;  // per benchmark iteration

// A fresh mkdtemp folder under /tmp, removed with its contents on destruction.
class BenchDir {
 public:
  BenchDir() {
    std::string pattern = "/tmp/confidant-audit-bench-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~BenchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// About the size of a real read's entry.
v1::AuditEvent BenchEvent(uint64_t n) {
  v1::AuditEvent event;
  event.set_principal("spiffe://confidant.example/role/case_officer");
  event.set_role("case_officer");
  event.set_action("get_record");
  event.add_record_ids("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
  event.add_sections_disclosed(v1::IDENTITY);
  event.add_sections_disclosed(v1::INTERVIEW);
  event.set_purpose(v1::FOLLOW_UP);
  event.set_reason("follow-up call scheduled with the family");
  event.set_decision(v1::ALLOW);
  event.set_rule("allow:case_officer/follow_up");
  event.set_status_code("OK");
  event.set_request_id("req-" + std::to_string(n));
  event.set_client_address("ipv4:127.0.0.1:40000");
  return event;
}

// Runs `body(thread)` on `threads` threads and waits for all of them.
void OnThreads(int threads, const std::function<void(int)>& body) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(body, t);
  for (std::thread& t : pool) t.join();
}

std::unique_ptr<store::RocksDbStore> OpenStore(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<store::RocksDbStore>> store = store::RocksDbStore::Open(dir);
  return store.ok() ? *std::move(store) : nullptr;
}

int CountCheckpoints(const store::KvStore& store) {
  int checkpoints = 0;
  (void)store.Scan(store::Space::kAudit, "C", [&](std::string_view, std::string_view) {
    ++checkpoints;
    return true;
  });
  return checkpoints;
}

// One way of making an audit entry durable, behind one Append(n) for every benchmark.
class Target {
 public:
  virtual ~Target() = default;
  virtual bool ok() const = 0;
  virtual bool Append(uint64_t n) = 0;

 protected:
  BenchDir dir_;
  const crypto::SecretBytes audit_key_ = crypto::SecretBytes::Random(32);
  std::atomic<uint64_t> next_index_{0};
};

// (a) Through AuditLog: group commit, one synced batch and one signed checkpoint per round.
class ThroughAuditLog : public Target {
 public:
  ThroughAuditLog() : store_(OpenStore(dir_.path() + "/db")) {
    if (store_ == nullptr) return;
    auto log = audit::AuditLog::Open(*store_, audit_key_, checkpoint_key_, NowMicros);
    if (log.ok()) log_ = *std::move(log);
  }
  ~ThroughAuditLog() override { log_.reset(); }
  bool ok() const override { return log_ != nullptr; }
  bool Append(uint64_t n) override { return log_->Append(BenchEvent(n)).ok(); }
  int checkpoints() const { return CountCheckpoints(*store_); }

 private:
  const std::shared_ptr<const crypto::Ed25519KeyPair> checkpoint_key_ =
      std::make_shared<const crypto::Ed25519KeyPair>(crypto::Ed25519KeyPair::Generate());
  std::unique_ptr<store::RocksDbStore> store_;
  std::unique_ptr<audit::AuditLog> log_;
};

// (b) The same sealed leaf encoding, one synced RocksDbStore::Commit per entry.
class CommitPerEntry : public Target {
 public:
  CommitPerEntry() : store_(OpenStore(dir_.path() + "/db")) {}
  bool ok() const override { return store_ != nullptr; }
  bool Append(uint64_t n) override {
    const uint64_t index = next_index_++;
    const int64_t now = NowMicros();
    absl::StatusOr<audit::Leaf> leaf = audit::SealEvent(audit_key_, index, now, BenchEvent(n));
    if (!leaf.ok()) return false;
    store::Mutation m;
    m.Put(store::Space::kAudit, audit::LeafKey(index), audit::EncodeLeaf(*leaf));
    return store_->Commit(m).ok();
  }

 private:
  std::unique_ptr<store::RocksDbStore> store_;
};

// (b') As (b) but straight into rocksdb::DB (sync=true): only RocksDB's own write grouping.
class RawRocksDbPerEntry : public Target {
 public:
  RawRocksDbPerEntry() {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.compression = rocksdb::kNoCompression;
    rocksdb::DB* db = nullptr;
    if (rocksdb::DB::Open(options, dir_.path() + "/db", &db).ok()) db_.reset(db);
    synced_.sync = true;
  }
  bool ok() const override { return db_ != nullptr; }
  bool Append(uint64_t n) override {
    const uint64_t index = next_index_++;
    const int64_t now = NowMicros();
    absl::StatusOr<audit::Leaf> leaf = audit::SealEvent(audit_key_, index, now, BenchEvent(n));
    return leaf.ok() && db_->Put(synced_, audit::LeafKey(index), audit::EncodeLeaf(*leaf)).ok();
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions synced_;
};

// One round: `threads` threads each appending kAppendsPerThread entries. Returns seconds.
double Round(Target& target, int threads, std::atomic<bool>& failed) {
  const absl::Time start = absl::Now();
  OnThreads(threads, [&](int t) {
    for (int i = 0; i < kAppendsPerThread; ++i) {
      if (!target.Append(uint64_t(t) * 1000 + i)) failed = true;
    }
  });
  return absl::ToDoubleSeconds(absl::Now() - start);
}

template <typename T>
void BM_Append(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  T target;
  if (!target.ok()) return state.SkipWithError("cannot open the store");
  std::atomic<bool> failed{false};
  for (auto _ : state) Round(target, threads, failed);
  if (failed) return state.SkipWithError("an append failed");
  const int64_t appends = state.iterations() * threads * kAppendsPerThread;
  state.counters["appends_per_s"] =
      benchmark::Counter(static_cast<double>(appends), benchmark::Counter::kIsRate);
  if constexpr (std::is_same_v<T, ThroughAuditLog>) {
    state.counters["entries_per_batch"] =
        static_cast<double>(appends) / std::max(1, target.checkpoints());
  }
}
BENCHMARK_TEMPLATE(BM_Append, ThroughAuditLog)->Arg(16)->Arg(1)->Arg(64)->UseRealTime()->MinTime(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Append, CommitPerEntry)->Arg(16)->Arg(1)->UseRealTime()->MinTime(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Append, RawRocksDbPerEntry)->Arg(16)->Arg(64)->UseRealTime()->MinTime(2)
    ->Unit(benchmark::kMillisecond);

// (a) vs (b) and (b') interleaved round by round, so that load from elsewhere on the machine
// hits all three alike; counters are appends/s of each and the speedups of (a).
void BM_GroupCommitSpeedup(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  ThroughAuditLog log;
  CommitPerEntry per_entry;
  RawRocksDbPerEntry raw;
  if (!log.ok() || !per_entry.ok() || !raw.ok()) return state.SkipWithError("cannot open");
  std::atomic<bool> failed{false};
  double log_s = 0, per_entry_s = 0, raw_s = 0;
  for (auto _ : state) {
    log_s += Round(log, threads, failed);
    per_entry_s += Round(per_entry, threads, failed);
    raw_s += Round(raw, threads, failed);
  }
  if (failed) return state.SkipWithError("an append failed");
  const double appends = static_cast<double>(state.iterations() * threads * kAppendsPerThread);
  state.counters["log_per_s"] = appends / log_s;
  state.counters["commit_per_entry_per_s"] = appends / per_entry_s;
  state.counters["raw_rocksdb_per_s"] = appends / raw_s;
  state.counters["x_vs_commit"] = per_entry_s / log_s;
  state.counters["x_vs_raw"] = raw_s / log_s;
}
BENCHMARK(BM_GroupCommitSpeedup)->Arg(16)->UseRealTime()->MinTime(6)
    ->Unit(benchmark::kMillisecond);

// A log of exactly 100,000 entries, built on first use (many appending threads, so large
// batches) and deleted, folder and all, at the end of main.
struct BigLog {
  static constexpr uint64_t kSize = 100'000;
  BenchDir dir;
  crypto::SecretBytes audit_key = crypto::SecretBytes::Random(32);
  std::shared_ptr<const crypto::Ed25519KeyPair> checkpoint_key =
      std::make_shared<const crypto::Ed25519KeyPair>(crypto::Ed25519KeyPair::Generate());
  std::unique_ptr<store::RocksDbStore> store;
  std::unique_ptr<audit::AuditLog> log;

  static std::unique_ptr<BigLog> Build() {
    auto big = std::make_unique<BigLog>();
    big->store = OpenStore(big->dir.path() + "/db");
    if (big->store == nullptr) return nullptr;
    auto log = audit::AuditLog::Open(*big->store, big->audit_key, big->checkpoint_key, NowMicros);
    if (!log.ok()) return nullptr;
    big->log = *std::move(log);
    std::atomic<int64_t> remaining{kSize};
    OnThreads(128, [&](int t) {
      while (remaining.fetch_sub(1) > 0) (void)big->log->Append(BenchEvent(t));
    });
    if (big->log->LatestCheckpoint().tree_size() != kSize) return nullptr;
    return big;
  }
};

std::unique_ptr<BigLog> big_log;  // built by the first proof benchmark that runs
bool big_log_tried = false;

BigLog* GetBigLog() {
  if (!big_log_tried) {
    big_log_tried = true;
    big_log = BigLog::Build();
  }
  return big_log.get();
}

void BM_InclusionProof_100k(benchmark::State& state) {
  BigLog* big = GetBigLog();
  if (big == nullptr) return state.SkipWithError("cannot build the 100k log");
  const v1::Checkpoint cp = big->log->LatestCheckpoint();
  absl::StatusOr<crypto::Hash> root = crypto::HashFromString(cp.root_hash());
  std::mt19937_64 rng(1);
  // One proof checked end to end before timing, so the numbers are for correct proofs.
  std::string leaf;
  (void)big->log->ReadEntries(4242, 4243, [&](const v1::AuditEntry& e) {
    leaf = e.leaf();
    return false;
  });
  auto check = big->log->InclusionProof(4242, BigLog::kSize);
  if (!root.ok() || !check.ok() ||
      !crypto::VerifyInclusion(crypto::LeafHash(leaf), 4242, BigLog::kSize, *check, *root).ok()) {
    return state.SkipWithError("inclusion proof does not verify");
  }
  for (auto _ : state) {
    auto proof = big->log->InclusionProof(rng() % BigLog::kSize, BigLog::kSize);
    if (!proof.ok()) return state.SkipWithError("proof generation failed");
    benchmark::DoNotOptimize(proof);
  }
  state.counters["proofs_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_InclusionProof_100k)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProof_100k(benchmark::State& state) {
  BigLog* big = GetBigLog();
  if (big == nullptr) return state.SkipWithError("cannot build the 100k log");
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    auto proof = big->log->ConsistencyProof(1 + rng() % (BigLog::kSize - 1), BigLog::kSize);
    if (!proof.ok()) return state.SkipWithError("proof generation failed");
    benchmark::DoNotOptimize(proof);
  }
  state.counters["proofs_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ConsistencyProof_100k)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace confidant

int main(int argc, char** argv) {
  if (!confidant::crypto::InitCrypto().ok()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // The 100k log's folder is removed here, after every benchmark ran.
  confidant::big_log.reset();
  return 0;
}
