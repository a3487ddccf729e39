#include "proxy/server/buffer_wipe.h"

#include <string.h>

#include <boost/asio/buffer.hpp>

#include "proxy/common/http_message.h"

namespace xks::server {

void WipeConsumed(ReadBuffer& buffer, const WipeObserver& observer) {
  // Beast keeps consumed bytes in place until the storage is reused; with everything consumed
  // the whole storage is writable again (prepare within the capacity does not reallocate).
  SecretBytes pending(buffer.size());
  boost::asio::buffer_copy(boost::asio::buffer(pending.data(), pending.size()), buffer.data());
  buffer.consume(buffer.size());
  auto storage = buffer.prepare(buffer.capacity());
  // An empty buffer has no storage at all (a null pointer, which explicit_bzero must not get).
  if (storage.size() != 0) explicit_bzero(storage.data(), storage.size());
  if (observer) observer({static_cast<const char*>(storage.data()), storage.size()});
  if (!pending.empty()) {
    auto out = buffer.prepare(pending.size());
    memcpy(out.data(), pending.data(), pending.size());
    buffer.commit(pending.size());
  }
}

void WipeBody(std::string& body, const WipeObserver& observer) {
  const char* storage = body.data();
  const std::size_t capacity = body.capacity();
  WipeString(body);
  if (observer) observer({storage, capacity});
}

}  // namespace xks::server
