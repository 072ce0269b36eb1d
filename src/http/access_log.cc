#include "http/access_log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>

namespace lvyuan::http {
namespace {

std::mutex logger_mu;                    // guards logger
std::shared_ptr<spdlog::logger> logger;  // lazily the stdout logger

// Standard output without spdlog's stdout sink's flush after every line (a
// write(2) per request): flushed when the logger is (once a second for the
// server's log, see ConfigureAccessLog).
class BufferedStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
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

std::shared_ptr<spdlog::logger> CurrentLogger() {
  std::lock_guard lock(logger_mu);
  if (!logger) logger = MakeLogger(std::make_shared<spdlog::sinks::stdout_sink_mt>());
  return logger;
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
  {
    std::lock_guard lock(logger_mu);
    logger = std::move(made);
  }
  static std::jthread flusher([](std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      CurrentLogger()->flush();
    }
  });
  return core::Ok();
}

void LogAccess(const AccessRecord& record) {
  boost::json::object line;
  line["time"] = NowIso8601();
  line["request_id"] = record.request_id;
  line["client_ip"] = record.client_ip;
  line["method"] = record.method;
  line["path"] = record.path;
  line["route"] = record.route;
  line["status"] = record.status;
  line["bytes"] = record.bytes;
  line["duration_ms"] =
      static_cast<double>(static_cast<std::int64_t>(record.duration_ms * 1000)) / 1000;
  line["user"] = record.user.empty() ? std::string_view("-") : record.user;
  CurrentLogger()->info(boost::json::serialize(line));
}

void FlushAccessLog() { CurrentLogger()->flush(); }

}  // namespace lvyuan::http
