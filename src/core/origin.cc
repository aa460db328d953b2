#include "core/origin.h"

namespace rootfsctl {

std::string Origin::to_string() const {
  if (is_implicit()) return "implicit: " + reason;
  if (line == 0) return file;  // a layout-wide setting (sysctls, hostname)
  return file + ":" + std::to_string(line);
}

}  // namespace rootfsctl
