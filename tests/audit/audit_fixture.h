// Shared set-up for the audit log tests: a real RocksDB store in a fresh /tmp folder, fresh
// audit and checkpoint keys, an injected microsecond clock, and helpers to read what is stored.
// Not thread-safe except for the clock (an atomic) and the log itself.
#ifndef CONFIDANT_TESTS_AUDIT_AUDIT_FIXTURE_H_
#define CONFIDANT_TESTS_AUDIT_AUDIT_FIXTURE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "confidant/v1/audit.pb.h"
#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "crypto/merkle.h"
#include "crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/audit/audit_log.h"
#include "server/store/rocksdb_store.h"
#include "server/store/storage.pb.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::audit {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;

// 2027-01-15T08:00:00Z: any fixed time well after the epoch.
inline constexpr int64_t kStartMicros = 1'800'000'000'000'000;

// An event as the services write one; `n` makes it distinct.
inline v1::AuditEvent TestEvent(int n, const std::string& text = "synthetic") {
  v1::AuditEvent event;
  event.set_principal("spiffe://confidant.example/role/case_officer");
  event.set_role("case_officer");
  event.set_action("get_record");
  event.add_record_ids("rec-" + std::to_string(n));
  event.add_sections_disclosed(v1::IDENTITY);
  event.set_purpose(v1::FOLLOW_UP);
  event.set_reason(text + " reason " + std::to_string(n));
  event.set_decision(v1::ALLOW);
  event.set_rule("allow:case_officer/follow_up");
  event.set_status_code("OK");
  event.set_request_id("req-" + std::to_string(n));
  event.set_client_address("ipv4:127.0.0.1:40000");
  event.set_detail(text + " detail");
  return event;
}

class AuditLogTest : public ::testing::Test {
 protected:
  AuditLogTest()
      : audit_key_(crypto::SecretBytes::Random(32)),
        checkpoint_key_(
            std::make_shared<const crypto::Ed25519KeyPair>(crypto::Ed25519KeyPair::Generate())) {}

  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    ReopenStore();
    ASSERT_NE(store_, nullptr);
    OpenLog();
    ASSERT_NE(log_, nullptr);
  }

  AuditLog::MicrosClock Clock() {
    return [this] { return now_micros_.load(); };
  }

  // Closes the log and the store, and opens the store again over the same folder.
  void ReopenStore() {
    log_.reset();
    store_.reset();
    absl::StatusOr<std::unique_ptr<store::RocksDbStore>> opened =
        store::RocksDbStore::Open(dir_.path() + "/db");
    ASSERT_THAT(opened, IsOk());
    store_ = *std::move(opened);
  }

  absl::StatusOr<std::unique_ptr<AuditLog>> TryOpenLog() {
    return AuditLog::Open(*store_, audit_key_, checkpoint_key_, Clock());
  }

  void OpenLog() {
    log_.reset();
    absl::StatusOr<std::unique_ptr<AuditLog>> log = TryOpenLog();
    ASSERT_THAT(log, IsOk());
    log_ = *std::move(log);
  }

  // Appends `count` test events one by one, advancing the clock 1 ms each; returns indices.
  std::vector<uint64_t> AppendMany(int count) {
    std::vector<uint64_t> indices;
    for (int i = 0; i < count; ++i) {
      now_micros_ += 1000;
      absl::StatusOr<AuditLog::Committed> committed = log_->Append(TestEvent(i));
      EXPECT_THAT(committed, IsOk());
      if (committed.ok()) indices.push_back(committed->index);
    }
    return indices;
  }

  // Stored leaf bytes, in key order.
  std::vector<std::string> StoredLeaves() {
    std::vector<std::string> leaves;
    EXPECT_THAT(store_->Scan(store::Space::kAudit, "L",
                             [&](std::string_view, std::string_view value) {
                               leaves.emplace_back(value);
                               return true;
                             }),
                IsOk());
    return leaves;
  }

  storage::v1::AuditHead StoredHead() {
    storage::v1::AuditHead head;
    absl::StatusOr<std::optional<std::string>> bytes = store_->Get(store::Space::kMeta, "audit/head");
    EXPECT_THAT(bytes, IsOk());
    if (bytes.ok() && bytes->has_value()) {
      EXPECT_TRUE(head.ParseFromString(**bytes));
    }
    return head;
  }

  void Put(store::Space space, const std::string& key, const std::string& value) {
    store::Mutation m;
    m.Put(space, key, value);
    ASSERT_THAT(store_->Commit(m), IsOk());
  }
  void Delete(store::Space space, const std::string& key) {
    store::Mutation m;
    m.Delete(space, key);
    ASSERT_THAT(store_->Commit(m), IsOk());
  }

  store::TempDir dir_;
  crypto::SecretBytes audit_key_;
  std::shared_ptr<const crypto::Ed25519KeyPair> checkpoint_key_;
  std::atomic<int64_t> now_micros_{kStartMicros};
  std::unique_ptr<store::RocksDbStore> store_;
  std::unique_ptr<AuditLog> log_;
};

}  // namespace confidant::audit

#endif  // CONFIDANT_TESTS_AUDIT_AUDIT_FIXTURE_H_
