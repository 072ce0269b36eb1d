// The access log: one JSON object per line per request, on standard output
// unless configured otherwise. Standard output is flushed after every line
// until ConfigureAccessLog is called; a configured destination once a second
// (and by FlushAccessLog).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lvyuan::http {

struct AccessRecord {
  std::string_view request_id;
  std::string_view client_ip;
  std::string_view method;
  std::string_view path;   // without the query string: queries may hold secrets
  std::string_view route;  // pattern, or empty
  unsigned status = 0;
  std::uint64_t bytes = 0;  // response body bytes
  double duration_ms = 0;
  std::string_view user;  // username, or empty for "-"
};

// Sends the access log to `destination`: "-" for stdout, otherwise a file
// path opened for appending (created if missing). Replaces any earlier
// destination. InvalidArgument (field "log.access_log") when the file cannot
// be opened.
core::Status ConfigureAccessLog(std::string_view destination);

// Writes one line {"time","request_id","client_ip","method","path","route",
// "status","bytes","duration_ms","user"}; time is UTC ISO 8601 with ms.
void LogAccess(const AccessRecord& record);

// Flushes the access log (used at shutdown and by tests).
void FlushAccessLog();

}  // namespace lvyuan::http
