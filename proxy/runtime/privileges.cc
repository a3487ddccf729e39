#include "proxy/runtime/privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <vector>

namespace xks::runtime {
namespace {

constexpr const char* kProcessPath = "process";

Problem StepFailed(const std::string& step, int err) {
  return MakeProblem(kProcessPath, "cannot drop root privileges: " + step + ": " + strerror(err),
                     "run xks-proxy as root with an existing process.user, or as that user");
}

// getpwnam_r/getgrnam_r: reentrant, and they say "not found" (result nullptr, 0) apart from a
// failing lookup.
std::optional<Account> LookUpUser(const std::string& name) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found) != 0 || !found) {
    return std::nullopt;
  }
  return Account{.user = name, .group = {}, .uid = pw.pw_uid, .gid = pw.pw_gid};
}

std::optional<gid_t> LookUpGroup(const std::string& name) {
  struct group gr {};
  struct group* found = nullptr;
  std::vector<char> buffer(16384);
  if (getgrnam_r(name.c_str(), &gr, buffer.data(), buffer.size(), &found) != 0 || !found) {
    return std::nullopt;
  }
  return gr.gr_gid;
}

}  // namespace

Result<std::optional<Account>, Problem> PlanPrivileges(const config::ProcessConfig& process,
                                                       uid_t euid) {
  if (euid != 0) return std::optional<Account>();
  if (process.user.empty()) {
    if (process.allow_root) return std::optional<Account>();
    return Fail(MakeProblem(kProcessPath, "refusing to run as root: no process.user to switch to",
                            "set \"process\": {\"user\": \"xks\"} (an unprivileged account that "
                            "can read the configuration's files), or start xks-proxy as that "
                            "user; \"allow_root\": true runs on as root"));
  }
  auto account = LookUpUser(process.user);
  if (!account) {
    return Fail(MakeProblem("process.user", "no such user: " + process.user,
                            "create it (useradd --system " + process.user + ") or name another"));
  }
  if (account->uid == 0) {
    return Fail(MakeProblem("process.user", process.user + " has uid 0: that is root again",
                            "name an unprivileged account"));
  }
  if (!process.group.empty()) {
    auto gid = LookUpGroup(process.group);
    if (!gid) {
      return Fail(
          MakeProblem("process.group", "no such group: " + process.group,
                      "create it (groupadd --system " + process.group + ") or name another"));
    }
    account->gid = *gid;
    account->group = process.group;
  }
  if (account->gid == 0) {
    return Fail(MakeProblem(process.group.empty() ? "process.user" : "process.group",
                            "the group to run as has gid 0 (root's group)",
                            "set process.group to an unprivileged group"));
  }
  return std::optional<Account>(std::move(*account));
}

Result<void, Problem> DropPrivileges(const Account& account) {
  // Groups first: once the uid is gone, the process may no longer change them.
  const gid_t groups[] = {account.gid};
  if (setgroups(1, groups) != 0) return Fail(StepFailed("setgroups", errno));
  if (setresgid(account.gid, account.gid, account.gid) != 0) {
    return Fail(StepFailed("setresgid", errno));
  }
  if (setresuid(account.uid, account.uid, account.uid) != 0) {
    return Fail(StepFailed("setresuid", errno));
  }
  // The kernel resets "dumpable" on a uid change; keep the process out of core dumps and ptrace.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return Fail(StepFailed("PR_SET_DUMPABLE", errno));
  uid_t ruid = 0, euid = 0, suid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0;
  if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0) {
    return Fail(StepFailed("getresuid", errno));
  }
  const bool ids_changed = ruid == account.uid && euid == account.uid && suid == account.uid &&
                           rgid == account.gid && egid == account.gid && sgid == account.gid;
  // With every id changed the kernel must refuse these; if it does not, root is still reachable.
  if (!ids_changed || setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
    return Fail(MakeProblem(kProcessPath, "root privileges are still reachable after the switch",
                            "report this: the process refuses to run like that"));
  }
  return {};
}

}  // namespace xks::runtime
