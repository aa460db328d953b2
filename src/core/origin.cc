#include "core/origin.h"

namespace rootfsctl {

std::string Origin::to_string() const {
  if (is_implicit()) return "implicit: " + reason;
  return file + ":" + std::to_string(line);
}

}  // namespace rootfsctl
