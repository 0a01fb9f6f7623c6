// A canary in every free-text field of a submitted record never reaches a byte on disk (data
// directory, WAL, SST, RocksDB LOG/MANIFEST/OPTIONS, identities, server log) in clear, hex or
// base64, while the record still reads back in clear through the service.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/canary_scanner.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kCanary[] = "CANARY-7f3a9c2e-DO-NOT-STORE";

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

TEST(CanaryScannerTest, NeedlesAreLongEnoughToMean) {
  for (const std::string& needle : CanaryNeedles(kCanary)) EXPECT_GE(needle.size(), 28u) << needle;
}

TEST(CanaryScannerTest, FindsCanaryInEveryEncodingAndAlignment) {
  char pattern[] = "/tmp/confidant-canary-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  const std::string hex = absl::BytesToHexString(kCanary);
  const std::vector<std::string> planted = {
      std::string("prefix ") + kCanary + " suffix",
      "\x01\x02" + hex + "\xff",
      "zz" + absl::AsciiStrToUpper(hex),
      absl::Base64Escape(std::string("{\"narrative\":\"") + kCanary + "\"}"),
      absl::Base64Escape(std::string("a") + kCanary + "b"),
      absl::Base64Escape(std::string("ab") + kCanary + "cde"),
      absl::WebSafeBase64Escape(std::string("\xfe\xff") + kCanary),
  };
  for (size_t i = 0; i < planted.size(); ++i) {
    const std::string file = dir + "/planted-" + std::to_string(i);
    WriteFile(file, "header bytes " + planted[i] + " trailer");
    EXPECT_THAT(FindCanary(dir, kCanary), ::testing::Not(IsEmpty())) << "missed " << planted[i];
    std::remove(file.c_str());
  }
  WriteFile(dir + "/clean", std::string("CANARY-7f3a9c2e-DO-NOT-STOR") + " nothing here");
  EXPECT_THAT(FindCanary(dir, kCanary), IsEmpty());
  std::remove((dir + "/clean").c_str());
  ::rmdir(dir.c_str());
}

TEST(CanaryTest, CanaryInEveryFreeTextFieldNeverReachesDisk) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::Start();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  absl::StatusOr<v1::SubmitRecordResponse> submitted =
      vault.ClientAs("visit_team")->Submit(SyntheticRecord(kCanary), "canary-submission-01");
  ASSERT_THAT(submitted, IsOk());

  // The plaintext comes back to those allowed to read it.
  v1::GetRecordRequest request;
  request.set_record_id(submitted->record_id());
  request.set_purpose(v1::FOLLOW_UP);
  absl::StatusOr<v1::GetRecordResponse> officer = vault.ClientAs("case_officer")->Get(request);
  ASSERT_THAT(officer, IsOk());
  EXPECT_THAT(officer->interview().narrative(), HasSubstr(kCanary));
  EXPECT_THAT(officer->identity().full_name(), HasSubstr(kCanary));
  EXPECT_THAT(officer->legal().proceedings(), HasSubstr(kCanary));
  request.set_purpose(v1::MEDICAL_REFERRAL);
  absl::StatusOr<v1::GetRecordResponse> reviewer = vault.ClientAs("health_reviewer")->Get(request);
  ASSERT_THAT(reviewer, IsOk());
  EXPECT_THAT(reviewer->health().needs(), HasSubstr(kCanary));
  EXPECT_THAT(reviewer->health().observations(), HasSubstr(kCanary));
  ASSERT_THAT(vault.ClientAs("case_officer")->List(v1::ListRecordsRequest()), IsOk());
  EXPECT_THAT(submitted->record_id(), ::testing::Not(HasSubstr(kCanary)));

  // While running (WAL and memtable), after a clean stop, and after a restart and stop (flushed
  // into SST files).
  EXPECT_THAT(FindCanary(vault.root(), kCanary), IsEmpty()) << "while running";
  vault.Stop();
  EXPECT_THAT(FindCanary(vault.root(), kCanary), IsEmpty()) << "after stop";
  ASSERT_THAT(vault.Restart(), IsOk());
  request.set_purpose(v1::FOLLOW_UP);
  officer = vault.ClientAs("case_officer")->Get(request);
  ASSERT_THAT(officer, IsOk());
  EXPECT_THAT(officer->interview().narrative(), HasSubstr(kCanary));
  vault.Stop();
  EXPECT_THAT(FindCanary(vault.root(), kCanary), IsEmpty()) << "after restart and stop";

  // The scan did cover the database and the log.
  const std::vector<std::string> files = FilesBelow(vault.root());
  auto has = [&](const std::string& part) {
    for (const std::string& f : files) {
      if (f.find(part) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("/data/MANIFEST-"));
  EXPECT_TRUE(has("/data/OPTIONS-"));
  EXPECT_TRUE(has("server.log"));
  EXPECT_TRUE(has("/identities/"));
}

}  // namespace
}  // namespace confidant::testing
