// RocksDbStore::Open: the data directory's permissions, the process lock, and the RocksDB
// options that keep deleted data from lingering in WAL files.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/rocksdb_store.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::store {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::AnyOf;
using ::testing::HasSubstr;

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Sets the process umask for the lifetime of the object.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(umask(mask)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

TEST(RocksDbStoreOpenTest, OpenCreatesAMissingDirectoryWithMode0700) {
  TempDir tmp;
  const std::string directory = tmp.path() + "/data";
  ScopedUmask usual_umask(022);  // the common default; the store must not depend on it
  absl::StatusOr<std::unique_ptr<RocksDbStore>> store = RocksDbStore::Open(directory);
  EXPECT_THAT(store, IsOk());
  ASSERT_TRUE(std::filesystem::is_directory(directory));
  EXPECT_EQ(ModeOf(directory), 0700u) << std::oct << ModeOf(directory);
}

TEST(RocksDbStoreOpenTest, OpenCreatesMissingParentsAndTheDirectoryIs0700) {
  TempDir tmp;
  const std::string directory = tmp.path() + "/a/b/data";
  ScopedUmask usual_umask(022);
  EXPECT_THAT(RocksDbStore::Open(directory), IsOk());
  ASSERT_TRUE(std::filesystem::is_directory(directory));
  EXPECT_EQ(ModeOf(directory), 0700u) << std::oct << ModeOf(directory);
}

TEST(RocksDbStoreOpenTest, OpenUsesAnExisting0700Directory) {
  TempDir tmp;  // mkdtemp makes it 0700
  ASSERT_EQ(ModeOf(tmp.path()), 0700u);
  EXPECT_THAT(RocksDbStore::Open(tmp.path()), IsOk());
  EXPECT_EQ(ModeOf(tmp.path()), 0700u);
}

class OpenRefusesModeTest : public ::testing::TestWithParam<mode_t> {};

TEST_P(OpenRefusesModeTest, DirectoryAccessibleToGroupOrOthersIsRefused) {
  TempDir tmp;
  ASSERT_EQ(chmod(tmp.path().c_str(), GetParam()), 0);
  EXPECT_THAT(RocksDbStore::Open(tmp.path()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("chmod 700")));
  // Nothing was written into the refused directory.
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
}

INSTANTIATE_TEST_SUITE_P(Modes, OpenRefusesModeTest,
                         ::testing::Values(0755, 0750, 0705, 0701, 0710, 0777));

TEST(RocksDbStoreOpenTest, SecondOpenWhileFirstIsOpenFailsUnavailable) {
  TempDir tmp;
  absl::StatusOr<std::unique_ptr<RocksDbStore>> first = RocksDbStore::Open(tmp.path());
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<std::unique_ptr<RocksDbStore>> second = RocksDbStore::Open(tmp.path());
  EXPECT_FALSE(second.ok());
  // The header promises UNAVAILABLE for a locked database.
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("LOCK")));
  // Once the first is closed the directory opens again.
  first->reset();
  EXPECT_THAT(RocksDbStore::Open(tmp.path()), IsOk());
}

// The text of the newest OPTIONS-* file in `directory`, or "" if none.
std::string NewestOptionsFile(const std::string& directory) {
  std::string newest;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("OPTIONS-", 0) == 0 && name.find(".dbtmp") == std::string::npos &&
        (newest.empty() || name.size() > newest.size() ||
         (name.size() == newest.size() && name > newest))) {
      newest = name;
    }
  }
  if (newest.empty()) return "";
  std::ifstream in(directory + "/" + newest);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RocksDbStoreOpenTest, OptionsFileShowsNoRecycledOrArchivedWal) {
  TempDir tmp;
  absl::StatusOr<std::unique_ptr<RocksDbStore>> store = RocksDbStore::Open(tmp.path());
  ASSERT_THAT(store, IsOk());
  Mutation m;
  m.Put(Space::kMeta, "k", "v");
  ASSERT_THAT((*store)->Commit(m), IsOk());
  ASSERT_THAT((*store)->Flush(), IsOk());
  const std::string options = NewestOptionsFile(tmp.path());
  ASSERT_FALSE(options.empty()) << "no OPTIONS-* file in " << tmp.path();
  EXPECT_THAT(options, HasSubstr("recycle_log_file_num=0\n"));
  EXPECT_THAT(options, HasSubstr("WAL_ttl_seconds=0\n"));
  EXPECT_THAT(options, HasSubstr("WAL_size_limit_MB=0\n"));
  EXPECT_THAT(options, HasSubstr("paranoid_checks=true\n"));
  // One column family per space.
  for (Space space : kAllSpaces) {
    EXPECT_THAT(options, HasSubstr("[CFOptions \"" + std::string(SpaceName(space)) + "\"]"));
  }
  // No archived WAL files.
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/archive") &&
               !std::filesystem::is_empty(tmp.path() + "/archive"));
}

TEST(RocksDbStoreOpenTest, SpaceNamesAreDistinct) {
  std::vector<std::string> names;
  for (Space space : kAllSpaces) names.emplace_back(SpaceName(space));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  EXPECT_THAT(names, ::testing::Not(::testing::Contains(AnyOf("unknown", "default"))));
}

}  // namespace
}  // namespace confidant::store
