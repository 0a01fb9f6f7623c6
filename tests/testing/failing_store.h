// FailingStore: a KvStore that wraps a real one (e.g. RocksDbStore) and forwards every call,
// except that while armed with FailCommits(true) each Commit returns UNAVAILABLE without
// writing anything. Not a mock: reads and successful writes go to the wrapped store. For tests
// of fail-closed behaviour (a disk that stops accepting writes).
//
// Thread-safe if the wrapped store is: the switch is an atomic, and calls are forwarded as is.
#ifndef CONFIDANT_TESTS_TESTING_FAILING_STORE_H_
#define CONFIDANT_TESTS_TESTING_FAILING_STORE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/store/kv_store.h"

namespace confidant::testing {

class FailingStore : public store::KvStore {
 public:
  // Takes ownership of `inner`, which must not be null.
  explicit FailingStore(std::unique_ptr<store::KvStore> inner) : inner_(std::move(inner)) {}
  FailingStore(const FailingStore&) = delete;
  FailingStore& operator=(const FailingStore&) = delete;

  // While `fail` is true, Commit returns UNAVAILABLE and writes nothing.
  void FailCommits(bool fail) { fail_commits_.store(fail); }
  // How many commits were refused since construction.
  int refused_commits() const { return refused_commits_.load(); }

  store::KvStore& inner() { return *inner_; }

  absl::StatusOr<std::optional<std::string>> Get(store::Space space,
                                                 std::string_view key) const override {
    return inner_->Get(space, key);
  }

  absl::Status Scan(store::Space space, std::string_view prefix,
                    const std::function<bool(std::string_view, std::string_view)>& visit)
      const override {
    return inner_->Scan(space, prefix, visit);
  }

  absl::Status ScanSnapshot(
      const std::function<bool(store::Space, std::string_view, std::string_view)>& visit)
      const override {
    return inner_->ScanSnapshot(visit);
  }

  absl::Status Commit(const store::Mutation& mutation) override {
    if (fail_commits_.load()) {
      refused_commits_.fetch_add(1);
      return absl::UnavailableError("injected write failure");
    }
    return inner_->Commit(mutation);
  }

  absl::Status CompactRange(store::Space space, std::string_view first,
                            std::string_view last) override {
    return inner_->CompactRange(space, first, last);
  }

 private:
  std::unique_ptr<store::KvStore> inner_;
  std::atomic<bool> fail_commits_{false};
  std::atomic<int> refused_commits_{0};
};

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_TESTING_FAILING_STORE_H_
