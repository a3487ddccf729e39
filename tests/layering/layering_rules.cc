#include "tests/layering/layering_rules.h"

#include <algorithm>
#include <utility>

namespace xks::layering {
namespace {

constexpr std::string_view kTestSupport = "tests/support";
constexpr std::string_view kTests = "tests";
// The allow-list key of a file whose folder has no row (there is no header to name).
constexpr std::string_view kNoLayer = "(folder not in the layer table)";

// Same-rank edges the table allows (from, to). Empty: siblings of rank 3 (auth, tenant, audit,
// server) stay independent of each other, so each can be built and tested alone.
const std::vector<std::pair<std::string_view, std::string_view>> kSiblingEdges = {};

// Beast and Asio: the HTTP server, plus the two HTTPS clients: `xksctl health` and the load
// generator (which needs many asynchronous keep-alive connections on one thread).
constexpr std::string_view kBeastAllowed[] = {"proxy/server/", "tools/xksctl/health_commands.cc",
                                              "tools/loadgen/"};

bool StartsWithFolder(std::string_view path, std::string_view folder) {
  return path.size() > folder.size() && path.starts_with(folder) && path[folder.size()] == '/';
}

const LayerRow* RowOf(std::string_view folder) {
  for (const LayerRow& row : LayerTable()) {
    if (row.folder == folder) return &row;
  }
  return nullptr;
}

bool IsSiblingEdge(std::string_view from, std::string_view to) {
  return std::find(kSiblingEdges.begin(), kSiblingEdges.end(), std::pair(from, to)) !=
         kSiblingEdges.end();
}

bool IsP11KitHeader(std::string_view h) {
  return h.starts_with("p11-kit/") || h == "pkcs11.h" || h == "pkcs11t.h" || h == "pkcs11f.h";
}

bool IsBeastOrAsioHeader(std::string_view h) {
  return h.starts_with("boost/beast") || h.starts_with("boost/asio");
}

// base/ depends on the standard library, POSIX and OpenSSL only.
bool IsForbiddenInBase(std::string_view h) {
  return h.starts_with("boost/") || h.starts_with("nlohmann/") || h.starts_with("gtest/") ||
         h.starts_with("gmock/") || h.starts_with("benchmark/");
}

Violation Make(std::string_view file, const Include& inc, std::string_view rule,
               std::string message) {
  return Violation{std::string(file), inc.line,          inc.header,
                   inc.angled,        std::string(rule), std::move(message)};
}

// The rule for a project ("...") include from `file` (folder `from`), if it breaks one.
std::optional<Violation> CheckProjectInclude(std::string_view file, std::string_view from,
                                             const Include& inc) {
  const std::optional<std::string> to = FolderOf(inc.header);
  if (!to) {
    return Make(file, inc, "unknown-folder",
                "project headers are included by their path from the source root, from a folder "
                "that has a row in the layer table");
  }
  if (*to == from) return std::nullopt;
  if (*to == kTestSupport) {
    if (IsTestCode(file)) return std::nullopt;
    return Make(file, inc, "test-support-in-production",
                "only test code (*_test.cc, *_bench.cc, testing/, test_support) includes "
                "tests/support/");
  }
  if (*to == kTests) {
    return Make(file, inc, "tests-not-a-library",
                "nothing outside tests/ includes tests/ headers "
                "other than tests/support/");
  }
  const LayerRow* src = RowOf(from);
  const LayerRow* dst = RowOf(*to);
  if (!src->only.empty()) {
    if (std::find(src->only.begin(), src->only.end(), *to) != src->only.end()) return std::nullopt;
    return Make(file, inc, "restricted-folder",
                std::string(from) +
                    " may include only its own folder and the folders its row "
                    "names (conformance/ uses base/ only)");
  }
  if (dst->rank < src->rank || IsSiblingEdge(from, *to)) return std::nullopt;
  if (dst->rank == src->rank) {
    return Make(file, inc, "sibling-edge",
                "folders of equal rank do not include each other unless the table lists the edge");
  }
  return Make(file, inc, "upward-edge",
              "a lower layer never includes a higher one (" + std::string(from) + " is rank " +
                  std::to_string(src->rank) + ", " + *to + " is rank " + std::to_string(dst->rank) +
                  ")");
}

// The rules for a third-party (<...>) include.
std::optional<Violation> CheckAngledInclude(std::string_view file, std::string_view from,
                                            const Include& inc) {
  if (IsP11KitHeader(inc.header) && from != "pkcs11") {
    return Make(file, inc, "p11-kit-outside-pkcs11",
                "only files under pkcs11/ include p11-kit "
                "and the PKCS#11 headers");
  }
  if (IsBeastOrAsioHeader(inc.header) &&
      std::none_of(std::begin(kBeastAllowed), std::end(kBeastAllowed),
                   [&](std::string_view allowed) { return file.starts_with(allowed); })) {
    return Make(file, inc, "beast-outside-server",
                "only proxy/server/ (and the xksctl health and xks-loadgen clients) include "
                "Boost.Beast/Asio");
  }
  if (from == "base" && !IsTestCode(file) && IsForbiddenInBase(inc.header)) {
    return Make(file, inc, "base-third-party",
                "base/ depends on the standard library, POSIX and OpenSSL only");
  }
  return std::nullopt;
}

}  // namespace

const std::vector<LayerRow>& LayerTable() {
  static const std::vector<LayerRow> kTable = {
      {"base", 0, {}},
      {"pkcs11", 1, {}},
      {"proxy/common", 2, {}},
      {"proxy/config", 2, {}},
      {"proxy/metrics", 2, {}},
      {"proxy/auth", 3, {}},
      {"proxy/tenant", 3, {}},
      {"proxy/audit", 3, {}},
      {"proxy/server", 3, {}},
      {"proxy/api", 4, {}},
      {"proxy/runtime", 5, {}},
      {"tools", 6, {}},
      // The conformance runner checks the proxy from outside: it shares only the vocabulary.
      {"conformance", 6, {"base"}},
  };
  return kTable;
}

std::optional<std::string> FolderOf(std::string_view path) {
  if (StartsWithFolder(path, kTestSupport)) return std::string(kTestSupport);
  if (StartsWithFolder(path, kTests)) return std::string(kTests);
  for (const LayerRow& row : LayerTable()) {
    if (StartsWithFolder(path, row.folder)) return std::string(row.folder);
  }
  return std::nullopt;
}

bool IsTestCode(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return name.ends_with("_test.cc") || name.ends_with("_bench.cc") ||
         name.starts_with("test_support.") || path.find("/testing/") != std::string_view::npos;
}

std::string Violation::Describe() const {
  std::string out = file + ":" + std::to_string(line) + ": ";
  if (header.empty()) return out + "[" + rule + "]: " + message;
  out += angled ? "#include <" + header + ">" : "#include \"" + header + "\"";
  out += " (" + FolderOf(file).value_or("?") + " -> ";
  out += angled ? std::string("third-party") : FolderOf(header).value_or("?");
  out += ") [" + rule + "]: " + message;
  return out;
}

std::string Violation::Key() const {
  return file + " -> " + (header.empty() ? std::string(kNoLayer) : header);
}

std::vector<Violation> CheckFile(std::string_view path, const std::vector<Include>& includes) {
  std::vector<Violation> out;
  const std::optional<std::string> from = FolderOf(path);
  if (!from || *from == kTests || *from == kTestSupport) {
    if (!from) {
      out.push_back(Violation{std::string(path), 0, "", false, "folder-not-in-table",
                              "every source folder has a row in the layer table "
                              "(tests/layering/layering_rules.cc, docs/ARCHITECTURE.md)"});
    }
    return out;  // tests/ may include anything
  }
  for (const Include& inc : includes) {
    std::optional<Violation> v =
        inc.angled ? CheckAngledInclude(path, *from, inc) : CheckProjectInclude(path, *from, inc);
    if (v) out.push_back(std::move(*v));
  }
  return out;
}

}  // namespace xks::layering
