#include "pkcs11/ck_call.h"

#include <cstdio>
#include <mutex>
#include <string>

#include "pkcs11/log.h"

namespace xks::pkcs11 {
namespace {

std::mutex& SinkMutex() {
  static std::mutex mu;
  return mu;
}
LogSink& Sink() {
  static LogSink sink;
  return sink;
}

}  // namespace

void SetLogSink(LogSink sink) {
  std::lock_guard lock(SinkMutex());
  Sink() = std::move(sink);
}

void LogLine(std::string_view line) {
  // Copy the sink out so a slow sink does not serialize unrelated callers behind the mutex.
  LogSink sink;
  {
    std::lock_guard lock(SinkMutex());
    sink = Sink();
  }
  if (sink) {
    sink(line);
  } else {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  }
}

HsmError ErrorFromCkRv(const char* function, CK_RV rv) {
  HsmError error;
  error.kind = KindForCkRv(rv);
  error.ck_rv = rv;
  error.function = function;
  error.message = std::string(function) + " failed: " + CkRvName(rv);
  return error;
}

void LogCkFailure(const char* function, CK_RV rv) {
  char hex[32];
  std::snprintf(hex, sizeof hex, " (0x%lx)", rv);
  LogLine(std::string("pkcs11: ") + function + " -> " + CkRvName(rv) + hex);
}

}  // namespace xks::pkcs11
