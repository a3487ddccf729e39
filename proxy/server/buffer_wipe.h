#pragma once
// Wiping what the server held of a request or a response once it is done with it: the read
// buffer a request was parsed from (an Encrypt's plaintext passes through it) and a sensitive
// response body (a Decrypt's plaintext) once written (docs/operations.md, "Security").
// Thread safety: none; each call works on one connection's buffers, on its strand.

#include <boost/beast/core/flat_buffer.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "base/secret_bytes.h"

namespace xks::server {

/// The read buffer of a connection: its memory is secret memory, so growing it wipes the old
/// storage too.
using ReadBuffer = boost::beast::basic_flat_buffer<ZeroizingAllocator<char>>;

/// Sees a buffer's whole storage right after it was wiped (ServerOptions::after_wipe).
using WipeObserver = std::function<void(std::string_view storage)>;

/// Zeroes all of `buffer`'s storage except the bytes not yet parsed (a pipelined next request),
/// which stay readable as before.
void WipeConsumed(ReadBuffer& buffer, const WipeObserver& observer);

/// Zeroes `body` up to its capacity and empties it.
void WipeBody(std::string& body, const WipeObserver& observer);

}  // namespace xks::server
