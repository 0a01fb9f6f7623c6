// The statement by which the vault identity key (which clients pin) vouches for the log
// (checkpoint) key. Client and server both use it.
#ifndef CONFIDANT_PROTO_LOG_KEY_FORMAT_H_
#define CONFIDANT_PROTO_LOG_KEY_FORMAT_H_

#include <string>
#include <string_view>

#include "base/bytes.h"

namespace confidant {

// "confidant/v1/log-key/v2" 0x00 lp(origin) lp(log public key) lp(transition 1) ... — the
// identity key vouches for the current log key AND every transition of the checkpoint key chain
// that leads to it (crypto/key_transition.h), so no key can be put in front of the chain: a
// transition only proves that its old key handed over, not that the old key was the vault's.
template <typename Notes>
inline std::string LogKeyStatement(std::string_view origin, std::string_view log_public_key,
                                   const Notes& checkpoint_transitions) {
  std::string out = DomainTag("confidant/v1/log-key/v2");
  AppendLengthPrefixed(out, origin);
  AppendLengthPrefixed(out, log_public_key);
  for (const auto& note : checkpoint_transitions) AppendLengthPrefixed(out, note);
  return out;
}

}  // namespace confidant

#endif  // CONFIDANT_PROTO_LOG_KEY_FORMAT_H_
