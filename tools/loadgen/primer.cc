#include "tools/loadgen/primer.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace xks::loadgen {
namespace {

class Primer final : public ConnectionOwner {
 public:
  Primer(const Target& target, RequestTemplate encrypt, RequestSigner& signer, int count,
         std::chrono::milliseconds timeout)
      : encrypt_(std::move(encrypt)),
        signer_(signer),
        count_(count),
        connection_(io_, *target.tls, target.endpoints, target.server_name, target.verify_host,
                    timeout, *this),
        deadline_(io_) {
    deadline_.expires_after(timeout);
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Stop("no answer within the timeout");
    });
  }

  Result<std::vector<std::string>, std::string> Run() {
    connection_.Open();
    io_.run();
    if (!error_.empty()) return Fail(error_);
    return std::move(answers_);
  }

  void OnReady(Connection& c) override { SendNext(c); }

  void OnAnswer(Connection& c, int status, std::string_view body) override {
    if (status != 200) {
      return Stop("the proxy answered HTTP " + std::to_string(status) + " " +
                  ErrorNameOf(status, body));
    }
    answers_.emplace_back(body);
    if (static_cast<int>(answers_.size()) == count_) return Stop("");
    if (c.ready()) SendNext(c);
  }

  void OnFailure(Connection&, std::string_view kind, bool) override {
    Stop("transport failure: " + std::string(kind));
  }

 private:
  void SendNext(Connection& c) {
    signer_.Build(encrypt_, ++number_, std::chrono::system_clock::now(), c.out());
    c.Send();
  }

  void Stop(std::string error) {
    error_ = std::move(error);
    connection_.Close();
    deadline_.cancel();
  }

  boost::asio::io_context io_;
  RequestTemplate encrypt_;
  RequestSigner& signer_;
  int count_;
  Connection connection_;
  boost::asio::steady_timer deadline_;
  std::uint64_t number_ = 0;
  std::vector<std::string> answers_;
  std::string error_;
};

}  // namespace

Result<std::vector<std::string>, std::string> PrimeEncrypts(const Target& target,
                                                            RequestTemplate encrypt,
                                                            RequestSigner& signer, int count,
                                                            std::chrono::milliseconds timeout) {
  Primer primer(target, std::move(encrypt), signer, count, timeout);
  return primer.Run();
}

}  // namespace xks::loadgen
