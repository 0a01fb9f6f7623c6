#include "crypto/signed_note.h"

#include <openssl/sha.h>
#include <sodium.h>

#include <charconv>
#include <vector>

#include "base/bytes.h"
#include "base/status_macros.h"

namespace confidant::crypto {
namespace {

constexpr std::string_view kDash = "\xE2\x80\x94 ";  // U+2014 EM DASH, then a space
constexpr uint8_t kEd25519Type = 0x01;
constexpr uint8_t kCosignatureType = 0x04;

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

bool FromBase64(std::string_view text, std::string& out) {
  out.assign(text.size(), '\0');
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return false;
  }
  out.resize(length);
  return true;
}

std::string KeyId(std::string_view name, uint8_t type, std::string_view public_key) {
  std::string input(name);
  input.push_back('\n');
  input.push_back(static_cast<char>(type));
  input.append(public_key);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), 4);
}

bool ParseUint(std::string_view text, uint64_t& value) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

std::string CosignedMessage(uint64_t time, std::string_view body) {
  return "cosignature/v1\ntime " + std::to_string(time) + "\n" + std::string(body);
}

// The decoded payloads of the signature lines named `name` whose key id matches.
std::vector<std::string> PayloadsFor(const SplitNote& note, std::string_view name,
                                     std::string_view key_id) {
  std::vector<std::string> out;
  for (const std::string& line : note.signature_lines) {
    const size_t space = line.rfind(' ');
    if (space == std::string::npos || std::string_view(line).substr(0, space) != name) continue;
    std::string payload;
    if (FromBase64(std::string_view(line).substr(space + 1), payload) && payload.size() > 4 &&
        payload.compare(0, 4, key_id) == 0) {
      out.push_back(payload.substr(4));
    }
  }
  return out;
}

}  // namespace

std::string FormatCheckpointBody(const CheckpointBody& body) {
  return body.origin + "\n" + std::to_string(body.tree_size) + "\n" +
         Base64(std::string_view(reinterpret_cast<const char*>(body.root.data()), body.root.size())) +
         "\ntime " + std::to_string(body.time_unix_seconds) + "\n";
}

absl::StatusOr<CheckpointBody> ParseCheckpointBody(std::string_view text) {
  const absl::Status bad = absl::InvalidArgumentError("not a checkpoint body");
  if (text.empty() || text.back() != '\n') return bad;
  const std::vector<std::string_view> lines = Lines(text);
  if (lines.size() != 4 || lines[0].empty() || lines[3].substr(0, 5) != "time ") return bad;
  CheckpointBody body;
  body.origin = std::string(lines[0]);
  uint64_t time = 0;
  std::string root;
  if (!ParseUint(lines[1], body.tree_size) || !ParseUint(lines[3].substr(5), time) ||
      !FromBase64(lines[2], root) || root.size() != body.root.size()) {
    return bad;
  }
  std::copy(root.begin(), root.end(), body.root.begin());
  body.time_unix_seconds = static_cast<int64_t>(time);
  return body;
}

absl::StatusOr<SplitNote> SplitSignedNote(std::string_view note) {
  const size_t split = note.find("\n\n");
  if (split == std::string_view::npos || note.back() != '\n') {
    return absl::InvalidArgumentError("not a signed note");
  }
  SplitNote out;
  out.body = std::string(note.substr(0, split + 1));
  for (std::string_view line : Lines(note.substr(split + 2))) {
    if (line.substr(0, kDash.size()) != kDash) return absl::InvalidArgumentError("bad signature line");
    out.signature_lines.emplace_back(line.substr(kDash.size()));
  }
  if (out.signature_lines.empty()) return absl::InvalidArgumentError("note has no signature");
  return out;
}

std::string SignNote(std::string_view body, std::string_view name, const Ed25519KeyPair& key) {
  const std::string payload = KeyId(name, kEd25519Type, key.public_key) + Sign(key, body);
  return std::string(body) + "\n" + std::string(kDash) + std::string(name) + " " + Base64(payload) + "\n";
}

absl::Status VerifyNoteSignature(std::string_view note, std::string_view name,
                                 std::string_view public_key) {
  ASSIGN_OR_RETURN(SplitNote split, SplitSignedNote(note));
  for (const std::string& sig : PayloadsFor(split, name, KeyId(name, kEd25519Type, public_key))) {
    if (VerifySignature(public_key, split.body, sig).ok()) return absl::OkStatus();
  }
  return absl::UnauthenticatedError("checkpoint signature does not verify");
}

absl::StatusOr<std::string> AddCosignature(std::string_view note, std::string_view name,
                                           const Ed25519KeyPair& key, uint64_t time) {
  ASSIGN_OR_RETURN(SplitNote split, SplitSignedNote(note));
  std::string payload = KeyId(name, kCosignatureType, key.public_key);
  AppendU64(payload, time);
  payload += Sign(key, CosignedMessage(time, split.body));
  return std::string(note) + std::string(kDash) + std::string(name) + " " + Base64(payload) + "\n";
}

absl::StatusOr<uint64_t> VerifyCosignature(std::string_view note, std::string_view name,
                                           std::string_view public_key) {
  ASSIGN_OR_RETURN(SplitNote split, SplitSignedNote(note));
  for (const std::string& p : PayloadsFor(split, name, KeyId(name, kCosignatureType, public_key))) {
    if (p.size() != 8 + kEd25519SignatureSize) continue;
    uint64_t time = 0;
    for (int i = 0; i < 8; ++i) time = (time << 8) | static_cast<uint8_t>(p[i]);
    if (VerifySignature(public_key, CosignedMessage(time, split.body), p.substr(8)).ok()) {
      return time;
    }
  }
  return absl::UnauthenticatedError("no valid cosignature by that witness");
}

}  // namespace confidant::crypto
