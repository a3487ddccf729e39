#include "base/result.h"

#include <cstdio>
#include <cstdlib>

namespace xks::detail {

void ResultAccessAbort(const char* what) {
  std::fprintf(stderr, "fatal: Result accessed as %s in the wrong state\n", what);
  std::abort();
}

}  // namespace xks::detail
