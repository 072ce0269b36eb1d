#include "http/access_log.h"

#include <unistd.h>

#include <atomic>
#include <boost/json/serializer.hpp>
#include <boost/json/string_view.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lvyuan::http {
namespace {

// Where lines go. Destinations are never closed once opened (kept in
// `opened`), so a line being written while ConfigureAccessLog replaces the
// destination stays valid; a deployment configures its log once.
struct Destination {
  std::FILE* file = nullptr;
  bool flush_each_line = true;  // the default (standard output, e.g. a CLI command)
};

std::mutex destination_mu;  // guards opened
std::vector<Destination*> opened;
Destination default_destination{stdout, true};
std::atomic<Destination*> current{&default_destination};

// Appends `text` as a JSON string (quoted, escaped by Boost.JSON's
// serializer, without allocating).
void AppendJsonString(std::string& line, std::string_view text) {
  boost::json::serializer serializer;
  serializer.reset(boost::json::string_view(text.data(), text.size()));
  char piece[256];
  while (!serializer.done()) {
    boost::json::string_view out = serializer.read(piece);
    line.append(out.data(), out.size());
  }
}

// "2026-12-02T18:21:17.123Z": the seconds part is formatted once per second
// per thread.
void AppendNow(std::string& line) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  thread_local std::int64_t formatted_second = -1;
  thread_local char seconds_text[24] = {};
  const std::int64_t second = ms / 1000;
  if (second != formatted_second) {
    const auto seconds = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    std::strftime(seconds_text, sizeof seconds_text, "%Y-%m-%dT%H:%M:%S", &tm);
    formatted_second = second;
  }
  line += seconds_text;
  const int millis = static_cast<int>(ms % 1000);
  line += '.';
  line += static_cast<char>('0' + millis / 100);
  line += static_cast<char>('0' + millis / 10 % 10);
  line += static_cast<char>('0' + millis % 10);
  line += 'Z';
}

template <typename Number>
void AppendNumber(std::string& line, Number value) {
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  line.append(text, end);
}

void AppendMilliseconds(std::string& line, double ms) {
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof text, ms, std::chars_format::fixed, 3);
  if (ec != std::errc()) {
    line += '0';
    return;
  }
  line.append(text, end);
}

}  // namespace

core::Status ConfigureAccessLog(std::string_view destination) {
  std::FILE* file = nullptr;
  if (destination == "-") {
    // Standard output through a stream of its own, whose buffer can still
    // be chosen (stdout's cannot once anything was printed).
    const int fd = ::dup(STDOUT_FILENO);
    file = fd < 0 ? nullptr : ::fdopen(fd, "a");
    if (file == nullptr) {
      if (fd >= 0) ::close(fd);
      return core::Internal(std::string("无法写标准输出：") + std::strerror(errno));
    }
  } else {
    file = std::fopen(std::string(destination).c_str(), "a");
    if (file == nullptr) {
      return core::InvalidArgument(
          "无法打开访问日志文件 " + std::string(destination) + "：" + std::strerror(errno),
          "log.access_log");
    }
  }
  // Whole lines leave in 64 KiB writes, flushed once a second.
  std::setvbuf(file, nullptr, _IOFBF, 64 * 1024);
  // A configured log (the server's) is flushed once a second rather than
  // after every line: a write(2) per request costs more than the request.
  auto* made = new Destination{file, false};
  {
    std::lock_guard lock(destination_mu);
    opened.push_back(made);
  }
  current.store(made, std::memory_order_release);
  static std::jthread flusher([](std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      FlushAccessLog();
    }
  });
  return core::Ok();
}

void LogAccess(const AccessRecord& record) {
  // The line is written field by field into one buffer per thread: this
  // runs for every request.
  thread_local std::string line;
  line.clear();
  line += "{\"time\":\"";
  AppendNow(line);
  line += "\",\"request_id\":";
  AppendJsonString(line, record.request_id);
  line += ",\"client_ip\":";
  AppendJsonString(line, record.client_ip);
  line += ",\"method\":";
  AppendJsonString(line, record.method);
  line += ",\"path\":";
  AppendJsonString(line, record.path);
  line += ",\"route\":";
  AppendJsonString(line, record.route);
  line += ",\"status\":";
  AppendNumber(line, record.status);
  line += ",\"bytes\":";
  AppendNumber(line, record.bytes);
  line += ",\"duration_ms\":";
  AppendMilliseconds(line, record.duration_ms);
  line += ",\"user\":";
  AppendJsonString(line, record.user.empty() ? std::string_view("-") : record.user);
  line += "}\n";
  const Destination* to = current.load(std::memory_order_acquire);
  // One fwrite per line: stdio locks the stream, so lines never interleave.
  std::fwrite(line.data(), 1, line.size(), to->file);
  if (to->flush_each_line) std::fflush(to->file);
}

void FlushAccessLog() { std::fflush(current.load(std::memory_order_acquire)->file); }

}  // namespace lvyuan::http
