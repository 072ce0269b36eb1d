// Group commit in the SQLite backend: many threads each making small durable
// writes (one INSERT of a ~300-byte event row per Write), first with group
// commit on (the default bound), then with one transaction per Write
// (group_commit_max_batch = 1). Prints actions/s for both and their ratio.
//
//   cmake --preset bench && cmake --build --preset bench --target lvyuan_group_commit_benchmark
//   build/bench/bench/lvyuan_group_commit_benchmark [--threads 16] [--actions 20000] [--dir D]
//
// The database files go to a fresh directory under --dir (default: the system
// temporary directory); it must be on the disk being measured, since every
// commit is an fsync (WAL, synchronous=FULL).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "store/database.h"
#include "store/sqlite/sqlite_database.h"

namespace lvyuan {
namespace {

using store::Conn;
using store::Status;
using store::Value;
using store::sqlite::SqliteDatabase;

struct Settings {
  int threads = 16;
  int actions = 20000;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
};

struct Outcome {
  double seconds = 0;
  int failures = 0;
  SqliteDatabase::WriteCounters counters;
};

// A body like a record event's canonical form: ~300 bytes of JSON.
std::string EventBody(int thread, int index) {
  std::string body = "{\"matter\":" + std::to_string(thread * 1000003 + index) +
                     ",\"action\":\"transfer\",\"actor\":\"u-" + std::to_string(thread) +
                     "\",\"unit\":\"91310000MA1FL0XX3K\",\"fields\":{\"state\":\"received\"}"
                     ",\"client\":\"10.0.0.1\",\"request\":\"";
  body.resize(300, 'x');
  body += "\"}";
  return body;
}

// Runs settings.actions Writes spread over settings.threads threads against a
// fresh database file opened with max_batch.
std::optional<Outcome> Run(const Settings& settings, const std::filesystem::path& file,
                           int max_batch) {
  store::OpenOptions options;
  options.group_commit_max_batch = max_batch;
  auto opened = SqliteDatabase::Open(file.string(), options);
  if (!opened.ok()) {
    std::fprintf(stderr, "open %s: %s\n", file.c_str(), opened.error().ToString().c_str());
    return std::nullopt;
  }
  std::unique_ptr<SqliteDatabase> db = std::move(opened).value();
  Status created = db->Write([](Conn& conn) -> Status {
    TRY(
        conn.Exec("CREATE TABLE events (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, "
                  "thread INTEGER NOT NULL, body TEXT NOT NULL)"));
    return core::Ok();
  });
  if (!created.ok()) {
    std::fprintf(stderr, "create table: %s\n", created.error().ToString().c_str());
    return std::nullopt;
  }
  const SqliteDatabase::WriteCounters before = db->write_counters();

  std::vector<int> failures(static_cast<std::size_t>(settings.threads), 0);
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < settings.threads; ++t) {
    const int count =
        settings.actions / settings.threads + (t < settings.actions % settings.threads);
    threads.emplace_back([&db, &failures, t, count] {
      for (int i = 0; i < count; ++i) {
        const std::vector<Value> row = {std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count(),
                                        std::int64_t{t}, EventBody(t, i)};
        Status status = db->Write([&row](Conn& conn) -> Status {
          TRY(conn.Exec("INSERT INTO events (at, thread, body) VALUES (?, ?, ?)", row));
          return core::Ok();
        });
        if (!status.ok()) ++failures[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

  Outcome outcome;
  outcome.seconds = elapsed.count();
  for (int f : failures) outcome.failures += f;
  const SqliteDatabase::WriteCounters after = db->write_counters();
  outcome.counters = {.writes = after.writes - before.writes,
                      .transactions = after.transactions - before.transactions};
  return outcome;
}

void PrintRow(std::string_view label, int max_batch, const Outcome& outcome) {
  const double rate = static_cast<double>(outcome.counters.writes) / outcome.seconds;
  const double per_commit = outcome.counters.transactions > 0
                                ? static_cast<double>(outcome.counters.writes) /
                                      static_cast<double>(outcome.counters.transactions)
                                : 0.0;
  std::printf("%-26s %9d %9lld %12lld %11.1f %9.2f %12.0f\n", std::string(label).c_str(), max_batch,
              static_cast<long long>(outcome.counters.writes),
              static_cast<long long>(outcome.counters.transactions), per_commit, outcome.seconds,
              rate);
}

bool ParseArgs(int argc, char** argv, Settings& settings) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return false;
    const char* value = argv[++i];
    if (arg == "--threads") {
      settings.threads = std::atoi(value);
    } else if (arg == "--actions") {
      settings.actions = std::atoi(value);
    } else if (arg == "--dir") {
      settings.dir = value;
    } else {
      return false;
    }
  }
  return settings.threads > 0 && settings.actions >= settings.threads;
}

}  // namespace
}  // namespace lvyuan

int main(int argc, char** argv) {
  using namespace lvyuan;
  Settings settings;
  if (!ParseArgs(argc, argv, settings)) {
    std::fprintf(stderr, "usage: %s [--threads N] [--actions N] [--dir DIR]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir =
      settings.dir / ("lvyuan_group_commit_" + std::to_string(::getpid()));
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    std::fprintf(stderr, "cannot create %s: %s\n", dir.c_str(), error.message().c_str());
    return 1;
  }

  const int group_bound = store::OpenOptions{}.group_commit_max_batch;
  std::printf("%d threads, %d actions (one INSERT of a ~300-byte row per Write), files in %s\n\n",
              settings.threads, settings.actions, dir.c_str());
  std::printf("%-26s %9s %9s %12s %11s %9s %12s\n", "mode", "max_batch", "actions", "transactions",
              "per_commit", "seconds", "actions/s");
  const std::optional<Outcome> grouped = Run(settings, dir / "grouped.db", group_bound);
  if (grouped) PrintRow("group commit", group_bound, *grouped);
  const std::optional<Outcome> single = Run(settings, dir / "single.db", 1);
  if (single) PrintRow("one transaction per action", 1, *single);
  std::filesystem::remove_all(dir, error);
  if (!grouped || !single) return 1;

  const double grouped_rate = static_cast<double>(grouped->counters.writes) / grouped->seconds;
  const double single_rate = static_cast<double>(single->counters.writes) / single->seconds;
  std::printf("\nratio: %.1fx\n", grouped_rate / single_rate);
  if (grouped->failures + single->failures > 0) {
    std::fprintf(stderr, "%d writes failed\n", grouped->failures + single->failures);
    return 1;
  }
  return 0;
}
