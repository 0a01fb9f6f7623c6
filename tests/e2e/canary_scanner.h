// Finds a canary string in every byte of a folder: in clear, lower and upper hex, and standard
// and web-safe base64 at the three byte alignments. Header-only, for e2e tests.
#ifndef CONFIDANT_TESTS_E2E_CANARY_SCANNER_H_
#define CONFIDANT_TESTS_E2E_CANARY_SCANNER_H_

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "tests/e2e/vault_process.h"

namespace confidant::testing {

// Every encoding of `canary` we look for. For base64, the edge characters that depend on the
// neighbouring bytes (the first group when the canary does not start a group, the last group
// always) are removed.
inline std::vector<std::string> CanaryNeedles(const std::string& canary) {
  const std::string hex = absl::BytesToHexString(canary);
  std::vector<std::string> needles = {canary, hex, absl::AsciiStrToUpper(hex)};
  for (int offset = 0; offset < 3; ++offset) {
    const std::string shifted = std::string(offset, 'x') + canary;
    for (const std::string& encoded :
         {absl::Base64Escape(shifted), absl::WebSafeBase64Escape(shifted)}) {
      const size_t begin = offset == 0 ? 0 : 4;
      needles.push_back(encoded.substr(begin, encoded.size() - begin - 4));
    }
  }
  return needles;
}

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// "file: encoding" for each file below `dir` holding any needle of `canary`.
inline std::vector<std::string> FindCanary(const std::string& dir, const std::string& canary) {
  const std::vector<std::string> needles = CanaryNeedles(canary);
  std::vector<std::string> found;
  for (const std::string& file : FilesBelow(dir)) {
    const std::string bytes = ReadWholeFile(file);
    for (const std::string& needle : needles) {
      if (bytes.find(needle) != std::string::npos) found.push_back(file + ": " + needle);
    }
  }
  return found;
}

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_CANARY_SCANNER_H_
