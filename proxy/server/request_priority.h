#pragma once
// The lanes of the worker pool, shared by the server (which classifies each request) and the
// pool (which serves the lanes). Kept apart so worker_pool.h need not include server.h.

namespace xks::server {

/// The lane a request waits in for a worker. Workers always take kNormal work first; kLow work
/// has its own (small) queue and may occupy at most half of the workers, so a flood of requests
/// that cannot be authenticated never delays those that can.
enum class RequestPriority { kNormal, kLow };

}  // namespace xks::server
