#pragma once
// Forwarder: the error body writer moved to proxy/common/error_body.h (one writer for the server
// and the API). Kept so server.cc keeps compiling until its include line is switched.

#include "proxy/common/error_body.h"

namespace xks::server {
using ::xks::ErrorBodyJson;
using ::xks::ErrorResponse;
}  // namespace xks::server
