#pragma once
// Private to proxy/server: one accepted connection, served by an HttpSession (http_session.cc).

#include <memory>
#include <string>

#include "proxy/server/server_impl.h"

namespace xks::server {

/// A connection as the Impl and its registry see it. CloseIfIdle and ForceClose post to the
/// connection's strand; Run starts serving it (its TLS handshake first, unless plain).
class Session : public RegisteredConnection {
 public:
  virtual void Run() = 0;
};

/// A session for `socket` from `peer` ("ip:port"); `tls` null: plain HTTP (insecure mode).
std::shared_ptr<Session> MakeHttpSession(ServerImpl& server, tcp::socket socket, std::string peer,
                                         std::shared_ptr<ssl::context> tls);

}  // namespace xks::server
