// `confidant audit export` / `audit verify --offline` against a real confidantd (docs/ARCHITECTURE.md "Audit
// log", threat 5): an export verifies with nothing but the pinned vault.pub; editing, deleting,
// reordering, truncating or extending it is caught and the first bad entry named; it holds no
// plaintext; and the real CLI behaves the same.
#include "client/audit_export.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "client/log_client.h"
#include "crypto/asymmetric.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/canary_scanner.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr char kCanary[] = "CANARY-5b81e0d4-NOT-IN-EXPORT";

struct Entry {
  std::string leaf;
  std::string note;  // the signed checkpoint committed with the leaf, or ""
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// leaves.bin: per entry lp(leaf) lp(note), lp = u32 big-endian length.
std::vector<Entry> ReadLeaves(const std::string& dir) {
  const std::string bytes = ReadAll(dir + "/leaves.bin");
  std::vector<Entry> entries;
  size_t at = 0;
  auto next = [&](std::string& out) {
    if (bytes.size() - at < 4) return false;
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>(bytes[at + i]);
    if (bytes.size() - at - 4 < n) return false;
    out = bytes.substr(at + 4, n);
    at += 4 + n;
    return true;
  };
  Entry e;
  while (at < bytes.size() && next(e.leaf) && next(e.note)) entries.push_back(e);
  EXPECT_EQ(at, bytes.size()) << "leaves.bin does not parse";
  return entries;
}

void WriteLeaves(const std::string& dir, const std::vector<Entry>& entries) {
  std::string bytes;
  auto put = [&](const std::string& s) {
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes.push_back(static_cast<char>(s.size() >> shift));
    bytes += s;
  };
  for (const Entry& e : entries) {
    put(e.leaf);
    put(e.note);
  }
  WriteAll(dir + "/leaves.bin", bytes);
}


class AuditExportTest : public ::testing::Test {
 protected:
  // One vault for the suite: 3 records, 3 reads, then one export every tamper case copies.
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    if (!vault.ok()) return;
    vault_ = vault->release();
    tmp_ = vault_->root() + "/audit-export-test";
    fs::create_directories(tmp_);
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<v1::SubmitRecordResponse> receipt =
          vault_->ClientAs("visit_team")
              ->Submit(SyntheticRecord("exported"), absl::StrCat("audit-export-", i, "-0001"));
      if (!receipt.ok()) return;
      v1::GetRecordRequest get;
      get.set_record_id(receipt->record_id());
      get.set_purpose(v1::FOLLOW_UP);
      if (!vault_->ClientAs("case_officer")->Get(get).ok()) return;
    }
    export_ok_ = Export(tmp_ + "/export").ok();
  }

  static void TearDownTestSuite() {
    delete vault_;
    vault_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(vault_, nullptr) << "the vault did not start";
    ASSERT_TRUE(export_ok_) << "the suite's setup failed";
  }

  static std::unique_ptr<client::LogClient> AuditorLog(const std::string& state) {
    std::unique_ptr<client::VaultClient> c = vault_->ClientAs("auditor");
    return std::make_unique<client::LogClient>(c->channel(), c->identity(), state);
  }

  static absl::Status Export(const std::string& dir) {
    std::ostringstream out, progress;
    return client::AuditExportCommand(*AuditorLog(""), dir, out, progress);
  }

  // A fresh copy of the suite's export, to tamper with; `edit` (if any) edits its entries.
  static std::string CopyOfExport(const std::string& name,
                                  const std::function<void(std::vector<Entry>&)>& edit = nullptr) {
    const std::string dir = tmp_ + "/" + name;
    fs::remove_all(dir);
    fs::copy(tmp_ + "/export", dir, fs::copy_options::recursive);
    if (edit != nullptr) {
      std::vector<Entry> entries = ReadLeaves(dir);
      edit(entries);
      WriteLeaves(dir, entries);
    }
    return dir;
  }

  static absl::Status VerifyOffline(const std::string& dir, std::string* out = nullptr,
                                    const std::string& identity_dir = "") {
    absl::StatusOr<client::ClientIdentity> identity = client::ClientIdentity::Load(
        identity_dir.empty() ? vault_->identity_dir("auditor") : identity_dir);
    if (!identity.ok()) return identity.status();
    std::ostringstream lines, progress;
    absl::Status status = client::AuditVerifyOfflineCommand(*identity, dir, {}, lines, progress);
    if (out != nullptr) *out = lines.str();
    return status;
  }

  // An entry k (not first, not among the last two) whose group commit held it alone, so an
  // alteration is pinned to exactly it by the checkpoints around it.
  static size_t AloneInItsCommit() {
    const std::vector<Entry> entries = ReadLeaves(tmp_ + "/export");
    for (size_t k = entries.size() / 2; k >= 1; --k) {
      if (k + 2 < entries.size() && !entries[k - 1].note.empty() && !entries[k].note.empty())
        return k;
    }
    ADD_FAILURE() << "no entry committed on its own";
    return 1;
  }

  static inline VaultProcess* vault_ = nullptr;
  static inline std::string tmp_;
  static inline bool export_ok_ = false;
};

TEST_F(AuditExportTest, ExportVerifiesOfflineWithOnlyTheVaultKey) {
  const std::vector<Entry> entries = ReadLeaves(tmp_ + "/export");
  ASSERT_GE(entries.size(), 6u);  // at least 3 submissions and 3 reads
  std::string out;
  EXPECT_THAT(VerifyOffline(tmp_ + "/export", &out), IsOk());
  EXPECT_THAT(out, StartsWith(absl::StrCat("verified ", entries.size(), " entries up to root ")));
}

TEST_F(AuditExportTest, FlippedCiphertextByteNamesTheEntry) {
  const size_t k = AloneInItsCommit();
  // A leaf ends in its encrypted body.
  const std::string dir = CopyOfExport("flipped", [&](auto& e) { e[k].leaf.back() ^= 0x01; });
  std::string out;
  EXPECT_THAT(VerifyOffline(dir, &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(absl::StrCat("entry ", k, " "))));
  EXPECT_THAT(out, HasSubstr("NOT verified"));
}

TEST_F(AuditExportTest, DeletedEntryIsNamed) {
  const size_t k = AloneInItsCommit();
  const std::string dir = CopyOfExport("deleted", [&](auto& e) { e.erase(e.begin() + k); });
  EXPECT_THAT(VerifyOffline(dir), StatusIs(absl::StatusCode::kDataLoss,
                                           HasSubstr(absl::StrCat("entry ", k, " is missing"))));
}

TEST_F(AuditExportTest, SwappedEntriesNameTheFirst) {
  const size_t k = AloneInItsCommit();
  const std::string dir = CopyOfExport("swapped", [&](auto& e) { std::swap(e[k], e[k + 1]); });
  EXPECT_THAT(VerifyOffline(dir),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(absl::StrCat("entry ", k, " "))));
}

TEST_F(AuditExportTest, TruncatedExportNamesTheFirstMissingEntry) {
  const size_t n = ReadLeaves(tmp_ + "/export").size();
  const std::string dir = CopyOfExport("truncated", [&](auto& e) { e.resize(n - 2); });
  EXPECT_THAT(VerifyOffline(dir),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(absl::StrCat("entry ", n - 2, " is missing"))));
}

TEST_F(AuditExportTest, EntryCutShortIsNamed) {
  const std::string dir = CopyOfExport("cut");
  const size_t n = ReadLeaves(dir).size();
  const std::string bytes = ReadAll(dir + "/leaves.bin");
  WriteAll(dir + "/leaves.bin", bytes.substr(0, bytes.size() - 3));
  EXPECT_THAT(VerifyOffline(dir),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(absl::StrCat("entry ", n - 1, " is truncated"))));
}

TEST_F(AuditExportTest, AppendedEntryIsNotCoveredByTheCheckpoint) {
  const std::string dir = CopyOfExport("appended", [](auto& e) { e.push_back(e.back()); });
  EXPECT_THAT(VerifyOffline(dir), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not covered")));
}

TEST_F(AuditExportTest, AlteredCheckpointNoteFails) {
  const std::string dir = CopyOfExport("note");
  v1::GetCheckpointResponse saved;
  ASSERT_TRUE(saved.ParseFromString(ReadAll(dir + "/checkpoint.binpb")));
  std::string note = saved.checkpoint().note();
  const size_t root_line = note.find('\n', note.find('\n') + 1) + 1;  // origin, size, root
  ASSERT_LT(root_line, note.size());
  note[root_line] = note[root_line] == 'A' ? 'B' : 'A';
  saved.mutable_checkpoint()->set_note(note);
  WriteAll(dir + "/checkpoint.binpb", saved.SerializeAsString());
  EXPECT_THAT(VerifyOffline(dir), AnyOf(StatusIs(absl::StatusCode::kUnauthenticated),
                                        StatusIs(absl::StatusCode::kInvalidArgument)));
}

TEST_F(AuditExportTest, ExportFailsAgainstAnotherVaultKey) {
  const std::string other = tmp_ + "/other-identity";
  fs::remove_all(other);
  fs::copy(vault_->identity_dir("auditor"), other, fs::copy_options::recursive);
  WriteAll(other + "/vault.pub",
           absl::Base64Escape(crypto::Ed25519KeyPair::Generate().public_key) + "\n");
  EXPECT_THAT(VerifyOffline(tmp_ + "/export", nullptr, other),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuditExportTest, OnlineVerifyKeepsItsCheckpointAndChecksConsistencyNextTime) {
  const std::string state = tmp_ + "/online-verified";
  std::ostringstream out, progress;
  ASSERT_THAT(client::AuditVerifyCommand(*AuditorLog(state), {}, out, progress), IsOk());
  EXPECT_THAT(out.str(), StartsWith("verified "));
  const absl::StatusOr<std::string> first = ReadFile(state);
  ASSERT_THAT(first, IsOk());
  // The log grows; the second verify checks a consistency proof from the kept checkpoint.
  ASSERT_THAT(vault_->ClientAs("case_officer")->List(v1::ListRecordsRequest()), IsOk());
  std::ostringstream again;
  ASSERT_THAT(client::AuditVerifyCommand(*AuditorLog(state), {}, again, progress), IsOk());
  EXPECT_THAT(again.str(), StartsWith("verified "));
  const absl::StatusOr<std::string> second = ReadFile(state);
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(*first, *second);
  // A kept checkpoint the log does not extend (its root altered) stops the next verify.
  std::string forged = *second;
  const size_t root_line = forged.find('\n', forged.find('\n') + 1) + 1;
  forged[root_line] = forged[root_line] == 'A' ? 'B' : 'A';
  ASSERT_THAT(WriteFileAtomically(state, forged, 0600), IsOk());
  EXPECT_THAT(client::AuditVerifyCommand(*AuditorLog(state), {}, again, progress),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("fork")));
}

TEST_F(AuditExportTest, ExportHoldsNoPlaintext) {
  absl::StatusOr<v1::SubmitRecordResponse> receipt =
      vault_->ClientAs("visit_team")->Submit(SyntheticRecord(kCanary), "audit-export-canary-01");
  ASSERT_THAT(receipt, IsOk());
  v1::GetRecordRequest get;
  get.set_record_id(receipt->record_id());
  get.set_purpose(v1::FOLLOW_UP);
  get.set_reason(std::string("reason ") + kCanary);
  ASSERT_THAT(vault_->ClientAs("case_officer")->Get(get), IsOk());
  const std::string dir = tmp_ + "/canary-export";
  ASSERT_THAT(Export(dir), IsOk());
  ASSERT_THAT(VerifyOffline(dir), IsOk());

  std::vector<std::string> found;
  for (const std::string& file : FilesBelow(dir)) {
    const std::string bytes = ReadAll(file);
    for (const std::string& needle : CanaryNeedles(kCanary)) {
      if (bytes.find(needle) != std::string::npos) found.push_back(file + ": " + needle);
    }
  }
  EXPECT_THAT(found, IsEmpty());
  EXPECT_THAT(ReadAll(dir + "/leaves.bin"), ::testing::Not(HasSubstr(receipt->record_id())));
}

TEST_F(AuditExportTest, CliVerifiesOnlineAndRejectsTamperedExportOffline) {
  const std::string identity = vault_->identity_dir("auditor");
  CommandResult online = RunCommand({CONFIDANT_CLI_PATH, "--identity", identity, "--server",
                                     vault_->address(), "audit", "verify"});
  EXPECT_EQ(online.exit_code, 0) << online.err;
  std::string last = std::string(absl::StripTrailingAsciiWhitespace(online.out));
  last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
  EXPECT_THAT(last, StartsWith("verified "));

  const size_t k = AloneInItsCommit();
  const std::string dir = CopyOfExport("cli-deleted", [&](auto& e) { e.erase(e.begin() + k); });
  CommandResult offline =
      RunCommand({CONFIDANT_CLI_PATH, "--identity", identity, "audit", "verify", "--offline", dir});
  EXPECT_NE(offline.exit_code, 0);
  EXPECT_THAT(offline.out + offline.err, HasSubstr(absl::StrCat("entry ", k, " is missing")));
  CommandResult intact = RunCommand({CONFIDANT_CLI_PATH, "--identity", identity, "audit", "verify",
                                     "--offline", tmp_ + "/export"});
  EXPECT_EQ(intact.exit_code, 0) << intact.out << intact.err;
}

}  // namespace
}  // namespace confidant::testing
