#include "base/system_error.h"

#include <cstring>

namespace xks {

std::string SystemError::Message() const {
  if (sys_errno == 0) return what;
  return what + ": " + std::strerror(sys_errno);
}

}  // namespace xks
