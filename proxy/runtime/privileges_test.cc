// PlanPrivileges' decisions for root and non-root; DropPrivileges in a forked child (it changes
// the whole process), as root only: CI and the developers' machines run the suite as root.

#include "proxy/runtime/privileges.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace xks::runtime {
namespace {

constexpr uid_t kRoot = 0;
constexpr uid_t kSomeUser = 1000;

config::ProcessConfig Process(std::string user, std::string group = "", bool allow_root = false) {
  config::ProcessConfig p;
  p.user = std::move(user);
  p.group = std::move(group);
  p.allow_root = allow_root;
  return p;
}

TEST(PrivilegesTest, NonRootChangesNothingWhateverTheConfiguration) {
  for (const config::ProcessConfig& p :
       {config::ProcessConfig{}, Process("nobody"), Process("no-such-user-xks")}) {
    auto plan = PlanPrivileges(p, kSomeUser);
    ASSERT_TRUE(plan.ok()) << plan.error().ToString();
    EXPECT_FALSE(plan->has_value());
  }
}

TEST(PrivilegesTest, RootWithoutUserIsRefusedUnlessAllowed) {
  auto refused = PlanPrivileges({}, kRoot);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().path, "process");
  EXPECT_NE(refused.error().ToString().find("refusing to run as root"), std::string::npos);
  EXPECT_NE(refused.error().ToString().find("process"), std::string::npos);
  auto allowed = PlanPrivileges(Process("", "", true), kRoot);
  ASSERT_TRUE(allowed.ok());
  EXPECT_FALSE(allowed->has_value());
}

TEST(PrivilegesTest, RootResolvesTheUserAndGroup) {
  const passwd* nobody = getpwnam("nobody");
  ASSERT_NE(nobody, nullptr) << "Debian always has the nobody account";
  auto plan = PlanPrivileges(Process("nobody"), kRoot);
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  ASSERT_TRUE(plan->has_value());
  EXPECT_EQ((*plan)->uid, nobody->pw_uid);
  EXPECT_EQ((*plan)->gid, nobody->pw_gid);
  auto grouped = PlanPrivileges(Process("nobody", "nogroup"), kRoot);
  ASSERT_TRUE(grouped.ok()) << grouped.error().ToString();
  EXPECT_EQ((*grouped)->group, "nogroup");
}

TEST(PrivilegesTest, UnknownOrRootAccountsAreRefused) {
  auto unknown = PlanPrivileges(Process("no-such-user-xks"), kRoot);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().path, "process.user");
  EXPECT_NE(unknown.error().ToString().find("no such user: no-such-user-xks"), std::string::npos);
  auto root = PlanPrivileges(Process("root"), kRoot);
  ASSERT_FALSE(root.ok());
  EXPECT_NE(root.error().ToString().find("uid 0"), std::string::npos);
  auto group = PlanPrivileges(Process("nobody", "no-such-group-xks"), kRoot);
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.error().path, "process.group");
  auto root_group = PlanPrivileges(Process("nobody", "root"), kRoot);
  ASSERT_FALSE(root_group.ok());
  EXPECT_NE(root_group.error().ToString().find("gid 0"), std::string::npos);
}

// The child's exit code: 0 all ids are nobody's and root stays out of reach; else the step.
int DropInChild(const Account& account) {
  if (!DropPrivileges(account).ok()) return 1;
  if (getuid() != account.uid || geteuid() != account.uid || getgid() != account.gid) return 2;
  if (setuid(0) == 0 || setegid(0) == 0) return 3;
  gid_t groups[4];
  if (getgroups(4, groups) != 1 || groups[0] != account.gid) return 4;
  return 0;
}

TEST(PrivilegesTest, DropLeavesNoWayBackToRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CI runs as root)";
  auto plan = PlanPrivileges(Process("nobody", "nogroup"), geteuid());
  ASSERT_TRUE(plan.ok() && plan->has_value());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(DropInChild(**plan));
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1 drop failed, 2 ids, 3 root regained, 4 groups";
  EXPECT_EQ(geteuid(), 0u) << "the parent is untouched";
}

}  // namespace
}  // namespace xks::runtime
