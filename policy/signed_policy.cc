#include "policy/signed_policy.h"

#include <set>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/bytes.h"

namespace confidant::policy {
namespace {

constexpr char kPolicyDomain[] = "confidant/v1/policy";
constexpr size_t kMaxNameLength = 64;

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// Strict base64: decodes, and the canonical re-encoding must equal the input.
bool DecodeBase64(const std::string& text, std::string* out) {
  return absl::Base64Unescape(text, out) && absl::Base64Escape(*out) == text;
}

// A significant line: its 1-based number and its two fields.
struct Line {
  int number = 0;
  std::string first, second;
};

// Splits `text` into significant lines; lines that are not two fields go to `malformed`.
std::vector<Line> SignificantLines(std::string_view text, std::vector<int>& malformed) {
  std::vector<Line> lines;
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(std::string(text), '\n')) {
    ++number;
    const absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() != 2) {
      malformed.push_back(number);
      continue;
    }
    lines.push_back({number, fields[0], fields[1]});
  }
  return lines;
}

void AddKey(const Line& line, GovernanceKeys& keys, std::set<std::string>& seen_keys,
            std::vector<std::string>& errors) {
  const std::string at = absl::StrCat("line ", line.number, ": ");
  std::string key;
  if (!ValidName(line.first)) {
    errors.push_back(at + "key name must be 1 to 64 of [A-Za-z0-9._-]");
  } else if (!DecodeBase64(line.second, &key) || key.size() != crypto::kEd25519PublicKeySize) {
    errors.push_back(at + "key must be the base64 of a 32-byte Ed25519 public key");
  } else if (!keys.public_keys.emplace(line.first, key).second) {
    errors.push_back(at + "key name " + line.first + " is listed twice");
  } else if (!seen_keys.insert(key).second) {
    errors.push_back(at + "key " + line.first + " repeats another name's key");
  }
}

}  // namespace

absl::StatusOr<GovernanceKeys> GovernanceKeys::FromText(std::string_view text) {
  GovernanceKeys keys;
  std::vector<std::string> errors;
  std::vector<int> malformed;
  std::set<std::string> seen_keys;
  int threshold_line = 0;
  for (const Line& line : SignificantLines(text, malformed)) {
    if (line.first != "threshold") {
      AddKey(line, keys, seen_keys, errors);
      continue;
    }
    if (threshold_line != 0) {
      errors.push_back(absl::StrCat("line ", line.number, ": threshold is given twice"));
      continue;
    }
    threshold_line = line.number;
    if (!absl::SimpleAtoi(line.second, &keys.threshold)) {
      errors.push_back(absl::StrCat("line ", line.number, ": threshold must be a number"));
    }
  }
  for (int n : malformed) {
    errors.push_back(absl::StrCat("line ", n, ": want \"NAME BASE64KEY\" or \"threshold K\""));
  }
  if (threshold_line == 0) {
    errors.push_back("no threshold line");
  } else if (keys.threshold < 1 || keys.threshold > keys.public_keys.size()) {
    errors.push_back(absl::StrCat("line ", threshold_line, ": threshold must be between 1 and ",
                                  keys.public_keys.size(), " (the number of keys)"));
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return keys;
}

std::string GovernanceKeys::ToText() const {
  std::string out = absl::StrCat("threshold ", threshold, "\n");
  for (const auto& [name, key] : public_keys) {
    absl::StrAppend(&out, name, " ", absl::Base64Escape(key), "\n");
  }
  return out;
}

std::string PolicySigningMessage(std::string_view policy_text) {
  std::string message = DomainTag(kPolicyDomain);
  AppendLengthPrefixed(message, policy_text);
  return message;
}

std::string SignPolicy(std::string_view policy_text, std::string_view name,
                       const crypto::Ed25519KeyPair& key) {
  const std::string signature = crypto::Sign(key, PolicySigningMessage(policy_text));
  return absl::StrCat(std::string(name), " ", absl::Base64Escape(signature), "\n");
}

absl::StatusOr<Policy> VerifySignedPolicy(std::string_view policy_text,
                                          std::string_view signatures_text,
                                          const GovernanceKeys& keys, uint64_t min_version) {
  if (policy_text.size() > UINT32_MAX) return absl::InvalidArgumentError("policy is too large");
  std::vector<int> malformed;
  const std::vector<Line> lines = SignificantLines(signatures_text, malformed);
  if (!malformed.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("signatures line ", malformed.front(), ": want \"NAME BASE64SIGNATURE\""));
  }
  const std::string message = PolicySigningMessage(policy_text);
  std::set<std::string> signers;
  for (const Line& line : lines) {
    std::string signature;
    if (!DecodeBase64(line.second, &signature)) {
      return absl::InvalidArgumentError(
          absl::StrCat("signatures line ", line.number, ": signature is not canonical base64"));
    }
    auto key = keys.public_keys.find(line.first);
    if (key == keys.public_keys.end()) continue;  // not a governance key: ignored
    if (crypto::VerifySignature(key->second, message, signature).ok()) signers.insert(line.first);
  }
  if (keys.threshold == 0 || signers.size() < keys.threshold) {
    return absl::PermissionDeniedError(absl::StrCat(
        "policy has ", signers.size(), " of ", keys.threshold, " required governance signatures"));
  }
  absl::StatusOr<Policy> policy = Policy::FromText(policy_text);
  if (!policy.ok()) return policy.status();
  if (policy->version() < min_version) {
    return absl::FailedPreconditionError(absl::StrCat("policy version ", policy->version(),
                                                      " is older than the version in force (",
                                                      min_version, ")"));
  }
  return policy;
}

}  // namespace confidant::policy
