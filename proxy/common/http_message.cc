#include "proxy/common/http_message.h"

#include <string.h>

namespace xks {

void WipeString(std::string& text) noexcept {
  // resize() within the capacity never reallocates; it makes the whole buffer addressable.
  text.resize(text.capacity());
  explicit_bzero(text.data(), text.size());
  text.clear();
}

HttpRequest::~HttpRequest() { WipeString(body); }

HttpRequest HttpRequest::WithoutBody() const {
  HttpRequest copy;
  copy.method = method;
  copy.target = target;
  copy.version = version;
  copy.headers = headers;
  copy.connection = connection;
  copy.received_at = received_at;
  return copy;
}

HttpResponse::~HttpResponse() {
  if (sensitive_body) WipeString(body);
}

bool HeaderNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<std::string_view> HttpRequest::Header(std::string_view name) const {
  for (const auto& h : headers) {
    if (HeaderNameEquals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

std::size_t HttpRequest::HeaderCount(std::string_view name) const {
  std::size_t n = 0;
  for (const auto& h : headers) n += HeaderNameEquals(h.name, name) ? 1 : 0;
  return n;
}

}  // namespace xks
