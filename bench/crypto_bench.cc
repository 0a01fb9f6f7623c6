// Microbenchmarks of the per-record crypto path: section encryption, data-key wrapping and
// intake sealing. Run: make bench  (or build/bench/confidant_bench --benchmark_filter=...).
#include <benchmark/benchmark.h>

#include <string>

#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "crypto/key_hierarchy.h"

namespace confidant::crypto {
namespace {

void BM_EncryptSection(benchmark::State& state) {
  (void)InitCrypto();
  SecretBytes key = SecretBytes::Random(kDataKeySize);
  const std::string plaintext(static_cast<size_t>(state.range(0)), 'x');
  const SectionContext context{"0123456789abcdef0123456789abcdef", 1, "interview", "dk"};
  for (auto _ : state) benchmark::DoNotOptimize(EncryptSection(key, context, plaintext));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EncryptSection)->Arg(100)->Arg(4096)->Arg(32768);

void BM_WrapAndUnwrapDataKey(benchmark::State& state) {
  (void)InitCrypto();
  SecretBytes kek = SecretBytes::Random(32), data_key = SecretBytes::Random(kDataKeySize);
  const SectionContext section{"0123456789abcdef0123456789abcdef", 1, "identity", "dk"};
  const WrapContext wrap{section.record_id, "identity", "case_officer", 1, "dk"};
  const std::string commitment = CommitToDataKey(data_key, section);
  for (auto _ : state) {
    std::string wrapped = *WrapDataKey(kek, wrap, data_key);
    benchmark::DoNotOptimize(UnwrapDataKey(kek, wrap, wrapped, section, commitment));
  }
}
BENCHMARK(BM_WrapAndUnwrapDataKey);

void BM_SealAndOpenEnvelope(benchmark::State& state) {
  (void)InitCrypto();
  X25519KeyPair intake = X25519KeyPair::Generate();
  const std::string payload(static_cast<size_t>(state.range(0)), 'r');
  for (auto _ : state) {
    std::string sealed = *SealToPublicKey(intake.public_key, payload);
    benchmark::DoNotOptimize(OpenSealedBox(intake, sealed));
  }
}
BENCHMARK(BM_SealAndOpenEnvelope)->Arg(4096);

}  // namespace
}  // namespace confidant::crypto

BENCHMARK_MAIN();
