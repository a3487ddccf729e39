#pragma once
// The shape of the proxy's side listeners (the admin listener, the load-balancer check listener):
// a Server of their own with one I/O and one worker thread, the API listener's timeouts, small
// bounded queues, bodies and headers, and their own connection cap. Internal to proxy/server.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "proxy/server/server.h"

namespace xks::server {

struct SmallListenerShape {
  std::string address;
  std::uint16_t port = 0;
  std::optional<TlsOptions> tls;  ///< absent: plain HTTP (the listener's purpose, no warning)
  std::chrono::milliseconds read_timeout{5000}, write_timeout{5000}, idle_timeout{60000};
  std::chrono::milliseconds time_budget{1000};
  std::size_t max_connections = 16;
  std::size_t queue_limit = 4;
};

inline ServerOptions SmallListenerOptions(const SmallListenerShape& shape) {
  ServerOptions out;
  out.address = shape.address;
  out.port = shape.port;
  out.insecure = !shape.tls.has_value();
  out.warn_if_insecure = false;
  if (shape.tls) out.tls = *shape.tls;
  out.io_threads = 1;
  out.worker_threads = 1;
  out.queue_limit = shape.queue_limit;
  out.low_priority_queue_limit = shape.queue_limit;
  out.time_budget = shape.time_budget;
  out.read_timeout = shape.read_timeout;
  out.write_timeout = shape.write_timeout;
  out.idle_timeout = shape.idle_timeout;
  out.unauthenticated_idle_timeout = shape.idle_timeout;
  // A request of these listeners is a bodiless GET.
  out.max_body_bytes = 1024;
  out.max_header_bytes = 8 * 1024;
  out.ping_path = "";  // their handlers answer every path themselves
  out.max_connections = shape.max_connections;
  out.max_connections_per_address = shape.max_connections;
  out.max_handshakes_in_progress = shape.max_connections;
  return out;
}

}  // namespace xks::server
