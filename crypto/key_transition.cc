#include "crypto/key_transition.h"

#include <charconv>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/signed_note.h"

namespace confidant::crypto {
namespace {

constexpr std::string_view kHeader = "confidant key transition v1";

std::string B64(std::string_view bytes) {
  return absl::Base64Escape(absl::string_view(bytes.data(), bytes.size()));
}

bool ParseDecimal(std::string_view text, uint64_t& value) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

// The value of line "<label> <value>", or false.
bool Field(std::string_view line, std::string_view label, std::string_view& value) {
  if (line.size() <= label.size() + 1 || line.substr(0, label.size()) != label ||
      line[label.size()] != ' ') {
    return false;
  }
  value = line.substr(label.size() + 1);
  return true;
}

bool PublicKeyField(std::string_view line, std::string_view label, std::string& key) {
  std::string_view text;
  std::string raw;
  if (!Field(line, label, text) ||
      !absl::Base64Unescape(absl::string_view(text.data(), text.size()), &raw) ||
      raw.size() != kEd25519PublicKeySize || B64(raw) != text) {
    return false;
  }
  key = std::move(raw);
  return true;
}

bool KnownPurpose(std::string_view purpose) {
  return purpose == kIdentityKeyPurpose || purpose == kCheckpointKeyPurpose ||
         purpose == kReleaseKeyPurpose;
}

absl::Status Broken(std::string_view purpose, uint32_t version, std::string_view why) {
  return absl::DataLossError(absl::StrCat("key transition to ", std::string(purpose), " version ",
                                          version, " ", std::string(why)));
}

}  // namespace

std::string FormatKeyTransitionBody(const KeyTransition& t) {
  return absl::StrCat(std::string(kHeader), "\n", t.origin, "\npurpose ", t.purpose, "\nversion ",
                      t.version, "\nold ", B64(t.old_public_key), "\nnew ", B64(t.new_public_key),
                      "\ntime ", t.time_unix_seconds, "\nfrom ", t.from_tree_size, "\n");
}

absl::StatusOr<KeyTransition> ParseKeyTransitionBody(std::string_view text) {
  const absl::Status bad = absl::InvalidArgumentError("not a key transition body");
  if (text.empty() || text.back() != '\n') return bad;
  std::vector<std::string_view> lines;
  for (std::string_view rest = text; !rest.empty();) {
    const size_t nl = rest.find('\n');  // every line ends in one: the last character is one
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  if (lines.size() != 8 || lines[0] != kHeader || lines[1].empty()) return bad;
  KeyTransition t;
  t.origin = std::string(lines[1]);
  std::string_view purpose, version, time, from;
  uint64_t version_value = 0, time_value = 0;
  if (!Field(lines[2], "purpose", purpose) || !KnownPurpose(purpose) ||
      !Field(lines[3], "version", version) || !ParseDecimal(version, version_value) ||
      version_value < 2 || version_value > UINT32_MAX ||
      !PublicKeyField(lines[4], "old", t.old_public_key) ||
      !PublicKeyField(lines[5], "new", t.new_public_key) || !Field(lines[6], "time", time) ||
      !ParseDecimal(time, time_value) || time_value > INT64_MAX || !Field(lines[7], "from", from) ||
      !ParseDecimal(from, t.from_tree_size)) {
    return bad;
  }
  t.purpose = std::string(purpose);
  t.version = static_cast<uint32_t>(version_value);
  t.time_unix_seconds = static_cast<int64_t>(time_value);
  return t;
}

absl::StatusOr<std::string> SignKeyTransition(const KeyTransition& transition,
                                              const Ed25519KeyPair& old_key) {
  if (transition.old_public_key != old_key.public_key || transition.version < 2 ||
      transition.new_public_key.size() != kEd25519PublicKeySize ||
      !KnownPurpose(transition.purpose) || transition.origin.empty() ||
      transition.origin.find('\n') != std::string::npos) {
    return absl::InvalidArgumentError("not a valid key transition for this key");
  }
  return SignNote(FormatKeyTransitionBody(transition), transition.origin, old_key);
}

namespace {

// Every key of `notes`, oldest first (empty for no notes), each link checked.
absl::StatusOr<std::vector<ChainKey>> WholeChain(std::string_view purpose, std::string_view origin,
                                                 const std::vector<std::string>& notes) {
  std::vector<ChainKey> chain;
  for (size_t i = 0; i < notes.size(); ++i) {
    absl::StatusOr<SplitNote> split = SplitSignedNote(notes[i]);
    absl::StatusOr<KeyTransition> t =
        split.ok() ? ParseKeyTransitionBody(split->body) : split.status();
    const uint32_t expected = chain.empty() ? 0 : chain.back().version + 1;
    if (!t.ok()) {
      return absl::DataLossError(absl::StrCat("key transition ", i + 1, " of the ",
                                              std::string(purpose), " key chain is malformed"));
    }
    if (t->purpose != purpose) {
      return Broken(purpose, t->version, absl::StrCat("is for the ", t->purpose, " key"));
    }
    if (t->origin != origin) return Broken(purpose, t->version, "is for another vault");
    if (!chain.empty() && (t->version != expected || t->old_public_key != chain.back().public_key)) {
      return Broken(purpose, t->version,
                    absl::StrCat("does not follow version ", chain.back().version));
    }
    if (!chain.empty() && t->from_tree_size < chain.back().from_tree_size) {
      return Broken(purpose, t->version, "goes back in the log");
    }
    if (!VerifyNoteSignature(notes[i], origin, t->old_public_key).ok()) {
      return Broken(purpose, t->version, "is not signed by the previous key");
    }
    if (chain.empty()) chain.push_back(ChainKey{t->version - 1, t->old_public_key, 0});
    chain.push_back(ChainKey{t->version, t->new_public_key, t->from_tree_size});
  }
  return chain;
}

}  // namespace

absl::StatusOr<std::vector<ChainKey>> FollowKeyChain(std::string_view purpose,
                                                     std::string_view origin,
                                                     std::string_view pinned_public_key,
                                                     const std::vector<std::string>& notes) {
  ASSIGN_OR_RETURN(std::vector<ChainKey> chain, WholeChain(purpose, origin, notes));
  if (chain.empty()) return std::vector<ChainKey>{ChainKey{0, std::string(pinned_public_key), 0}};
  for (size_t i = 0; i < chain.size(); ++i) {
    if (chain[i].public_key == pinned_public_key) {
      return std::vector<ChainKey>(chain.begin() + static_cast<std::ptrdiff_t>(i), chain.end());
    }
  }
  return absl::DataLossError(absl::StrCat("the pinned ", std::string(purpose),
                                          " key is not in the vault's key chain"));
}

absl::StatusOr<std::vector<ChainKey>> KeyChainEndingAt(std::string_view purpose,
                                                       std::string_view origin,
                                                       std::string_view newest_public_key,
                                                       const std::vector<std::string>& notes) {
  ASSIGN_OR_RETURN(std::vector<ChainKey> chain, WholeChain(purpose, origin, notes));
  if (chain.empty()) return std::vector<ChainKey>{ChainKey{0, std::string(newest_public_key), 0}};
  if (chain.back().public_key != newest_public_key) {
    return absl::DataLossError(absl::StrCat("the ", std::string(purpose),
                                            " key chain does not end at the vault's current key"));
  }
  return chain;
}

const ChainKey* SignerForTreeSize(const std::vector<ChainKey>& chain, uint64_t tree_size) {
  const ChainKey* signer = nullptr;
  for (const ChainKey& key : chain) {
    if (key.from_tree_size <= tree_size) signer = &key;
  }
  return signer;
}

}  // namespace confidant::crypto
