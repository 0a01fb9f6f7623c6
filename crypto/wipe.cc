#include <sodium.h>

#include <string>

#include "crypto/secret_bytes.h"

namespace confidant::crypto {

void WipeString(std::string& text) {
  if (!text.empty()) sodium_memzero(text.data(), text.size());
  text.clear();
}

}  // namespace confidant::crypto
