// Serves the built web front end (web/dist) from a root directory.
//
// GET and HEAD only. Paths are percent-decoded, '.'/'..' segments refused
// (400), dot-files hidden (404), and the resolved file — after following
// symlinks — must lie inside the root. A path without a file extension that
// names no file gets index.html (the single-page app routes it); a missing
// file with an extension is 404. Strong ETags from size and modification time,
// If-None-Match → 304, precompressed <file>.gz for Accept-Encoding: gzip,
// single Range requests (206/416), immutable caching for assets/ (Vite puts
// content hashes in those names) and no-cache for everything else.
//
// Thread-safe: Serve only reads the file system.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <variant>

#include "http/file_range_body.h"
#include "http/router.h"

namespace lvyuan::http {

using FileResponse = beast_http::response<FileRangeBody>;
using StaticResponse = std::variant<Response, FileResponse>;

// The MIME type for a file name by its extension; application/octet-stream
// when unknown. Text types carry charset=utf-8.
std::string_view MimeTypeFor(std::string_view file_name);

// Headers every HTML page gets: nosniff, Referrer-Policy, X-Frame-Options and
// the Content-Security-Policy.
void SetHtmlSecurityHeaders(beast_http::fields& fields);

// Answers a GET or HEAD for the regular file `path` of `size` bytes, with
// `header` already carrying Content-Type, ETag (optional) and caching
// headers: 304 when If-None-Match matches the ETag; with `ranges`,
// Accept-Ranges: bytes and a single "bytes=" range (first-last, first-, or
// the suffix -n) answered 206 with Content-Range, or 416 with
// "Content-Range: bytes */size" when unsatisfiable, unless an If-Range
// differs from the ETag (then the whole file); several ranges or a malformed
// Range header get the whole file. HEAD gets the headers and Content-Length
// only. 404 when the file cannot be opened. The file is streamed from disk
// when the response is written, never loaded into memory.
StaticResponse ServeFile(const Request& request, const std::filesystem::path& path,
                         std::uint64_t size, beast_http::response_header<> header, bool ranges);

class StaticFiles {
 public:
  // `root` need not exist; if it does not, every request answers 404.
  explicit StaticFiles(std::filesystem::path root);

  bool has_root() const { return !root_.empty(); }

  // Answers `request` (whose path did not match an API route).
  StaticResponse Serve(const Request& request) const;

 private:
  std::filesystem::path root_;  // canonical, or empty when missing
};

}  // namespace lvyuan::http
