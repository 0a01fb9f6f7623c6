// An identity folder others can write, or a client.key others can read, is refused before
// anything in it is used (base/private_folder.h, client/identity.h).
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "base/files.h"
#include "client/identity.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::client {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class IdentityFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("identity-folder-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
    // Not real certificates: the rules are checked before anything is parsed, so a folder
    // that passes them fails later, on the certificate, with another code.
    for (const char* name : {"ca.crt", "client.crt", "vault.pub"}) {
      ASSERT_THAT(WriteFileAtomically(dir_ + "/" + name, "x", 0644), IsOk());
    }
    ASSERT_THAT(WriteFileAtomically(dir_ + "/client.key", "x", 0600), IsOk());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  absl::Status Load() { return ClientIdentity::Load(dir_).status(); }

  std::string dir_;
};

TEST_F(IdentityFolderTest, APrivateFolderPassesTheRules) {
  EXPECT_THAT(Load(), Not(StatusIs(absl::StatusCode::kFailedPrecondition)));
}

TEST_F(IdentityFolderTest, AFolderOthersCanWriteIsRefused) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0770), 0);
  EXPECT_THAT(Load(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr("changed by other users"),
                                     HasSubstr("chmod go-w " + dir_))));
  ASSERT_EQ(::chmod(dir_.c_str(), 0757), 0);
  EXPECT_THAT(Load(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(IdentityFolderTest, APinnedKeyOrKeptStateOthersCanWriteIsRefused) {
  for (const char* name : {"vault.pub", "ca.crt", "client.crt"}) {
    const std::string path = dir_ + "/" + name;
    ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
    EXPECT_THAT(Load(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(path)))
        << name;
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  }
  ASSERT_THAT(WriteFileAtomically(dir_ + "/intake-key", "x", 0620), IsOk());
  ASSERT_EQ(::chmod((dir_ + "/intake-key").c_str(), 0620), 0);
  EXPECT_THAT(Load(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("intake-key")));
  ASSERT_EQ(::chmod((dir_ + "/intake-key").c_str(), 0600), 0);
  ASSERT_EQ(::mkdir((dir_ + "/outbox").c_str(), 0700), 0);
  ASSERT_EQ(::chmod((dir_ + "/outbox").c_str(), 0733), 0);
  EXPECT_THAT(Load(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("outbox")));
}

TEST_F(IdentityFolderTest, AClientKeyOthersCanReadIsRefused) {
  const std::string key = dir_ + "/client.key";
  ASSERT_EQ(::chmod(key.c_str(), 0640), 0);
  EXPECT_THAT(Load(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr("read by other users"),
                                     HasSubstr("chmod 600 " + key))));
  ASSERT_EQ(::chmod(key.c_str(), 0604), 0);
  EXPECT_THAT(Load(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// A file in the folder must be the file itself: a symbolic link is refused whatever it leads
// to (found in review: links to a readable key, and links switched between check and read).
// The folder itself may be a link, and the rules apply to the folder it leads to.
TEST_F(IdentityFolderTest, AFileThatIsALinkIsRefusedAndALinkedFolderIsCheckedWhereItLeads) {
  const std::string outside = dir_ + "-outside";
  std::filesystem::remove_all(outside);
  ASSERT_EQ(::mkdir(outside.c_str(), 0700), 0);
  ASSERT_THAT(WriteFileAtomically(outside + "/key", "x", 0600), IsOk());
  std::filesystem::remove(dir_ + "/client.key");
  std::filesystem::create_symlink(outside + "/key", dir_ + "/client.key");
  EXPECT_THAT(Load(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr("client.key"), HasSubstr("symbolic link"))));
  std::filesystem::remove(dir_ + "/client.key");
  ASSERT_THAT(WriteFileAtomically(dir_ + "/client.key", "x", 0600), IsOk());

  const std::string link = dir_ + "-link";
  std::filesystem::remove(link);
  std::filesystem::create_symlink(dir_, link);
  EXPECT_THAT(ClientIdentity::Load(link).status(),
              Not(StatusIs(absl::StatusCode::kFailedPrecondition)));
  std::filesystem::remove(link);
  std::filesystem::create_symlink(outside, link);
  ASSERT_EQ(::chmod(outside.c_str(), 0777), 0);
  EXPECT_THAT(ClientIdentity::Load(link).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("changed by other")));
  std::filesystem::remove(link);
  std::filesystem::remove_all(outside);
}

}  // namespace
}  // namespace confidant::client
