#include "http/static_files.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <optional>
#include <string>
#include <system_error>

#include "core/strings.h"
#include "http/json.h"

namespace lvyuan::http {
namespace {

namespace fs = std::filesystem;
using beast_http::field;

constexpr std::string_view kCsp =
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'";

std::string_view HeaderOf(const Request& request, field name) {
  auto it = request.message.find(name);
  if (it == request.message.end()) return {};
  return {it->value().data(), it->value().size()};
}

// True when Accept-Encoding lists gzip (or *) without q=0.
bool AcceptsGzip(std::string_view header) {
  std::string lower = core::AsciiLower(header);
  std::string_view rest = lower;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = core::TrimBlanks(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    std::size_t semicolon = item.find(';');
    std::string_view coding = core::TrimBlanks(item.substr(0, semicolon));
    if (coding != "gzip" && coding != "*") continue;
    if (semicolon == std::string_view::npos) return true;
    std::string_view param = core::TrimBlanks(item.substr(semicolon + 1));
    if (param.starts_with("q=")) {
      std::string_view q = param.substr(2);
      bool zero = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;
      return !zero;
    }
    return true;
  }
  return false;
}

// True when an If-None-Match list contains `etag` (weak comparison, RFC 9110
// §13.1.2) or is "*".
bool MatchesEtag(std::string_view header, std::string_view etag) {
  std::string_view rest = header;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = core::TrimBlanks(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item == "*") return true;
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
  }
  return false;
}

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

bool ParseNumber(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Parses a single "bytes=" range against `size`. nullopt+ignore when the
// header should be ignored (malformed or several ranges: serve the whole
// file), nullopt+!ignore when unsatisfiable (416).
std::optional<ByteRange> ParseRange(std::string_view header, std::uint64_t size, bool& ignore) {
  ignore = true;
  header = core::TrimBlanks(header);
  if (!header.starts_with("bytes=")) return std::nullopt;
  std::string_view spec = core::TrimBlanks(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return std::nullopt;
  std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view first_text = core::TrimBlanks(spec.substr(0, dash));
  std::string_view last_text = core::TrimBlanks(spec.substr(dash + 1));
  ByteRange range;
  if (first_text.empty()) {  // suffix: the last n bytes
    std::uint64_t n = 0;
    if (!ParseNumber(last_text, n)) return std::nullopt;
    ignore = false;
    if (n == 0 || size == 0) return std::nullopt;
    range.first = n >= size ? 0 : size - n;
    range.last = size - 1;
    return range;
  }
  if (!ParseNumber(first_text, range.first)) return std::nullopt;
  if (last_text.empty()) {
    range.last = size == 0 ? 0 : size - 1;
  } else if (!ParseNumber(last_text, range.last) || range.last < range.first) {
    return std::nullopt;
  }
  ignore = false;
  if (range.first >= size) return std::nullopt;
  if (range.last >= size) range.last = size - 1;
  return range;
}

Response NotFoundResponse() { return ErrorResponse(core::NotFound("文件不存在")); }

// `candidate` resolved through symlinks, if it is a regular file inside root.
std::optional<fs::path> ResolveInside(const fs::path& root, const fs::path& candidate) {
  std::error_code ec;
  fs::path real = fs::canonical(candidate, ec);
  if (ec) return std::nullopt;
  const std::string& root_text = root.native();
  const std::string& real_text = real.native();
  if (real_text.size() <= root_text.size() ||
      real_text.compare(0, root_text.size(), root_text) != 0 ||
      real_text[root_text.size()] != '/') {
    return std::nullopt;
  }
  if (!fs::is_regular_file(real, ec)) return std::nullopt;
  return real;
}

std::string MakeEtag(std::uint64_t size, fs::file_time_type mtime, std::string_view variant) {
  auto ticks = mtime.time_since_epoch().count();
  char text[64];
  std::snprintf(text, sizeof text, "\"%llx-%llx%s\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(ticks), std::string(variant).c_str());
  return text;
}

}  // namespace

std::string_view MimeTypeFor(std::string_view file_name) {
  std::size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string ext = core::AsciiLower(file_name.substr(dot + 1));
  if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  if (ext == "webp") return "image/webp";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "woff") return "font/woff";
  if (ext == "ttf") return "font/ttf";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "wasm") return "application/wasm";
  return "application/octet-stream";
}

void SetHtmlSecurityHeaders(beast_http::fields& fields) {
  fields.set("X-Content-Type-Options", "nosniff");
  fields.set("Referrer-Policy", "same-origin");
  fields.set("X-Frame-Options", "DENY");
  fields.set("Content-Security-Policy", kCsp);
}

StaticFiles::StaticFiles(fs::path root) {
  std::error_code ec;
  if (root.empty()) return;
  fs::path real = fs::canonical(root, ec);
  if (!ec && fs::is_directory(real, ec)) root_ = std::move(real);
}

StaticResponse StaticFiles::Serve(const Request& request) const {
  Verb method = request.method();
  if (method != Verb::get && method != Verb::head) {
    Response refused =
        ErrorResponse(405, core::Error{core::ErrorCode::kUnimplemented, "不支持该请求方法", {}});
    refused.set(field::allow, "GET, HEAD");
    return refused;
  }
  if (root_.empty()) return NotFoundResponse();
  core::Result<std::vector<std::string>> split = SplitPath(request.path);
  if (!split.ok()) return ErrorResponse(split.error());
  std::vector<std::string>& segments = split.value();
  bool directory = segments.empty() || segments.back().empty();
  if (directory && !segments.empty()) segments.pop_back();
  fs::path relative;
  for (const std::string& segment : segments) {
    if (segment == "." || segment == ".." || segment.find('\\') != std::string::npos) {
      return ErrorResponse(core::InvalidArgument("请求路径不合法"));
    }
    if (segment.empty() || segment.front() == '.') return NotFoundResponse();
    relative /= segment;
  }

  bool is_index = false;
  std::optional<fs::path> file;
  if (!directory) file = ResolveInside(root_, root_ / relative);
  if (!file) {
    bool has_extension = !segments.empty() && segments.back().find('.') != std::string::npos;
    if (!directory && has_extension) return NotFoundResponse();
    file = ResolveInside(root_, root_ / "index.html");
    if (!file) return NotFoundResponse();
    is_index = true;
  }
  std::string name = file->filename().string();
  bool immutable = !is_index && !segments.empty() && segments.front() == "assets";
  std::string_view mime = MimeTypeFor(name);

  // Prefer a precompressed sibling when the client accepts gzip and no range
  // was asked for (ranges address the identity encoding).
  bool has_range = !HeaderOf(request, field::range).empty();
  std::optional<fs::path> gzip_file = ResolveInside(root_, fs::path(file->native() + ".gz"));
  bool use_gzip = gzip_file && !has_range && AcceptsGzip(HeaderOf(request, field::accept_encoding));
  const fs::path& chosen = use_gzip ? *gzip_file : *file;

  std::error_code ec;
  std::uint64_t size = fs::file_size(chosen, ec);
  if (ec) return NotFoundResponse();
  fs::file_time_type mtime = fs::last_write_time(chosen, ec);
  if (ec) return NotFoundResponse();
  std::string etag = MakeEtag(size, mtime, use_gzip ? "-gz" : "");

  beast_http::response_header<> header;
  header.version(11);
  header.set(field::content_type, mime);
  header.set(field::etag, etag);
  header.set(field::cache_control, immutable ? "public, max-age=31536000, immutable" : "no-cache");
  header.set("X-Content-Type-Options", "nosniff");
  if (gzip_file) header.set(field::vary, "Accept-Encoding");
  if (use_gzip) header.set(field::content_encoding, "gzip");
  if (mime.starts_with("text/html")) SetHtmlSecurityHeaders(header);

  return ServeFile(request, chosen, size, std::move(header), /*ranges=*/!use_gzip);
}

StaticResponse ServeFile(const Request& request, const fs::path& path, std::uint64_t size,
                         beast_http::response_header<> header, bool ranges) {
  header.version(11);
  std::string etag(header[field::etag]);
  std::string_view if_none_match = HeaderOf(request, field::if_none_match);
  if (!etag.empty() && !if_none_match.empty() && MatchesEtag(if_none_match, etag)) {
    header.result(beast_http::status::not_modified);
    return Response(std::move(header));
  }

  std::uint64_t offset = 0;
  std::uint64_t length = size;
  header.result(beast_http::status::ok);
  if (ranges) header.set(field::accept_ranges, "bytes");
  std::string_view range_header = HeaderOf(request, field::range);
  std::string_view if_range = HeaderOf(request, field::if_range);
  // If-Range uses the strong comparison: a weak or different tag, or a date,
  // means the client's copy may be stale, so it gets the whole file.
  bool range_applies =
      if_range.empty() || (!etag.empty() && !etag.starts_with("W/") && if_range == etag);
  if (ranges && !range_header.empty() && range_applies) {
    bool ignore = true;
    std::optional<ByteRange> range = ParseRange(range_header, size, ignore);
    if (range) {
      offset = range->first;
      length = range->last - range->first + 1;
      header.result(beast_http::status::partial_content);
      header.set(field::content_range, "bytes " + std::to_string(range->first) + "-" +
                                           std::to_string(range->last) + "/" +
                                           std::to_string(size));
    } else if (!ignore) {
      Response refused =
          ErrorResponse(416, core::Error{core::ErrorCode::kOutOfRange, "请求的范围无法满足", {}});
      refused.set(field::content_range, "bytes */" + std::to_string(size));
      refused.set(field::accept_ranges, "bytes");
      return refused;
    }
  }

  if (request.method() == Verb::head) {
    Response response(std::move(header));
    response.content_length(length);
    return response;
  }
  boost::beast::error_code open_ec;
  FileResponse response(std::move(header));
  response.body().file.open(path.c_str(), boost::beast::file_mode::scan, open_ec);
  if (open_ec) return NotFoundResponse();
  response.body().offset = offset;
  response.body().length = length;
  response.content_length(length);
  return response;
}

}  // namespace lvyuan::http
