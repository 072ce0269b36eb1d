// The route table: method + path pattern → handler, with the authentication
// and permission each route requires.
//
// Routes are added at start-up, before Server::Start(); after that the Router
// is only read and may be used from any thread.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"
#include "domain/principal.h"

namespace lvyuan::http {

namespace beast_http = boost::beast::http;
using Verb = beast_http::verb;

// What a handler answers. Build one with the helpers in http/json.h.
using Response = beast_http::response<beast_http::string_body>;

// One request as handlers see it. Owned by the connection; valid for the
// duration of the handler call.
struct Request {
  beast_http::request<beast_http::string_body> message;
  // The path part of the target, still percent-encoded, without the query.
  std::string path;
  // Values of the pattern's {name} segments, percent-decoded.
  std::map<std::string, std::string, std::less<>> path_params;
  // Query parameters, percent-decoded, in order of appearance.
  std::multimap<std::string, std::string, std::less<>> query;
  // The X-Request-Id echoed in the response (incoming if well-formed, else new).
  std::string request_id;
  // The peer address, or the proxy-reported client when trust_proxy is set.
  std::string client_ip;
  // The authenticated caller on Auth::kSession routes; nullptr on public ones.
  const domain::Principal* principal = nullptr;
  // The matched route's pattern ("/api/v1/units/{id}"), empty if none.
  std::string route_pattern;

  Verb method() const { return message.method(); }
  const std::string& body() const { return message.body(); }
  // The header's value, empty when absent.
  std::string_view Header(std::string_view name) const;
  // The first value of query parameter `name`, nullopt when absent.
  std::optional<std::string_view> Query(std::string_view name) const;
  // The {name} path parameter, empty if the pattern has none of that name.
  std::string_view PathParam(std::string_view name) const;
  // The {name} path parameter as a positive 64-bit id. NotFound ("资源不存在")
  // when it is not a decimal number in 1..2^63-1: such an id names nothing.
  core::Result<std::int64_t> PathId(std::string_view name) const;
};

enum class Auth {
  kPublic,   // anybody; Request::principal is nullptr
  kSession,  // session cookie (+ CSRF on unsafe methods) or Authorization: Bearer
};

using Handler = std::function<Response(Request&)>;

// Receives a streamed request body (an upload route's). The server calls
// Write for each piece as it arrives (at most 64 KiB each, in order), then
// exactly one of Finish (the body is complete) or Abort (the client went
// away, timed out, sent more than the route's max_body, or Write failed).
// All calls come from the connection's thread, one at a time; the sink is
// destroyed right after Finish or Abort.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // An error is answered (ErrorResponse) and ends the upload: the server
  // calls Abort and closes the connection.
  virtual core::Status Write(std::span<const std::uint8_t> piece) = 0;
  // The response to send once the whole body has been written.
  virtual Response Finish() = 0;
  // The body will not be completed. A resumable upload keeps what it got.
  virtual void Abort() = 0;
};

// Called once the request's headers passed the pipeline (authentication,
// CSRF, Origin, TOTP gate, permission) and before any body byte is read:
// Request::body() is empty. An error is answered without reading the body.
using UploadHandler = std::function<core::Result<std::unique_ptr<BodySink>>(Request&)>;

// A file to send as the response of a download route.
struct FileReply {
  std::filesystem::path path;
  std::string content_type = "application/octet-stream";
  // The entity tag (quoted or not; the server adds the quotes), used for
  // ETag, If-None-Match and If-Range. Empty: no ETag and Range ignores
  // If-Range conditions (it never matches).
  std::string etag = {};
  // When set: Content-Disposition: attachment with this name (UTF-8).
  std::string filename = {};
  // Further headers to send (Cache-Control, provenance headers...).
  std::vector<std::pair<std::string, std::string>> headers = {};
  // The file was made for this one response (an export): the server removes
  // it once it is open for sending (or when it is not sent at all).
  bool remove_after_open = false;
};

// Chooses the file for a GET (or HEAD) request; errors are answered as
// ErrorResponse. The server handles Range, If-Range, If-None-Match and HEAD.
using DownloadHandler = std::function<core::Result<FileReply>(Request&)>;

// An open event stream: the response of a stream route, sent as
// Server-Sent Events (text/event-stream). Thread-safe: Send and Close may be
// called from any thread, also after the client has gone.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // Queues one event, written as "event: <event>" and one "data: " line per
  // line of `data`, then a blank line. `event` is one line of text. Returns
  // false once the stream is closed — the client went away, a write missed
  // its deadline, the server is stopping, too many events were waiting
  // (ServerOptions::stream_queue_limit) or Close was called — and the
  // caller should forget it.
  virtual bool Send(std::string_view event, std::string_view data) = 0;
  // Ends the stream once the events already queued are written.
  virtual void Close() = 0;
  virtual bool closed() const = 0;
};

// Called once a stream route's request passed the pipeline, before any byte
// of the response: Ok makes the server answer 200 text/event-stream and keep
// the connection open for `stream` (the handler keeps it to send events;
// holding it does not keep the connection open), an error is answered as
// ErrorResponse instead.
using StreamHandler = std::function<core::Status(Request&, std::shared_ptr<EventStream>)>;

struct Route {
  Verb method = Verb::get;
  // Absolute path; segments are literals or {name}. Literal segments win over
  // {name} segments when two patterns match the same path.
  std::string pattern = {};
  Auth auth = Auth::kSession;
  // Permission code the principal must hold (principal.Has), empty for none.
  std::string permission = {};
  // Open to sessions whose principal.must_enrol_totp is true (the TOTP
  // enrolment endpoints, /me, logout); all other session routes refuse them.
  bool allow_pending_totp = false;
  // A GET whose handler commits a write (a supervised read records an
  // event): it runs on the write threads like unsafe requests, so waiting
  // for the commit does not hold a network worker.
  bool writes = false;
  // Exactly one of handler, upload, download and stream is set.
  Handler handler = {};
  // Streams the body to a sink instead of buffering it (ServerOptions::
  // body_limit does not apply; max_body does).
  UploadHandler upload = {};
  // The largest body an upload route accepts (413 beyond); 0 means
  // ServerOptions::upload_limit.
  std::uint64_t max_body = 0;
  DownloadHandler download = {};
  // A GET answered by an event stream (see EventStream; limits and the
  // heartbeat are in ServerOptions).
  StreamHandler stream = {};
};

class Router {
 public:
  // Adds a route. An invalid pattern (not starting with '/', empty or
  // unbalanced {name}), a duplicate method+pattern, not exactly one of
  // handler/upload/download/stream set, or a stream route that is not a GET
  // is a programming error: it aborts the
  // process with a message naming the pattern.
  void Add(Route route);

  enum class MatchKind { kFound, kMethodNotAllowed, kNotFound };
  struct Match {
    MatchKind kind = MatchKind::kNotFound;
    const Route* route = nullptr;                            // set when kFound
    std::map<std::string, std::string, std::less<>> params;  // decoded values
    std::vector<Verb> allowed;                               // set when kMethodNotAllowed
  };
  // Matches percent-decoded path segments ("/a/b" → {"a","b"}). A HEAD
  // request matches a GET route when no HEAD route exists.
  Match Find(Verb method, const std::vector<std::string>& segments) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // literal text, or the name for a parameter
    std::vector<bool> is_param;
  };
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;  // parallel to routes_
  // Indexes into routes_ by the number of segments, so a lookup compares
  // only patterns of the path's length.
  std::vector<std::vector<std::size_t>> by_length_;
  // Routes without parameters by their path ("api/v1/matters"): an exact
  // match is the most specific there is, so it needs no scan.
  std::unordered_map<std::string, std::vector<std::size_t>> literal_;
};

// Splits an encoded path into percent-decoded segments. InvalidArgument when
// the path is not absolute or a segment decodes to something containing '/'
// or a NUL byte.
core::Result<std::vector<std::string>> SplitPath(std::string_view encoded_path);

}  // namespace lvyuan::http
