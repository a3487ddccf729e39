// The configuration loader and validator (proxy/config/config.h), policies included: the JSON
// text an operator (or xksctl) writes, parsed and validated as a reload does. Relative paths
// resolve against a one-time directory holding the standard test configuration's secret files,
// so its seeds validate fully. Properties (as config_round_trip_test, on every accepted input):
// serialising and parsing again gives equal structures, in the full, short and hand-written forms.

#include "proxy/config/config.h"
#include "proxy/config/testing/config_fixture.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using xks::config::Config;
using xks::config::ParseConfig;

void CheckReparses(const Config& first, const nlohmann::json& written, const std::string& base) {
  auto again = ParseConfig(written, base);
  XKS_FUZZ_CHECK(again.ok());
  XKS_FUZZ_CHECK(*again == first);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static xks::config::testing::TempDir dir;  // one-time (removed at exit)
  static const bool secrets_written = (xks::config::testing::StandardConfigJson(dir), true);
  (void)secrets_written;
  const nlohmann::json doc = nlohmann::json::parse(xks::fuzz::AsText(data, size), nullptr, false);
  if (doc.is_discarded()) return 0;
  auto config = ParseConfig(doc, dir.path());
  if (!config.ok()) {
    XKS_FUZZ_CHECK(!config.error().empty());
    return 0;
  }
  CheckReparses(*config, xks::config::SerializeConfig(*config), "/nonexistent-base-dir");
  CheckReparses(*config, xks::config::SerializeConfig(*config, {.omit_defaults = true}),
                dir.path());
  CheckReparses(*config, xks::config::SerializeKeepingHandWrittenForm(*config, doc, dir.path()),
                dir.path());
  return 0;
}
