// Cost of one policy decision for a 100-statement policy (issue 15: under 5 µs per request).
// The statements are what a large customer might write: per-account allows with key globs and
// ARN globs, a few denies on kmsViaService; the request matches the last allow, so every
// statement is looked at (the worst case for an allowed request).

#include <benchmark/benchmark.h>

#include <string>

#include "proxy/tenant/policy.h"

namespace xks::tenant {
namespace {

config::PolicyConfig HundredStatementPolicy() {
  config::PolicyConfig p;
  for (int i = 0; i < 10; ++i) {
    p.statements.push_back({"deny-via-" + std::to_string(i),
                            "deny",
                            {"decrypt"},
                            {},
                            {{"kmsViaService", {"svc" + std::to_string(i) + "-*"}}}});
  }
  for (int i = 0; i < 90; ++i) {
    const std::string account = std::to_string(100000000000 + i);
    p.statements.push_back(
        {"allow-acct-" + std::to_string(i),
         "allow",
         {"encrypt", "decrypt"},
         {"k" + std::to_string(i), "prod-" + std::to_string(i) + "-*"},
         {{"kmsKeyArn", {"arn:aws:kms:*:" + account + ":key/*"}},
          {"awsPrincipalArn", {"arn:aws:iam::" + account + ":role/*", "arn:aws:iam::*:root"}}}});
  }
  return p;
}

void BM_PolicyEvaluate100Statements(benchmark::State& state) {
  const Policy policy = Policy::Compile(HundredStatementPolicy());
  const std::string arn = "arn:aws:kms:eu-west-1:100000000089:key/1234abcd-12ab-34cd-56ef";
  const std::string principal = "arn:aws:iam::100000000089:role/ebs-service";
  PolicyRequest request;
  request.operation = PolicyOperation::kDecrypt;
  request.external_key_id = "prod-89-db";
  request.SetField("kmsKeyArn", arn);
  request.SetField("awsPrincipalArn", principal);
  request.SetField("kmsViaService", "ebs");
  for (auto _ : state) {
    PolicyDecision decision = policy.Evaluate(request);
    benchmark::DoNotOptimize(decision);
  }
  if (policy.Evaluate(request).statement != "allow-acct-89") state.SkipWithError("wrong decision");
}
BENCHMARK(BM_PolicyEvaluate100Statements);

}  // namespace
}  // namespace xks::tenant

BENCHMARK_MAIN();
