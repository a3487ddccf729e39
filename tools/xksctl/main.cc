// xksctl: the operator CLI of xks-hsm-proxy (docs/xksctl.md).

#include <iostream>
#include <string>
#include <vector>

#include "tools/xksctl/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return xks::xksctl::RunXksctl(args, std::cout, std::cerr);
}
