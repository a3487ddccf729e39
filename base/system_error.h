#pragma once
// The error of a failed system call: which step failed and the errno it reported. Used by the
// fd and file helpers of base/ (file_io.h, secret_file.h); callers add the path and their own
// wording. Never carries file contents, so it is safe to log. Value type.

#include <string>

namespace xks {

struct SystemError {
  std::string what;   // the step that failed, e.g. "write" or "fsync"; never a secret
  int sys_errno = 0;  // errno of the failed call (0 when the failure was not a system call)

  /// "what: strerror(sys_errno)", or just `what` when sys_errno is 0.
  std::string Message() const;
};

}  // namespace xks
