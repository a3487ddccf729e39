// The audit verifier's reader (proxy/audit/audit_verifier.h): record, checkpoint, file-start and
// redacted lines of one or more files (split at each form feed of the input), verified against
// the key the seeds were signed with, so seeds exercise the chain and signature paths. Properties:
// the report does not depend on the order the files are given in, and it renders as text and
// JSON.

#include <algorithm>

#include "proxy/audit/audit_verifier.h"
#include "tests/fuzz/audit_fuzz_key.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace xks::audit;
  static const VerificationKey key = ParseVerificationKey(kAuditFuzzKeyPem).value();  // one-time
  std::vector<AuditFileBytes> files;
  const std::string_view input = xks::fuzz::AsText(data, size);
  std::size_t start = 0;
  while (start <= input.size() && files.size() < 8) {
    const std::size_t end = std::min(input.find('\f', start), input.size());
    files.push_back({"audit-" + std::to_string(files.size()) + ".jsonl",
                     std::string(input.substr(start, end - start))});
    start = end + 1;
  }
  const VerifyReport report = VerifyAuditBytes(files, {key});
  const std::string text = report.ToText();
  (void)report.ToJson().dump();
  XKS_FUZZ_CHECK(report.signed_through <= report.last_seq);
  std::reverse(files.begin(), files.end());
  XKS_FUZZ_CHECK(VerifyAuditBytes(files, {key}).ToText() == text);
  return 0;
}
