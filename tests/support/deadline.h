// A bound on a test that would block if the code under test regressed (opening a FIFO
// without O_NONBLOCK waits forever for a writer): SIGALRM ends the test binary, a
// failure ctest reports, instead of a hang nothing reports.
#pragma once

#include <unistd.h>

namespace rootfsctl {

class Deadline {
 public:
  explicit Deadline(unsigned seconds) { ::alarm(seconds); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  ~Deadline() { ::alarm(0); }
};

}  // namespace rootfsctl
