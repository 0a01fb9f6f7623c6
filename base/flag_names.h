// Lets command lines use --dev-dir as well as Abseil's --dev_dir. Header-only.
#ifndef CONFIDANT_BASE_FLAG_NAMES_H_
#define CONFIDANT_BASE_FLAG_NAMES_H_

#include <string>
#include <vector>

namespace confidant {

// Copies argv, turning dashes in a flag's name (before any '=') into underscores. Arguments
// after a bare "--" and non-flag arguments are left alone.
inline std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> out(argv, argv + argc);
  for (size_t i = 1; i < out.size(); ++i) {
    std::string& arg = out[i];
    if (arg == "--") break;
    if (arg.size() < 3 || arg[0] != '-' || arg[1] != '-') continue;
    const size_t end = arg.find('=');
    for (size_t j = 2; j < arg.size() && j < end; ++j) {
      if (arg[j] == '-') arg[j] = '_';
    }
  }
  return out;
}

}  // namespace confidant

#endif  // CONFIDANT_BASE_FLAG_NAMES_H_
