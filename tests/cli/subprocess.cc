#include "tests/cli/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace xks::testing {
namespace {

// In the child: stdin from /dev/null, stdout/stderr to the given files, own session, then exec.
[[noreturn]] void ExecChild(const std::vector<std::string>& args, const std::string& out_path,
                            const std::string& err_path, int open_flags) {
  const int in = ::open("/dev/null", O_RDONLY);
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | open_flags, 0600);
  const int err =
      out_path == err_path ? out : ::open(err_path.c_str(), O_WRONLY | O_CREAT | open_flags, 0600);
  ::dup2(in, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(err, STDERR_FILENO);
  ::setsid();
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  ::_exit(127);
}

int ExitCode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& scratch_dir) {
  const std::string out_path = scratch_dir + "/stdout.txt", err_path = scratch_dir + "/stderr.txt";
  const pid_t pid = ::fork();
  if (pid == 0) ExecChild(argv, out_path, err_path, O_TRUNC);
  ProcessResult r;
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return r;
  r.code = ExitCode(status);
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

pid_t StartProcess(const std::vector<std::string>& argv, const std::string& log_file) {
  const pid_t pid = ::fork();
  if (pid == 0) ExecChild(argv, log_file, log_file, O_APPEND);
  return pid;
}

int StopProcess(pid_t pid) {
  ::kill(pid, SIGTERM);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return ExitCode(status);
}

}  // namespace xks::testing
