#pragma once
// Who xks-proxy runs as (configuration `process`, docs/configuration.md). Started as root, the
// proxy binds its listeners and opens its files (HSM modules, audit log, TLS keys) first, then
// gives up root for process.user for good; root with no user is refused unless
// process.allow_root says so. Started as anyone else, nothing changes.
// Thread safety: PlanPrivileges is reentrant; DropPrivileges changes the whole process (glibc
// applies set*id to every thread) and is meant to be called once, from main.

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/problem.h"
#include "base/result.h"
#include "proxy/config/config.h"

namespace xks::runtime {

/// The account to switch to, resolved from the user and group databases.
struct Account {
  std::string user;
  std::string group;
  uid_t uid = 0;
  gid_t gid = 0;
};

/// What to do for a process whose effective uid is `euid`: nullopt when nothing changes (not
/// root; or root with allow_root and no user), the resolved account when root must drop to it.
/// Errors (path "process"): root without user and without allow_root; an unknown user or group;
/// a user that is root itself.
Result<std::optional<Account>, Problem> PlanPrivileges(const config::ProcessConfig& process,
                                                       uid_t euid);

/// Switches the real, effective and saved ids to `account` (supplementary groups: only its
/// group), marks the process non-dumpable again (a uid change resets it), and verifies that
/// neither setuid(0) nor setgid(0) succeeds afterwards. Errors (path "process"): the failed step.
Result<void, Problem> DropPrivileges(const Account& account);

}  // namespace xks::runtime
