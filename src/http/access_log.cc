#include "http/access_log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace lvyuan::http {
namespace {

// The logger in use, read without a lock on every request. Loggers are
// never destroyed once made (kept in `made_loggers`), so a line being
// written while ConfigureAccessLog replaces the logger stays valid.
std::mutex logger_mu;  // guards made_loggers and making the first logger
std::vector<std::shared_ptr<spdlog::logger>> made_loggers;
std::atomic<spdlog::logger*> current_logger{nullptr};

// Standard output without spdlog's stdout sink's flush after every line:
// flushed when the logger is — after every line for the default logger,
// once a second for the server's (a write(2) per request costs more than the
// request; see ConfigureAccessLog). Lines are written as they are (the
// pattern is "%v") by one fwrite each, which stdio serialises, so the sink
// needs no lock of its own.
class BufferedStdoutSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    line.append(msg.payload.data(), msg.payload.data() + msg.payload.size());
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  void flush_() override { std::fflush(stdout); }
};

std::shared_ptr<spdlog::logger> MakeLogger(spdlog::sink_ptr sink) {
  auto made = std::make_shared<spdlog::logger>("access", std::move(sink));
  made->set_pattern("%v");
  made->set_level(spdlog::level::info);
  made->flush_on(spdlog::level::info);
  return made;
}

void Install(std::shared_ptr<spdlog::logger> made) {
  std::lock_guard lock(logger_mu);
  current_logger.store(made.get(), std::memory_order_release);
  made_loggers.push_back(std::move(made));
}

spdlog::logger* CurrentLogger() {
  spdlog::logger* current = current_logger.load(std::memory_order_acquire);
  if (current != nullptr) return current;
  std::lock_guard lock(logger_mu);
  current = current_logger.load(std::memory_order_acquire);
  if (current != nullptr) return current;
  auto made = MakeLogger(std::make_shared<BufferedStdoutSink>());
  current = made.get();
  current_logger.store(current, std::memory_order_release);
  made_loggers.push_back(std::move(made));
  return current;
}

std::string NowIso8601() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", text, static_cast<int>(ms % 1000));
  return out;
}

}  // namespace

core::Status ConfigureAccessLog(std::string_view destination) {
  std::shared_ptr<spdlog::logger> made;
  if (destination == "-") {
    made = MakeLogger(std::make_shared<BufferedStdoutSink>());
  } else {
    try {
      made = MakeLogger(
          std::make_shared<spdlog::sinks::basic_file_sink_mt>(std::string(destination), false));
    } catch (const spdlog::spdlog_ex&) {
      return core::InvalidArgument("无法打开访问日志文件 " + std::string(destination),
                                   "log.access_log");
    }
  }
  // A configured log (the server's) is flushed once a second rather than
  // after every line: a write(2) per request costs more than the request.
  made->flush_on(spdlog::level::warn);
  Install(std::move(made));
  static std::jthread flusher([](std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      CurrentLogger()->flush();
    }
  });
  return core::Ok();
}

void LogAccess(const AccessRecord& record) {
  // The line is written field by field (each string escaped by Boost.JSON)
  // rather than built as a JSON object: this runs for every request.
  namespace json = boost::json;
  std::string line;
  line.reserve(256 + record.path.size());
  line += "{\"time\":\"";
  line += NowIso8601();
  line += "\",\"request_id\":";
  line += json::serialize(json::string_view(record.request_id));
  line += ",\"client_ip\":";
  line += json::serialize(json::string_view(record.client_ip));
  line += ",\"method\":";
  line += json::serialize(json::string_view(record.method));
  line += ",\"path\":";
  line += json::serialize(json::string_view(record.path));
  line += ",\"route\":";
  line += json::serialize(json::string_view(record.route));
  line += ",\"status\":" + std::to_string(record.status);
  line += ",\"bytes\":" + std::to_string(record.bytes);
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.3f", record.duration_ms);
  line += ",\"duration_ms\":";
  line += duration;
  line += ",\"user\":";
  line +=
      json::serialize(json::string_view(record.user.empty() ? std::string_view("-") : record.user));
  line += '}';
  CurrentLogger()->info(line);
}

void FlushAccessLog() { CurrentLogger()->flush(); }

}  // namespace lvyuan::http
