// A small synchronous HTTP/1.1 client over a real TCP socket, for tests that
// talk to a running Server. Not for production use: it blocks, and every
// read gives up after a receive timeout so a misbehaving server fails a
// test instead of hanging it.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lvyuan::http::testing {

using ClientRequest = boost::beast::http::request<boost::beast::http::string_body>;
using ClientResponse = boost::beast::http::response<boost::beast::http::string_body>;
using Headers = std::vector<std::pair<std::string, std::string>>;

class TestClient {
 public:
  explicit TestClient(std::uint16_t port,
                      std::chrono::seconds receive_timeout = std::chrono::seconds(15))
      : port_(port), socket_(ioc_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(receive_timeout.count());
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  std::uint16_t port() const { return port_; }
  boost::asio::ip::tcp::socket& socket() { return socket_; }

  // Sends `request` (Host and Content-Length filled in) and reads the answer.
  // Throws boost::system::system_error on a socket error or timeout.
  ClientResponse Send(ClientRequest request) {
    if (request.find(boost::beast::http::field::host) == request.end()) {
      request.set(boost::beast::http::field::host, "127.0.0.1:" + std::to_string(port_));
    }
    request.prepare_payload();
    boost::beast::http::write(socket_, request);
    return Read(request.method() == boost::beast::http::verb::head);
  }

  ClientResponse Send(boost::beast::http::verb method, std::string target,
                      const Headers& headers = {}, std::string body = {}) {
    ClientRequest request{method, target, 11};
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = std::move(body);
    return Send(std::move(request));
  }

  // Writes raw bytes (for malformed or partial requests).
  void WriteRaw(std::string_view bytes) {
    boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()));
  }

  ClientResponse Read(bool head = false) {
    boost::beast::http::response_parser<boost::beast::http::string_body> parser;
    parser.body_limit(64 << 20);
    if (head) parser.skip(true);
    boost::beast::http::read(socket_, buffer_, parser);
    return parser.release();
  }

  // Waits for the server to close the connection: true on EOF/reset, false
  // when data arrived or the receive timeout expired first.
  bool WaitForClose() {
    char byte;
    boost::system::error_code ec;
    std::size_t n = socket_.read_some(boost::asio::buffer(&byte, 1), ec);
    if (n > 0) return false;
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

 private:
  std::uint16_t port_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// One request on a fresh connection.
inline ClientResponse Fetch(std::uint16_t port, boost::beast::http::verb method, std::string target,
                            const Headers& headers = {}, std::string body = {}) {
  TestClient client(port);
  return client.Send(method, std::move(target), headers, std::move(body));
}

inline boost::json::value BodyJson(const ClientResponse& response) {
  return boost::json::parse(response.body());
}

inline std::string HeaderOf(const ClientResponse& response, std::string_view name) {
  auto it = response.find(boost::beast::string_view(name.data(), name.size()));
  return it == response.end() ? std::string() : std::string(it->value());
}

}  // namespace lvyuan::http::testing
