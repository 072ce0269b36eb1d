// The HTTP/1.1 server: one io_context run by a pool of threads, one
// coroutine per connection, and the request pipeline every request passes:
//
//   request id → (route match) → authentication → CSRF → Origin →
//   TOTP-enrolment gate → permission → handler → access log + metrics
//
// Each network read has a deadline and a size limit: headers must arrive
// within header_timeout (slow clients are disconnected), bodies within
// body_timeout and body_limit (413), and an idle keep-alive connection is
// closed after idle_timeout.
//
// Three kinds of route (see Route in http/router.h):
//  - handler: the body is read into Request::body() first (body_limit).
//  - upload: the pipeline runs on the headers alone, then Route::upload is
//    asked for a BodySink (an error is answered before the body is read;
//    "Expect: 100-continue" is answered 100 only once the sink exists), and
//    the body — Content-Length or chunked — is passed to the sink in pieces
//    of at most 64 KiB as it arrives, each read under body_timeout, so memory
//    stays constant whatever the size. Over max_body (or upload_limit) is
//    413; a client that disconnects or stalls mid-body makes the server call
//    BodySink::Abort. Any refusal after the body started closes the
//    connection.
//  - download: Route::download names a file, which is streamed from disk
//    with Range / If-Range / If-None-Match / HEAD support (ServeFile in
//    http/static_files.h) and Content-Disposition when a name is given.
//  - stream: Route::stream is called once the pipeline admitted the GET;
//    the response is 200 text/event-stream without a length, written as
//    events are sent (EventStream in http/router.h), each write under
//    body_timeout, with a comment line (": heartbeat") after
//    stream_heartbeat without events so proxies and clients know it lives.
//    At most max_streams are open at once and max_streams_per_user per
//    principal (429 beyond). Stop() ends every stream. The access log has
//    one line when a stream opens.
// All four are counted in the metrics and the access log alike.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.h"
#include "domain/principal.h"
#include "http/metrics.h"
#include "http/router.h"

namespace lvyuan::http {

// The session cookie set by login and read by the server.
inline constexpr std::string_view kSessionCookie = "__Host-lvyuan";
// The header unsafe cookie-authenticated requests must carry.
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port; see Server::port()
  int threads = 2;
  // Threads that run the handlers of unsafe requests (POST, PUT, PATCH,
  // DELETE): a write waits for its durable commit there, not on a worker.
  int write_threads = 16;
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_timeout{60};  // reading a body; also each write
  std::chrono::seconds idle_timeout{75};  // keep-alive wait for the next request
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 1 << 20;  // buffered bodies (Route::handler)
  // Streamed bodies of upload routes whose max_body is 0.
  std::uint64_t upload_limit = std::uint64_t{8} << 30;
  std::filesystem::path web_root = {};  // empty: no static files
  // Behind a reverse proxy: take the client address from the last
  // X-Forwarded-For entry and the host from X-Forwarded-Host.
  bool trust_proxy = false;
  // How long Stop() lets in-flight requests finish before forcing the end.
  std::chrono::seconds drain_timeout{10};
  // Event streams (Route::stream).
  std::size_t max_streams = 1000;
  std::size_t max_streams_per_user = 8;
  std::chrono::seconds stream_heartbeat{15};
  // Events waiting to be written to one stream; a client that falls further
  // behind loses its stream.
  std::size_t stream_queue_limit = 256;
};

// What the application plugs in. Every hook is called on a pool thread, so
// it must be thread-safe. Unset hooks: authenticate refuses everybody,
// check_csrf refuses, on_denied does nothing, ready reports ready.
struct Hooks {
  // Exactly one of the two credentials is non-empty: the bearer token when an
  // "Authorization: Bearer" header is present, else the __Host-lvyuan
  // cookie's value. An error is answered as is (Unauthenticated → 401).
  std::function<core::Result<std::shared_ptr<const domain::Principal>>(
      std::string_view session_token, std::string_view bearer_token, const Request& request)>
      authenticate;
  // True when `header_value` is the principal's session CSRF token. Only
  // asked for unsafe methods on cookie-authenticated requests.
  std::function<bool(const domain::Principal& principal, std::string_view header_value)> check_csrf;
  // Called before every 403 the pipeline answers (CSRF, Origin, TOTP gate,
  // permission). `reason` is "csrf", "origin", "totp_enrolment" or
  // "permission:<code>"; the request's route_pattern is set.
  std::function<void(const Request& request, const domain::Principal* principal,
                     std::string_view reason)>
      on_denied;
  // /readyz answers 200 when true, 503 when false.
  std::function<bool()> ready;
};

class Server {
 public:
  // Registers the built-in public routes GET /healthz, /readyz and /metrics
  // on `router`, which must outlive the Server and not change after Start().
  Server(ServerOptions options, Router& router, Hooks hooks);
  // Destroy only after Run() has returned, or if it was never called.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. InvalidArgument (field "server.listen") for a bad
  // address, Unavailable when the port cannot be bound.
  core::Status Start();
  // The bound port (useful after Start with port 0).
  std::uint16_t port() const { return bound_port_; }

  // Serves on options.threads threads (the calling one among them) and
  // returns once Stop() has finished. Precondition: Start() succeeded.
  void Run();
  // Stops accepting, closes idle connections, lets in-flight requests finish
  // (at most drain_timeout), then makes Run() return. Thread-safe and
  // idempotent; may be called before Run() or from a handler.
  void Stop();
  // Makes SIGINT and SIGTERM call Stop(). Call before Run().
  void StopOnSignals();

  Metrics& metrics() { return metrics_; }

 private:
  struct Impl;
  Metrics metrics_;  // before impl_, which refers to it
  std::unique_ptr<Impl> impl_;
  std::uint16_t bound_port_ = 0;
};

}  // namespace lvyuan::http
