// The consumer's own core/error.h, ahead of everything on its include path: rootfsctl's
// installed headers must still find theirs (they include it relative to themselves).
#pragma once

namespace consumer {
struct Error {
  int code = 0;
};
}  // namespace consumer
