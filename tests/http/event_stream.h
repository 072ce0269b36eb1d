// Reads a GET /api/v1/stream response (Server-Sent Events) as it arrives,
// over a socket of its own, as a browser's EventSource does. Not
// thread-safe.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lvyuan::http_test {

class EventStream {
 public:
  // Connects and sends the request with the session cookie; throws
  // std::runtime_error when it cannot.
  EventStream(unsigned short port, const std::string& session_cookie) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot connect to the stream");
    }
    const std::string request =
        "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
        "\r\nAccept: text/event-stream\r\nCookie: __Host-lvyuan=" + session_cookie + "\r\n\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      throw std::runtime_error("cannot send the stream request");
    }
  }
  ~EventStream() { ::close(fd_); }
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Reads until `text` has arrived (true), or 20 s passed or the server
  // closed the stream (false).
  bool WaitFor(std::string_view text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (received_.find(text) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || closed_) return false;
      pollfd readable{.fd = fd_, .events = POLLIN, .revents = 0};
      if (::poll(&readable, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        closed_ = true;
      } else {
        received_.append(buffer, static_cast<std::size_t>(n));
      }
    }
    return true;
  }

  // The data of every complete event of type `event` received so far.
  std::vector<boost::json::value> Events(std::string_view event) const {
    std::vector<boost::json::value> out;
    const std::string marker = "event: " + std::string(event) + "\ndata: ";
    for (std::size_t at = received_.find(marker); at != std::string::npos;
         at = received_.find(marker, at + 1)) {
      const std::size_t start = at + marker.size();
      const std::size_t end = received_.find("\n\n", start);
      if (end == std::string::npos) break;
      out.push_back(boost::json::parse(received_.substr(start, end - start)));
    }
    return out;
  }

  // True once the server closed the stream (reads until then, 20 s at most).
  bool WaitForClose() {
    WaitFor("\x01never sent");
    return closed_;
  }
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

}  // namespace lvyuan::http_test
