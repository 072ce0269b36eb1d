#include "http/server.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/object.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <csignal>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>

#include "core/strings.h"
#include "http/access_log.h"
#include "http/json.h"
#include "http/static_files.h"

#ifndef LVYUAN_VERSION
#define LVYUAN_VERSION "0.0.0"
#endif

namespace lvyuan::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using beast_http::field;
using ErrorCode = boost::system::error_code;

// Where the access log and metrics put requests that matched no route, so
// raw paths never become label values.
constexpr std::string_view kUnmatchedRoute = "unmatched";
constexpr std::string_view kStaticRoute = "static";
// The largest piece of an upload body held in memory at a time.
constexpr std::size_t kUploadPiece = 64 * 1024;

std::string_view ToStringView(beast::string_view text) { return {text.data(), text.size()}; }

bool IsWellFormedRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string NewRequestId() {
  // Request ids correlate log lines; they are not secrets, so a per-thread
  // PRNG seeded from the OS is enough.
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (int word = 0; word < 2; ++word) {
    std::uint64_t bits = engine();
    for (int i = 0; i < 16; ++i) {
      id.push_back(kHex[bits & 0xF]);
      bits >>= 4;
    }
  }
  return id;
}

bool IsSafeMethod(Verb method) {
  return method == Verb::get || method == Verb::head || method == Verb::options;
}

// The value of cookie `name` in the request's Cookie headers, empty if none.
std::string_view FindCookie(const Request& request, std::string_view name) {
  auto range = request.message.equal_range(field::cookie);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view rest = ToStringView(it->value());
    while (!rest.empty()) {
      std::size_t semicolon = rest.find(';');
      std::string_view pair = core::TrimBlanks(rest.substr(0, semicolon));
      rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
      std::size_t equals = pair.find('=');
      if (equals == std::string_view::npos) continue;
      if (core::TrimBlanks(pair.substr(0, equals)) != name) continue;
      std::string_view value = core::TrimBlanks(pair.substr(equals + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return {};
}

// The token of an "Authorization: Bearer <token>" header, empty otherwise.
std::string_view FindBearer(const Request& request) {
  std::string_view header = core::TrimBlanks(request.Header("Authorization"));
  if (header.size() < 7) return {};
  if (core::AsciiLower(header.substr(0, 7)) != "bearer ") return {};
  return core::TrimBlanks(header.substr(7));
}

Response Denied(std::string_view message) {
  return ErrorResponse(core::PermissionDenied(std::string(message)));
}

template <class Body>
void FinishHeaders(beast_http::response<Body>& response, const Request& request, bool keep_alive) {
  response.version(11);
  response.set("X-Request-Id", request.request_id);
  if (response.find("X-Content-Type-Options") == response.end()) {
    response.set("X-Content-Type-Options", "nosniff");
  }
  bool api = request.path == "/api" || request.path.starts_with("/api/");
  if (api && response.find(field::cache_control) == response.end()) {
    response.set(field::cache_control, "no-store");
  }
  response.keep_alive(keep_alive);
}

// Writes a message piece by piece, each piece under its own deadline, so a
// large download is not cut off by one overall timeout but a stalled reader is.
template <class Body>
asio::awaitable<bool> WriteMessage(beast::tcp_stream& stream, beast_http::response<Body>& message,
                                   std::chrono::seconds timeout) {
  beast_http::response_serializer<Body> serializer{message};
  ErrorCode ec;
  while (!serializer.is_done()) {
    stream.expires_after(timeout);
    co_await beast_http::async_write_some(stream, serializer,
                                          asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
  }
  co_return true;
}

// Writes a buffered response: its header block, formatted into `head` (the
// connection's, reused), and the body in one gather write, each write under
// its own deadline. Cheaper than Beast's serializer for the common case; a
// chunked response goes through WriteMessage.
asio::awaitable<bool> WriteBuffered(beast::tcp_stream& stream, Response& message, std::string& head,
                                    std::chrono::seconds timeout) {
  if (message.chunked()) co_return co_await WriteMessage(stream, message, timeout);
  head.clear();
  head += "HTTP/1.1 ";
  head += std::to_string(message.result_int());
  head += ' ';
  head += ToStringView(message.reason());
  head += "\r\n";
  for (const auto& entry : message) {
    head += ToStringView(entry.name_string());
    head += ": ";
    head += ToStringView(entry.value());
    head += "\r\n";
  }
  head += "\r\n";
  asio::const_buffer head_left = asio::buffer(head);
  asio::const_buffer body_left = asio::buffer(message.body());
  ErrorCode ec;
  while (head_left.size() + body_left.size() > 0) {
    stream.expires_after(timeout);
    const std::array<asio::const_buffer, 2> pieces{head_left, body_left};
    std::size_t written =
        co_await stream.async_write_some(pieces, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    const std::size_t from_head = std::min(written, head_left.size());
    head_left += from_head;
    body_left += written - from_head;
  }
  co_return true;
}

std::string QuotedEtag(std::string_view etag) {
  if (etag.empty() || etag.front() == '"' || etag.starts_with("W/")) return std::string(etag);
  return "\"" + std::string(etag) + "\"";
}

// Content-Disposition for a download named `filename` (RFC 6266): an ASCII
// fallback for old clients and the UTF-8 name in filename* (RFC 8187).
std::string AttachmentDisposition(std::string_view filename) {
  std::string fallback;
  std::string encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : filename) {
    auto byte = static_cast<unsigned char>(c);
    bool printable = byte >= 0x20 && byte < 0x7F;
    fallback.push_back(printable && c != '"' && c != '\\' ? c : '_');
    bool attr_char =
        std::isalnum(byte) || std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
    if (attr_char) {
      encoded.push_back(c);
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[byte >> 4]);
      encoded.push_back(kHex[byte & 0xF]);
    }
  }
  return "attachment; filename=\"" + fallback + "\"; filename*=UTF-8''" + encoded;
}

// Holds an upload's sink and makes sure it hears Abort when the body will not
// be completed, whichever way the coroutine leaves (including the server
// stopping with the upload in flight).
class SinkGuard {
 public:
  explicit SinkGuard(std::unique_ptr<BodySink> sink) : sink_(std::move(sink)) {}
  SinkGuard(const SinkGuard&) = delete;
  SinkGuard& operator=(const SinkGuard&) = delete;
  ~SinkGuard() { Abort(); }

  BodySink& sink() { return *sink_; }
  void Abort() {
    if (!sink_) return;
    std::unique_ptr<BodySink> sink = std::move(sink_);
    try {
      sink->Abort();
    } catch (const std::exception& e) {
      spdlog::error("upload sink Abort threw: {}", e.what());
    } catch (...) {
      spdlog::error("upload sink Abort threw a non-exception");
    }
  }
  // Hands the sink over for Finish; Abort is then no longer due.
  std::unique_ptr<BodySink> Release() { return std::move(sink_); }

 private:
  std::unique_ptr<BodySink> sink_;
};

// The EventStream of one open stream response. Send and Close come from any
// thread; the connection's coroutine takes the queued frames on its own
// thread and is woken through the timer it waits on (cancelled on that
// thread, by a posted handler). The timer lives in the coroutine, which
// detaches it before it ends: a handler may keep this object longer than the
// connection, or even the server, lives.
class StreamState final : public EventStream, public std::enable_shared_from_this<StreamState> {
 public:
  explicit StreamState(std::size_t queue_limit)
      : queue_limit_(std::max<std::size_t>(1, queue_limit)) {}

  bool Send(std::string_view event, std::string_view data) override {
    std::string frame = "event: ";
    for (char c : event) frame.push_back(c == '\r' || c == '\n' ? ' ' : c);
    frame += '\n';
    std::size_t begin = 0;
    for (;;) {
      const std::size_t end = data.find('\n', begin);
      std::string_view line =
          data.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      frame += "data: ";
      frame += line;
      frame += '\n';
      if (end == std::string_view::npos) break;
      begin = end + 1;
    }
    frame += '\n';
    bool open = true;
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      if (queue_.size() >= queue_limit_) {
        closed_ = true;  // too far behind: what is queued still goes out, then the end
        open = false;
      } else {
        queue_.push_back(std::move(frame));
      }
    }
    Wake();
    return open;
  }

  void Close() override {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    Wake();
  }

  // On the connection's thread: the timer the coroutine waits on, until
  // Detach (before the coroutine ends).
  void Attach(asio::steady_timer& timer) {
    std::lock_guard lock(mu_);
    timer_ = &timer;
    executor_ = timer.get_executor();
  }
  void Detach() {
    std::lock_guard lock(mu_);
    timer_ = nullptr;
    executor_ = asio::any_io_executor();
    closed_ = true;
  }

  bool closed() const override {
    std::lock_guard lock(mu_);
    return closed_;
  }

  // On the connection's thread: every queued frame, and whether the stream
  // is closed.
  std::string Take(bool& closed) {
    std::lock_guard lock(mu_);
    std::string frames;
    for (std::string& frame : queue_) frames += frame;
    queue_.clear();
    closed = closed_;
    return frames;
  }

 private:
  void Wake() {
    std::lock_guard lock(mu_);
    if (timer_ == nullptr) return;
    asio::post(executor_, [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard running(self->mu_);
      if (self->timer_ != nullptr) self->timer_->cancel();
    });
  }

  const std::size_t queue_limit_;
  mutable std::mutex mu_;  // guards the members below
  std::deque<std::string> queue_;
  bool closed_ = false;
  asio::steady_timer* timer_ = nullptr;  // set between Attach and Detach
  asio::any_io_executor executor_;       // the timer's
};

}  // namespace

struct Server::Impl {
  struct Connection {
    explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    // Set while a request is being read past its headers, handled or
    // answered: Stop() leaves such connections to finish. Only touched on the
    // connection's strand.
    bool busy = false;
  };

  // What one request left for the access log.
  struct Outcome {
    std::string route;
    std::string user;
    unsigned status = 0;
    std::uint64_t bytes = 0;
  };

  Impl(ServerOptions opts, Router& r, Hooks h, Metrics& m)
      : options(std::move(opts)),
        router(r),
        hooks(std::move(h)),
        metrics(m),
        static_files(options.web_root),
        ioc(1),
        writers(static_cast<std::size_t>(std::max(1, options.write_threads))),
        acceptor_strand(asio::make_strand(ioc)),
        acceptor(acceptor_strand) {
    const int threads = options.threads > 0 ? options.threads : 1;
    for (int i = 0; i < threads; ++i) {
      workers.push_back(std::make_unique<asio::io_context>(1));
      work_guards.emplace_back(asio::make_work_guard(*workers.back()));
    }
  }

  const ServerOptions options;
  Router& router;
  const Hooks hooks;
  Metrics& metrics;
  const StaticFiles static_files;

  // The acceptor, the signal set and the drain timer run on ioc (the thread
  // that calls Run); connections are handed round-robin to the workers, one
  // single-threaded io_context per thread, so a connection's handlers never
  // need a strand or a lock.
  asio::io_context ioc;
  std::vector<std::unique_ptr<asio::io_context>> workers;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_guards;
  std::size_t next_worker = 0;  // only touched by the accept loop
  // Handlers of unsafe requests (writes) run here, so that while one waits
  // for its commit's fsync the workers keep serving, and concurrent writes
  // reach the store together and share one commit (group commit).
  asio::thread_pool writers;
  // The acceptor, the signal set and the drain timer live on this strand.
  asio::strand<asio::io_context::executor_type> acceptor_strand;
  tcp::acceptor acceptor;
  std::optional<asio::signal_set> signals;
  std::optional<asio::steady_timer> drain_timer;

  std::atomic<bool> stopping{false};
  std::mutex connections_mu;  // guards connections
  std::set<std::shared_ptr<Connection>> connections;

  std::mutex streams_mu;  // guards streams and streams_per_user
  std::set<std::shared_ptr<StreamState>> streams;
  std::map<std::string, std::size_t> streams_per_user;

  // Ends Run(): stops the acceptor's context and every worker.
  void StopAll() {
    writers.stop();
    for (auto& guard : work_guards) guard.reset();
    for (auto& worker : workers) worker->stop();
    ioc.stop();
  }

  void Register(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(connections_mu);
    connections.insert(connection);
  }
  void Unregister(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(connections_mu);
    connections.erase(connection);
  }
  std::size_t ConnectionCount() {
    std::lock_guard lock(connections_mu);
    return connections.size();
  }

  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(std::shared_ptr<Connection> connection);
  void BeginStop();
  void WaitForDrain(std::chrono::steady_clock::time_point deadline);

  // Where a request goes, decided from its headers alone.
  struct Resolved {
    const Route* route = nullptr;    // the matched route, if any
    std::optional<Response> answer;  // set when routing already answers (400, 404, 405)
  };
  // What receiving an upload left: the answer, and whether the connection
  // must close (the body was not consumed) or was lost (no answer at all).
  struct UploadResult {
    std::optional<Response> answer;
    bool close = false;
    bool lost = false;
  };

  std::string ClientIp(const Request& request, const std::string& peer) const;
  bool OriginMatchesHost(const Request& request) const;
  Resolved Resolve(Request& request, Outcome& outcome) const;
  StaticResponse Dispatch(const Resolved& resolved, Request& request,
                          std::shared_ptr<const domain::Principal>& principal, Outcome& outcome);
  // Runs the route's pipeline; a refusal, or nullopt when the request may go on.
  std::optional<Response> Admit(const Route& route, Request& request,
                                std::shared_ptr<const domain::Principal>& principal);
  StaticResponse RunRoute(const Route& route, Request& request,
                          std::shared_ptr<const domain::Principal>& principal);
  StaticResponse RunDownload(const Route& route, Request& request);
  // Calls `run`, turning an exception into a logged 500.
  template <class Result, class Function>
  Result Guarded(const Request& request, std::string_view what, Function&& run);
  asio::awaitable<UploadResult> ReceiveUpload(
      beast::tcp_stream& stream, beast::flat_buffer& buffer,
      beast_http::request_parser<beast_http::string_body>& parser, const Route& route,
      Request& request, std::shared_ptr<const domain::Principal>& principal);
  Response Deny(const Request& request, const domain::Principal* principal, std::string_view reason,
                std::string_view message) const;
  // Answers a stream route: runs the pipeline and the limits, then writes
  // the stream until it ends. nullopt once the stream was served (the
  // connection is then done), or the refusal to answer instead.
  asio::awaitable<std::optional<Response>> ServeStream(
      beast::tcp_stream& stream, const Route& route, Request& request,
      std::shared_ptr<const domain::Principal>& principal, Outcome& outcome,
      std::chrono::steady_clock::time_point started, const std::string& peer);
};

std::string Server::Impl::ClientIp(const Request& request, const std::string& peer) const {
  if (!options.trust_proxy) return peer;
  std::string_view forwarded = request.Header("X-Forwarded-For");
  if (forwarded.empty()) return peer;
  // The proxy appends the address it saw; earlier entries are client claims.
  std::size_t comma = forwarded.rfind(',');
  std::string_view last =
      core::TrimBlanks(comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1));
  ErrorCode ec;
  asio::ip::address address = asio::ip::make_address(std::string(last), ec);
  return ec ? peer : address.to_string();
}

bool Server::Impl::OriginMatchesHost(const Request& request) const {
  std::string_view origin = request.Header("Origin");
  if (origin.empty()) return true;
  std::string_view host = request.Header("Host");
  if (options.trust_proxy && !request.Header("X-Forwarded-Host").empty()) {
    host = request.Header("X-Forwarded-Host");
  }
  auto parsed = boost::urls::parse_absolute_uri(origin);
  if (!parsed) return false;
  std::string scheme = core::AsciiLower(ToStringView(parsed->scheme()));
  if (scheme != "http" && scheme != "https") return false;
  return core::AsciiLower(ToStringView(parsed->encoded_host_and_port())) ==
         core::AsciiLower(core::TrimBlanks(host));
}

Response Server::Impl::Deny(const Request& request, const domain::Principal* principal,
                            std::string_view reason, std::string_view message) const {
  if (hooks.on_denied) hooks.on_denied(request, principal, reason);
  return Denied(message);
}

template <class T>
struct IsResult : std::false_type {};
template <class T>
struct IsResult<core::Result<T>> : std::true_type {};

template <class Result, class Function>
Result Server::Impl::Guarded(const Request& request, std::string_view what, Function&& run) {
  try {
    return run();
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {}: {} threw: {}", request.request_id,
                  ToStringView(request.message.method_string()), request.route_pattern, what,
                  e.what());
  } catch (...) {
    spdlog::error("request {} {} {}: {} threw a non-exception", request.request_id,
                  ToStringView(request.message.method_string()), request.route_pattern, what);
  }
  core::Error error = core::Internal(std::string(what) + " threw");
  if constexpr (IsResult<Result>::value) {
    return error;
  } else {
    return ErrorResponse(error);
  }
}

std::optional<Response> Server::Impl::Admit(const Route& route, Request& request,
                                            std::shared_ptr<const domain::Principal>& principal) {
  if (route.auth == Auth::kSession) {
    std::string_view bearer = FindBearer(request);
    std::string_view cookie = bearer.empty() ? FindCookie(request, kSessionCookie) : "";
    if (bearer.empty() && cookie.empty()) {
      return ErrorResponse(core::Unauthenticated("请先登录"));
    }
    if (!hooks.authenticate) return ErrorResponse(core::Unauthenticated("请先登录"));
    core::Result<std::shared_ptr<const domain::Principal>> authenticated =
        hooks.authenticate(cookie, bearer, request);
    if (!authenticated.ok()) return ErrorResponse(authenticated.error());
    principal = std::move(authenticated).value();
    request.principal = &*principal;
    bool via_cookie = bearer.empty();
    if (via_cookie && !IsSafeMethod(request.method())) {
      std::string_view csrf = request.Header(kCsrfHeader);
      if (csrf.empty() || !hooks.check_csrf || !hooks.check_csrf(*principal, csrf)) {
        return Deny(request, request.principal, "csrf", "缺少或错误的 CSRF 令牌");
      }
      if (!OriginMatchesHost(request)) {
        return Deny(request, request.principal, "origin", "请求来源不被允许");
      }
    }
    if (principal->must_enrol_totp && !route.allow_pending_totp) {
      return Deny(request, request.principal, "totp_enrolment", "请先绑定动态口令（TOTP）");
    }
    if (!route.permission.empty() && !principal->Has(route.permission)) {
      return Deny(request, request.principal, "permission:" + route.permission,
                  "没有权限执行此操作");
    }
  } else if (!IsSafeMethod(request.method()) && !OriginMatchesHost(request)) {
    // A public unsafe route (login) posted from another site: refusing it
    // stops login CSRF, where a page signs the victim into the attacker's
    // account.
    return Deny(request, nullptr, "origin", "请求来源不被允许");
  }
  return std::nullopt;
}

StaticResponse Server::Impl::RunRoute(const Route& route, Request& request,
                                      std::shared_ptr<const domain::Principal>& principal) {
  if (std::optional<Response> refused = Admit(route, request, principal)) return *refused;
  if (route.download) return RunDownload(route, request);
  if (route.stream) {  // a HEAD on a stream route: there is no entity to describe
    return ErrorResponse(405, core::Error{core::ErrorCode::kUnimplemented, "不支持该请求方法", {}});
  }
  return route.handler(request);
}

StaticResponse Server::Impl::RunDownload(const Route& route, Request& request) {
  core::Result<FileReply> reply = route.download(request);
  if (!reply.ok()) return ErrorResponse(reply.error());
  // Removed when this returns: by then ServeFile holds the file open (the
  // bytes stay readable until it is closed) or answers without it.
  struct RemoveAfter {
    const FileReply& reply;
    ~RemoveAfter() {
      std::error_code ignored;
      if (reply.remove_after_open) std::filesystem::remove(reply.path, ignored);
    }
  } remove_after{*reply};
  std::error_code ec;
  bool regular = std::filesystem::is_regular_file(reply->path, ec);
  std::uint64_t size = regular ? std::filesystem::file_size(reply->path, ec) : 0;
  if (!regular || ec) {
    spdlog::warn("request {} {}: download file missing: {}", request.request_id,
                 request.route_pattern, reply->path.string());
    return ErrorResponse(core::NotFound("文件不存在"));
  }
  beast_http::response_header<> header;
  header.set(field::content_type,
             reply->content_type.empty() ? "application/octet-stream" : reply->content_type);
  if (!reply->etag.empty()) header.set(field::etag, QuotedEtag(reply->etag));
  if (!reply->filename.empty()) {
    header.set(field::content_disposition, AttachmentDisposition(reply->filename));
  }
  for (const auto& [name, value] : reply->headers) header.set(name, value);
  return ServeFile(request, reply->path, size, std::move(header), /*ranges=*/true);
}

Server::Impl::Resolved Server::Impl::Resolve(Request& request, Outcome& outcome) const {
  outcome.route = kUnmatchedRoute;
  Resolved resolved;
  auto target = boost::urls::parse_origin_form(ToStringView(request.message.target()));
  if (!target) {
    request.path = "/";
    resolved.answer = ErrorResponse(core::InvalidArgument("请求地址不合法"));
    return resolved;
  }
  request.path = std::string(ToStringView(target->encoded_path()));
  for (auto param : target->params()) {
    request.query.emplace(param.key, param.has_value ? param.value : std::string());
  }
  core::Result<std::vector<std::string>> segments = SplitPath(request.path);
  if (!segments.ok()) {
    resolved.answer = ErrorResponse(segments.error());
    return resolved;
  }
  Router::Match match = router.Find(request.method(), segments.value());
  switch (match.kind) {
    case Router::MatchKind::kFound:
      request.route_pattern = match.route->pattern;
      request.path_params = std::move(match.params);
      outcome.route = request.route_pattern;
      resolved.route = match.route;
      return resolved;
    case Router::MatchKind::kMethodNotAllowed: {
      Response response =
          ErrorResponse(405, core::Error{core::ErrorCode::kUnimplemented, "不支持该请求方法", {}});
      std::string allow;
      for (Verb verb : match.allowed) {
        if (!allow.empty()) allow += ", ";
        allow += ToStringView(beast_http::to_string(verb));
      }
      response.set(field::allow, allow);
      resolved.answer = std::move(response);
      return resolved;
    }
    case Router::MatchKind::kNotFound:
      break;
  }
  if (request.path == "/api" || request.path.starts_with("/api/")) {
    resolved.answer = ErrorResponse(core::NotFound("接口不存在"));
    return resolved;
  }
  outcome.route = kStaticRoute;
  return resolved;
}

StaticResponse Server::Impl::Dispatch(const Resolved& resolved, Request& request,
                                      std::shared_ptr<const domain::Principal>& principal,
                                      Outcome& outcome) {
  if (resolved.answer) return *resolved.answer;
  if (resolved.route == nullptr) return static_files.Serve(request);
  StaticResponse response = Guarded<StaticResponse>(
      request, "handler", [&] { return RunRoute(*resolved.route, request, principal); });
  if (principal) outcome.user = principal->username;
  request.principal = nullptr;
  return response;
}

asio::awaitable<Server::Impl::UploadResult> Server::Impl::ReceiveUpload(
    beast::tcp_stream& stream, beast::flat_buffer& buffer,
    beast_http::request_parser<beast_http::string_body>& parser, const Route& route,
    Request& request, std::shared_ptr<const domain::Principal>& principal) {
  UploadResult result;
  const bool body_pending = !parser.is_done();
  std::optional<Response> refused = Guarded<std::optional<Response>>(
      request, "authentication", [&] { return Admit(route, request, principal); });
  if (refused) {
    result.answer = std::move(refused);
    result.close = body_pending;
    co_return result;
  }
  const std::uint64_t limit = route.max_body != 0 ? route.max_body : options.upload_limit;
  auto length = parser.content_length();
  if (length && *length > limit) {
    result.answer = ErrorResponse(413, core::ResourceExhausted("请求体过大"));
    result.close = true;
    co_return result;
  }

  core::Result<std::unique_ptr<BodySink>> opened = Guarded<core::Result<std::unique_ptr<BodySink>>>(
      request, "upload", [&] { return route.upload(request); });
  if (opened.ok() && opened.value() == nullptr) opened = core::Internal("upload gave no sink");
  if (!opened.ok()) {
    result.answer = ErrorResponse(opened.error());
    result.close = body_pending;
    co_return result;
  }
  SinkGuard guard(std::move(opened).value());

  ErrorCode ec;
  std::uint64_t received = 0;
  if (body_pending) {
    if (core::AsciiLower(request.Header("Expect")) == "100-continue") {
      beast_http::response<beast_http::empty_body> proceed{beast_http::status::continue_, 11};
      stream.expires_after(options.body_timeout);
      co_await beast_http::async_write(stream, proceed,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        result.lost = true;
        co_return result;
      }
    }
    beast_http::request_parser<beast_http::buffer_body> body_parser{std::move(parser)};
    body_parser.body_limit(limit);
    // Beast reads as much as the buffer's free capacity; a buffer grown to one
    // piece turns a 2 GB upload into 64 KiB reads instead of 4 KiB ones.
    buffer.reserve(kUploadPiece);
    std::vector<std::uint8_t> piece(kUploadPiece);
    while (!body_parser.is_done()) {
      body_parser.get().body().data = piece.data();
      body_parser.get().body().size = piece.size();
      stream.expires_after(options.body_timeout);
      co_await beast_http::async_read(stream, buffer, body_parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
      if (ec == beast_http::error::need_buffer) ec = {};
      std::size_t got = piece.size() - body_parser.get().body().size;
      if (got > 0) {
        received += got;
        core::Status written = Guarded<core::Status>(request, "upload sink", [&]() -> core::Status {
          return guard.sink().Write(std::span<const std::uint8_t>(piece.data(), got));
        });
        if (!written.ok()) {
          guard.Abort();
          result.answer = ErrorResponse(written.error());
          result.close = true;
          co_return result;
        }
      }
      if (ec == beast_http::error::body_limit) {
        guard.Abort();
        result.answer = ErrorResponse(413, core::ResourceExhausted("请求体过大"));
        result.close = true;
        co_return result;
      }
      if (ec) {
        guard.Abort();
        spdlog::info("request {} {} {}: upload ended after {} bytes: {}", request.request_id,
                     ToStringView(request.message.method_string()), request.route_pattern, received,
                     ec.message());
        bool malformed = ec.category() == ErrorCode(beast_http::error::bad_chunk).category() &&
                         ec != beast_http::error::partial_message;
        if (malformed) {
          result.answer = ErrorResponse(400, core::InvalidArgument("请求格式错误"));
          result.close = true;
        } else {
          result.lost = true;
        }
        co_return result;
      }
    }
  }
  std::unique_ptr<BodySink> sink = guard.Release();
  result.answer = Guarded<Response>(request, "upload sink", [&] { return sink->Finish(); });
  co_return result;
}

asio::awaitable<std::optional<Response>> Server::Impl::ServeStream(
    beast::tcp_stream& stream, const Route& route, Request& request,
    std::shared_ptr<const domain::Principal>& principal, Outcome& outcome,
    std::chrono::steady_clock::time_point started, const std::string& peer) {
  std::optional<Response> refused = Guarded<std::optional<Response>>(
      request, "authentication", [&] { return Admit(route, request, principal); });
  if (principal) outcome.user = principal->username;
  if (refused) {
    request.principal = nullptr;
    co_return refused;
  }
  const std::string user_key = principal ? principal->username : request.client_ip;
  auto state = std::make_shared<StreamState>(options.stream_queue_limit);
  asio::steady_timer timer(stream.get_executor());
  state->Attach(timer);
  {
    std::lock_guard lock(streams_mu);
    if (stopping.load()) {
      request.principal = nullptr;
      co_return ErrorResponse(core::Unavailable("服务正在停止"));
    }
    std::size_t& mine = streams_per_user[user_key];
    if (streams.size() >= options.max_streams || mine >= options.max_streams_per_user) {
      if (mine == 0) streams_per_user.erase(user_key);
      request.principal = nullptr;
      co_return ErrorResponse(429,
                              core::ResourceExhausted("打开的事件流过多，请关闭其他页面后重试"));
    }
    ++mine;
    streams.insert(state);
  }
  struct Unregister {
    Impl& impl;
    const std::shared_ptr<StreamState>& state;
    const std::string& user_key;
    ~Unregister() {
      state->Detach();
      std::lock_guard lock(impl.streams_mu);
      impl.streams.erase(state);
      auto it = impl.streams_per_user.find(user_key);
      if (it != impl.streams_per_user.end() && --it->second == 0) impl.streams_per_user.erase(it);
    }
  } unregister{*this, state, user_key};
  core::Status opened = Guarded<core::Status>(request, "stream handler",
                                              [&] { return route.stream(request, state); });
  request.principal = nullptr;
  if (!opened.ok()) co_return ErrorResponse(opened.error());

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics.RecordRequest(outcome.route, ToStringView(request.message.method_string()), 200, seconds);
  LogAccess(AccessRecord{
      .request_id = request.request_id,
      .client_ip = request.client_ip.empty() ? peer : request.client_ip,
      .method = ToStringView(request.message.method_string()),
      .path = request.path,
      .route = outcome.route,
      .status = 200,
      .bytes = 0,
      .duration_ms = seconds * 1000,
      .user = outcome.user,
  });
  // No length: the body ends when the connection does.
  std::string frames =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "X-Accel-Buffering: no\r\n"
      "X-Request-Id: " +
      request.request_id +
      "\r\n"
      "Connection: close\r\n\r\n";
  ErrorCode ec;
  for (;;) {
    if (!frames.empty()) {
      stream.expires_after(options.body_timeout);
      co_await asio::async_write(stream, asio::buffer(frames),
                                 asio::redirect_error(asio::use_awaitable, ec));
      stream.expires_never();
      if (ec) break;
    }
    bool closed = false;
    frames = state->Take(closed);
    if (!frames.empty()) continue;
    if (closed || stopping.load()) break;
    timer.expires_after(options.stream_heartbeat);
    ErrorCode woken;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, woken));
    if (!woken) frames = ": heartbeat\n\n";  // else events or Close: take them
  }
  co_return std::nullopt;
}

asio::awaitable<void> Server::Impl::Session(std::shared_ptr<Connection> connection) {
  metrics.ConnectionOpened();
  Register(connection);
  struct Cleanup {
    Impl& impl;
    std::shared_ptr<Connection>& connection;
    ~Cleanup() {
      impl.Unregister(connection);
      impl.metrics.ConnectionClosed();
    }
  } cleanup{*this, connection};

  beast::tcp_stream& stream = connection->stream;
  ErrorCode ec;
  std::string peer;
  {
    auto endpoint = stream.socket().remote_endpoint(ec);
    peer = ec ? std::string("-") : endpoint.address().to_string();
  }
  beast::flat_buffer buffer;
  std::string header_block;  // a response's header block, reused (WriteBuffered)
  bool first = true;
  bool linger = false;  // close politely: the client may still be sending
  while (!stopping.load()) {
    if (!first && buffer.size() == 0) {
      // Keep-alive: wait for the next request's first bytes.
      stream.expires_after(options.idle_timeout);
      std::size_t n = co_await stream.async_read_some(
          buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      buffer.commit(n);
    }
    first = false;

    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    // The limit depends on the route, known only once the headers are in.
    parser.body_limit(boost::none);
    stream.expires_after(options.header_timeout);
    co_await beast_http::async_read_header(stream, buffer, parser,
                                           asio::redirect_error(asio::use_awaitable, ec));
    auto started = std::chrono::steady_clock::now();
    connection->busy = true;

    Request request;
    std::shared_ptr<const domain::Principal> principal;
    Outcome outcome;
    std::optional<StaticResponse> answer;
    bool keep_alive = false;
    if (ec) {
      if (ec == beast_http::error::header_limit) {
        answer = ErrorResponse(431, core::InvalidArgument("请求头过大"));
      } else if (ec == beast_http::error::end_of_stream || ec == beast::error::timeout ||
                 ec == asio::error::operation_aborted || ec == asio::error::eof ||
                 ec == asio::error::connection_reset || !parser.got_some()) {
        break;
      } else {
        answer = ErrorResponse(400, core::InvalidArgument("请求格式错误"));
      }
      linger = true;
      request.path = "-";
    } else {
      // Without a body the parser is done: the message moves out whole;
      // otherwise the headers are copied and the body read once routed.
      const bool whole = parser.is_done();
      if (whole) {
        request.message = parser.release();
      } else {
        request.message.base() = parser.get().base();
      }
      std::string_view incoming_id = request.Header("X-Request-Id");
      request.request_id =
          IsWellFormedRequestId(incoming_id) ? std::string(incoming_id) : NewRequestId();
      request.client_ip = ClientIp(request, peer);

      Resolved resolved = Resolve(request, outcome);
      auto length = parser.content_length();
      if (resolved.route != nullptr && resolved.route->upload) {
        UploadResult upload =
            co_await ReceiveUpload(stream, buffer, parser, *resolved.route, request, principal);
        if (principal) outcome.user = principal->username;
        request.principal = nullptr;
        if (upload.lost) break;
        answer = std::move(*upload.answer);
        linger = upload.close;
        keep_alive = request.message.keep_alive();
      } else if (length && *length > options.body_limit) {
        answer = ErrorResponse(413, core::ResourceExhausted("请求体过大"));
        linger = true;
      } else {
        if (!parser.is_done()) {
          if (core::AsciiLower(request.Header("Expect")) == "100-continue") {
            beast_http::response<beast_http::empty_body> proceed{beast_http::status::continue_, 11};
            stream.expires_after(options.body_timeout);
            co_await beast_http::async_write(stream, proceed,
                                             asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
          }
          parser.body_limit(options.body_limit);
          stream.expires_after(options.body_timeout);
          co_await beast_http::async_read(stream, buffer, parser,
                                          asio::redirect_error(asio::use_awaitable, ec));
          if (ec == beast_http::error::body_limit) {
            answer = ErrorResponse(413, core::ResourceExhausted("请求体过大"));
            linger = true;
          } else if (ec) {
            break;
          }
        }
        if (!answer) {
          if (!whole) request.message = parser.release();
          keep_alive = request.message.keep_alive();
          if (resolved.route != nullptr && resolved.route->stream &&
              request.method() == Verb::get) {
            std::optional<Response> refused = co_await ServeStream(
                stream, *resolved.route, request, principal, outcome, started, peer);
            if (!refused) break;  // served: the stream's end is the connection's
            answer = std::move(*refused);
          } else if (IsSafeMethod(request.method()) &&
                     (resolved.route == nullptr || !resolved.route->writes)) {
            answer = Dispatch(resolved, request, principal, outcome);
          } else {
            answer = co_await asio::co_spawn(
                writers,
                [&]() -> asio::awaitable<StaticResponse> {
                  co_return Dispatch(resolved, request, principal, outcome);
                },
                asio::use_awaitable);
          }
        }
      }
    }
    if (request.request_id.empty()) request.request_id = NewRequestId();
    if (request.path.empty()) request.path = "-";
    keep_alive = keep_alive && !linger && !stopping.load();
    bool head = request.method() == Verb::head;

    // Log and count before writing, so both are complete once the client
    // has its answer; the duration is the time until the response was ready.
    Response* string_response = std::get_if<Response>(&*answer);
    FileResponse* file_response = std::get_if<FileResponse>(&*answer);
    if (string_response != nullptr) {
      unsigned code = string_response->result_int();
      bool bodiless = code == 204 || code == 304 || (code >= 100 && code < 200);
      if (!bodiless && !string_response->has_content_length() && !string_response->chunked()) {
        string_response->prepare_payload();
      }
      if (head) string_response->body().clear();  // Content-Length still tells the size
      FinishHeaders(*string_response, request, keep_alive);
      outcome.status = code;
      outcome.bytes = string_response->body().size();
    } else {
      FinishHeaders(*file_response, request, keep_alive);
      outcome.status = file_response->result_int();
      outcome.bytes = file_response->body().length;
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics.RecordRequest(outcome.route.empty() ? kUnmatchedRoute : outcome.route,
                          ToStringView(request.message.method_string()), outcome.status, seconds);
    LogAccess(AccessRecord{
        .request_id = request.request_id,
        .client_ip = request.client_ip.empty() ? peer : request.client_ip,
        .method = ToStringView(request.message.method_string()),
        .path = request.path,
        .route = outcome.route,
        .status = outcome.status,
        .bytes = outcome.bytes,
        .duration_ms = seconds * 1000,
        .user = outcome.user,
    });
    bool written =
        string_response != nullptr
            ? co_await WriteBuffered(stream, *string_response, header_block, options.body_timeout)
            : co_await WriteMessage(stream, *file_response, options.body_timeout);
    connection->busy = false;
    if (!written || !keep_alive) break;
  }

  if (linger) {
    // Half-close and drain briefly so the client reads our error response
    // instead of a reset caused by its unread request bytes.
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(2));
    std::size_t drained = 0;
    while (!ec && drained < (1u << 20)) {
      buffer.clear();
      drained += co_await stream.async_read_some(buffer.prepare(16384),
                                                 asio::redirect_error(asio::use_awaitable, ec));
    }
  } else {
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
  stream.close();
}

asio::awaitable<void> Server::Impl::AcceptLoop() {
  for (;;) {
    tcp::socket socket(workers[next_worker++ % workers.size()]->get_executor());
    ErrorCode ec;
    co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (stopping.load() || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors and similar: back off instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor_strand, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket));
    auto executor = connection->stream.get_executor();
    asio::co_spawn(executor, Session(std::move(connection)), [](std::exception_ptr error) {
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::error("connection ended by an exception: {}", e.what());
      }
    });
  }
}

void Server::Impl::BeginStop() {
  // Runs on acceptor_strand.
  if (drain_timer) return;
  {
    std::lock_guard lock(connections_mu);
    stopping.store(true);
  }
  ErrorCode ec;
  acceptor.close(ec);
  if (signals) signals->cancel(ec);
  std::vector<std::shared_ptr<Connection>> snapshot;
  {
    std::lock_guard lock(connections_mu);
    snapshot.assign(connections.begin(), connections.end());
  }
  for (auto& connection : snapshot) {
    asio::post(connection->stream.get_executor(), [connection] {
      if (!connection->busy) connection->stream.cancel();
    });
  }
  {
    std::lock_guard lock(streams_mu);
    for (const auto& stream : streams) stream->Close();
  }
  drain_timer.emplace(acceptor_strand);
  WaitForDrain(std::chrono::steady_clock::now() + options.drain_timeout);
}

void Server::Impl::WaitForDrain(std::chrono::steady_clock::time_point deadline) {
  if (ConnectionCount() == 0 || std::chrono::steady_clock::now() >= deadline) {
    if (ConnectionCount() != 0) {
      spdlog::warn("stopping with {} connection(s) still open", ConnectionCount());
    }
    StopAll();
    return;
  }
  drain_timer->expires_after(std::chrono::milliseconds(20));
  drain_timer->async_wait([this, deadline](ErrorCode) { WaitForDrain(deadline); });
}

Server::Server(ServerOptions options, Router& router, Hooks hooks)
    : metrics_(LVYUAN_VERSION),
      impl_(std::make_unique<Impl>(std::move(options), router, std::move(hooks), metrics_)) {
  router.Add(
      {.method = Verb::get, .pattern = "/healthz", .auth = Auth::kPublic, .handler = [](Request&) {
         return JsonResponse(200, boost::json::object{{"status", "ok"}});
       }});
  router.Add({.method = Verb::get,
              .pattern = "/readyz",
              .auth = Auth::kPublic,
              .handler = [impl = impl_.get()](Request&) {
                bool ready = !impl->hooks.ready || impl->hooks.ready();
                return JsonResponse(ready ? 200 : 503,
                                    boost::json::object{{"status", ready ? "ready" : "not_ready"}});
              }});
  router.Add({.method = Verb::get,
              .pattern = "/metrics",
              .auth = Auth::kPublic,
              .handler = [this](Request&) {
                Response response{beast_http::status::ok, 11};
                response.set(field::content_type, "text/plain; version=0.0.4; charset=utf-8");
                response.set(field::cache_control, "no-store");
                response.body() = metrics_.Render();
                response.prepare_payload();
                return response;
              }});
}

Server::~Server() {
  if (impl_) impl_->StopAll();
}

core::Status Server::Start() {
  ErrorCode ec;
  const ServerOptions& options = impl_->options;
  asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec) {
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(options.host, "", ec);
    if (ec || results.empty()) {
      return core::InvalidArgument("无法解析监听地址 " + options.host, "server.listen");
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, options.port);
  tcp::acceptor& acceptor = impl_->acceptor;
  std::string where = options.host + ":" + std::to_string(options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    ErrorCode ignored;
    acceptor.close(ignored);
    return core::Unavailable("无法监听 " + where + "：" + ec.message());
  }
  bound_port_ = acceptor.local_endpoint(ec).port();
  asio::co_spawn(impl_->acceptor_strand, impl_->AcceptLoop(), [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("accept loop ended by an exception: {}", e.what());
    }
  });
  return core::Ok();
}

void Server::Run() {
  std::vector<std::thread> pool;
  pool.reserve(impl_->workers.size());
  for (auto& worker : impl_->workers) {
    pool.emplace_back([context = worker.get()] { context->run(); });
  }
  impl_->ioc.run();
  for (std::thread& thread : pool) thread.join();
  FlushAccessLog();
}

void Server::Stop() {
  asio::post(impl_->acceptor_strand, [impl = impl_.get()] { impl->BeginStop(); });
}

void Server::StopOnSignals() {
  // Installed at once (not posted) so a signal arriving before Run() already
  // means "stop" rather than the default action.
  impl_->signals.emplace(impl_->acceptor_strand, SIGINT, SIGTERM);
  impl_->signals->async_wait([impl = impl_.get()](ErrorCode ec, int) {
    if (!ec) impl->BeginStop();
  });
}

}  // namespace lvyuan::http
