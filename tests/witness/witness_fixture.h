// The witness test fixture: a Witness over a temporary state file, pinned to one test log.
#ifndef CONFIDANT_TESTS_WITNESS_WITNESS_FIXTURE_H_
#define CONFIDANT_TESTS_WITNESS_WITNESS_FIXTURE_H_

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "crypto/init.h"
#include "crypto/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/witness/test_log.h"
#include "witness/witness_state.h"

namespace confidant::witness {

inline constexpr char kOrigin[] = "confidant.example/log/0123456789abcdef";
inline constexpr char kWitnessName[] = "witness.confidant.example/test";
inline constexpr uint64_t kNow = 1700000100;

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), ::confidant::testing::IsOk());
    std::string tmpl = ::testing::TempDir() + "/witness_state_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    witness_key_ = crypto::Ed25519KeyPair::Generate();
    witness_ = OpenWitness();
    ASSERT_NE(witness_, nullptr);
  }
  void TearDown() override {
    ::chmod(dir_.c_str(), 0700);
    std::filesystem::remove_all(dir_);
  }

  std::string state_path() const { return dir_ + "/state"; }

  // A Witness over the fixture's state file and key; null (with a test failure) on error.
  std::unique_ptr<Witness> OpenWitness(std::string origin = kOrigin) {
    WitnessConfig config{std::move(origin), log_key_.public_key, kWitnessName, state_path(), {}};
    absl::StatusOr<crypto::Ed25519KeyPair> key = crypto::Ed25519KeyPair::FromSecretKey(
        crypto::SecretBytes::CopyFrom(std::string_view(
            reinterpret_cast<const char*>(witness_key_.secret_key.RevealSecret()),
            witness_key_.secret_key.size())));
    EXPECT_THAT(key, ::confidant::testing::IsOk());
    absl::StatusOr<std::unique_ptr<Witness>> witness =
        Witness::Create(std::move(config), *std::move(key));
    EXPECT_THAT(witness, ::confidant::testing::IsOk());
    return witness.ok() ? *std::move(witness) : nullptr;
  }

  // Pushes `log`'s current checkpoint with a proof from `old_size`.
  absl::StatusOr<std::string> Push(const ::confidant::testing::TestLog& log, uint64_t old_size) {
    return witness_->AddCheckpoint(old_size, log.Note(), log.ProofFrom(old_size), kNow);
  }

  std::string dir_;
  crypto::Ed25519KeyPair log_key_ = crypto::Ed25519KeyPair::Generate();
  crypto::Ed25519KeyPair witness_key_;
  std::unique_ptr<Witness> witness_;
  ::confidant::testing::TestLog log_{kOrigin, log_key_};
};

}  // namespace confidant::witness

#endif  // CONFIDANT_TESTS_WITNESS_WITNESS_FIXTURE_H_
