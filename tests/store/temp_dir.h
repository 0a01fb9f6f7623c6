// TempDir: a fresh mkdtemp directory under /tmp (mode 0700), removed with its contents on
// destruction. Not thread-safe; one per test.
#ifndef CONFIDANT_TESTS_STORE_TEMP_DIR_H_
#define CONFIDANT_TESTS_STORE_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace confidant::store {

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/confidant-store-test-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace confidant::store

#endif  // CONFIDANT_TESTS_STORE_TEMP_DIR_H_
