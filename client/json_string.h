// The text inside JSON strings: checking UTF-8 and \u escapes while scanning, and decoding the
// escapes afterwards. Used by client/json_scan.h; stateless and thread-safe.
#ifndef CONFIDANT_CLIENT_JSON_STRING_H_
#define CONFIDANT_CLIENT_JSON_STRING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace confidant::client {

// The four hex digits at the start of `s` as a number (0..0xFFFF), or -1 if there are not four.
int32_t ParseHex4(std::string_view s);

// Length (1..4) of the well-formed UTF-8 sequence starting at s[i] (i < s.size()), or 0 if it is
// not one: overlong forms, surrogates and code points above U+10FFFF are not well-formed.
size_t Utf8SequenceLength(std::string_view s, size_t i);

// The decoded content of a string the scanner accepted (JsonValue::raw or JsonMember::raw_key:
// the bytes between the quotes). Without escapes this is `raw` itself and `scratch` is untouched;
// otherwise the decoded text is written to `scratch` (the caller should wipe it if the text may
// be sensitive) and a view of it is returned. `scratch` is reserved once, so no reallocation
// leaves an unwiped copy behind. Undefined for text the scanner did not accept.
std::string_view JsonStringContent(std::string_view raw, std::string& scratch);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_JSON_STRING_H_
