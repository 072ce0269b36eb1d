// The whole-process record's two benchmark targets, in one plain program:
//
//  1. append: durable record actions per second — 16 threads, each Write is
//     one record::Log::Append (the event row, its stored tree nodes, the
//     canonical form and its SM3 leaf hash), with group commit on and then
//     with one transaction per action (group_commit_max_batch = 1).
//  2. proof: inclusion proof generation on a log of --events events (default
//     10,000,000): the time of Log::InclusionProof for random events against
//     the whole tree, read from the stored nodes of a real SQLite file.
//     The big log is written directly through the store (synthetic leaf
//     hashes, real stored nodes) — building it through Append would only
//     take longer; the proof reads the same rows either way. Every timed
//     proof is also verified against the root.
//
//   cmake --preset bench && cmake --build --preset bench --target lvyuan_record_benchmark
//   build/bench/bench/lvyuan_record_benchmark [--threads 16] [--actions 20000]
//       [--events 10000000] [--proofs 10000] [--dir D] [--only append|proof]
//       [--keep 1]   (keep the 10M-event database in D/lvyuan-proof-bench and reuse it)
//       [--store-url postgresql://…]  (append only: also run it against that
//       PostgreSQL database, whose public schema it empties first — give it a
//       throw-away database, e.g. from scripts/pg-test-cluster)
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/encoding.h"
#include "record/log.h"
#include "record/merkle.h"
#include "store/database.h"
#include "store/record.h"
#include "store/sqlite/sqlite_database.h"

namespace lvyuan {
namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
  int threads = 16;
  int actions = 20000;
  std::int64_t events = 10'000'000;
  int proofs = 10000;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  std::string only;
  bool keep = false;      // keep (and reuse) the big proof database
  std::string store_url;  // a PostgreSQL database to run the append benchmark on too
};

[[noreturn]] void Die(const std::string& what, const core::Error& e) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), e.ToString().c_str());
  std::exit(1);
}

template <typename R>
auto Must(R r, const std::string& what) {
  if (!r.ok()) Die(what, r.error());
  if constexpr (!std::is_void_v<typename R::value_type>) return std::move(r).value();
}

std::unique_ptr<store::Database> OpenDb(const std::filesystem::path& file, int max_batch) {
  auto db = Must(store::Open({.url = file.string(), .group_commit_max_batch = max_batch}), "open");
  Must(db->Migrate(), "migrate");
  return db;
}

// A PostgreSQL database emptied and migrated afresh.
std::unique_ptr<store::Database> OpenEmptiedPostgres(const std::string& url) {
  auto db = Must(store::Open({.url = url, .reader_pool_size = 2}), "open postgresql");
  Must(db->Write([](store::Conn& conn) -> core::Status {
    TRY(conn.Exec("DROP SCHEMA public CASCADE"));
    TRY(conn.Exec("CREATE SCHEMA public"));
    return core::Ok();
  }),
       "empty postgresql");
  Must(db->Migrate(), "migrate postgresql");
  return db;
}

// CPU seconds (user + system) used by the whole process so far.
double ProcessCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct AppendOutcome {
  double rate = 0;        // actions per second
  double cpu_micros = 0;  // process CPU time per action
  double commits = 0;     // actions per write transaction
};

// On the SQLite file dir/record.db, or on `postgres_url` when not empty.
AppendOutcome Append(const Settings& s, const std::filesystem::path& dir, int max_batch,
                     const std::string& postgres_url = {}) {
  std::unique_ptr<store::Database> db;
  if (postgres_url.empty()) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    db = OpenDb(dir / "record.db", max_batch);
  } else {
    db = OpenEmptiedPostgres(postgres_url);
  }
  core::SystemClock clock;
  auto log = Must(record::Log::Open(*db, clock, crypto::HashAlgorithm::kSm3), "log");
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  const double cpu_start = ProcessCpuSeconds();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < s.threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = next++; i < s.actions; i = next++) {
        record::EventInput in;
        in.actor = {.user_id = t + 1, .username = "officer" + std::to_string(t), .unit_id = 3};
        in.action = "matter.transfer";
        in.object_type = "matter";
        in.object_id = std::to_string(i);
        in.changes = {{"state", boost::json::object{{"before", "draft"}, {"after", "sent"}}}};
        in.client_ip = "127.0.0.1";
        in.request_id = "bench-" + std::to_string(i);
        auto st = db->Write([&](store::Conn& conn) -> core::Status {
          TRY(log->Append(conn, in));
          return core::Ok();
        });
        if (!st.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = ProcessCpuSeconds() - cpu_start;
  if (failures > 0) std::fprintf(stderr, "%d failed appends\n", failures.load());
  // The log must be whole: every action is one event, the tree is complete.
  Must(db->Read([&](store::Conn& conn) -> core::Status {
    auto head = TRY(log->Head(conn));
    if (head.size != static_cast<std::uint64_t>(s.actions)) {
      return core::Internal("log has " + std::to_string(head.size) + " events");
    }
    return core::Ok();
  }),
       "check");
  AppendOutcome outcome{.rate = s.actions / seconds, .cpu_micros = cpu * 1e6 / s.actions};
  if (auto* sqlite = dynamic_cast<store::sqlite::SqliteDatabase*>(db.get())) {
    const auto counters = sqlite->write_counters();
    outcome.commits = static_cast<double>(counters.writes) /
                      static_cast<double>(std::max<std::int64_t>(counters.transactions, 1));
  }
  return outcome;
}

void RunAppend(const Settings& s) {
  const auto base = s.dir / ("lvyuan-record-bench-" + std::to_string(::getpid()));
  const AppendOutcome grouped = Append(s, base / "grouped", 256);
  const AppendOutcome single = Append(s, base / "single", 1);
  std::filesystem::remove_all(base);
  std::optional<AppendOutcome> postgres;
  if (!s.store_url.empty()) postgres = Append(s, {}, 1, s.store_url);
  std::printf("append: %d threads, %d actions (Log::Append, WAL, synchronous=FULL)\n", s.threads,
              s.actions);
  std::printf("  %-20s %12s %16s %18s\n", "", "actions/s", "CPU us/action", "actions/commit");
  for (const auto& [label, o] :
       {std::pair{"group commit", grouped}, {"one tx per action", single}}) {
    std::printf("  %-20s %12.0f %16.1f %18.1f\n", label, o.rate, o.cpu_micros, o.commits);
  }
  std::printf("  ratio                %11.1fx\n", grouped.rate / single.rate);
  if (postgres) {
    std::printf("  %-20s %12.0f %16.1f   (group commit, synchronous_commit=on)\n", "PostgreSQL",
                postgres->rate, postgres->cpu_micros);
  }
}

void RunProof(const Settings& s) {
  const auto dir = s.dir / (s.keep ? std::string("lvyuan-proof-bench")
                                   : "lvyuan-proof-bench-" + std::to_string(::getpid()));
  const bool reuse = s.keep && std::filesystem::exists(dir / "record.db");
  if (!reuse) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  auto db = OpenDb(dir / "record.db", 256);
  core::SystemClock clock;
  auto log = Must(record::Log::Open(*db, clock, crypto::HashAlgorithm::kSm3), "log");
  const auto build_start = Clock::now();
  // The same frontier arithmetic as Log::Append, over synthetic leaves.
  std::vector<std::optional<record::Hash>> frontier;
  const std::int64_t batch = 200'000;
  for (std::int64_t first = 0; !reuse && first < s.events; first += batch) {
    Must(db->Write([&](store::Conn& conn) -> core::Status {
      for (std::int64_t index = first; index < std::min(first + batch, s.events); ++index) {
        const std::string data = std::to_string(index);
        const record::Hash leaf =
            record::LeafHash(crypto::HashAlgorithm::kSm3, core::AsBytes(data));
        const store::EventRecord e{.seq = index + 1,
                                   .at = index,
                                   .action = "bench",
                                   .outcome = "ok",
                                   .leaf_hash = store::Blob(leaf.begin(), leaf.end())};
        TRY(store::AppendEvent(conn, e));
        record::Hash node = leaf;
        auto idx = static_cast<std::uint64_t>(index);
        std::size_t level = 0;
        while ((idx & 1U) != 0) {
          node = record::NodeHash(crypto::HashAlgorithm::kSm3, *frontier[level], node);
          frontier[level].reset();
          idx >>= 1;
          ++level;
          TRY(store::PutNode(conn, static_cast<int>(level), static_cast<std::int64_t>(idx),
                             store::Blob(node.begin(), node.end())));
        }
        if (frontier.size() <= level) frontier.resize(level + 1);
        frontier[level] = node;
      }
      return core::Ok();
    }),
         "build");
  }
  const double build_s = std::chrono::duration<double>(Clock::now() - build_start).count();
  const auto size = static_cast<std::uint64_t>(s.events);
  std::mt19937_64 rng(42);
  // Two passes over different random events: the first meets a cold page
  // cache, the second a warm one (as a running server has).
  for (const char* pass : {"cold", "warm"}) {
    std::vector<double> micros;
    micros.reserve(static_cast<std::size_t>(s.proofs));
    Must(db->Read([&](store::Conn& conn) -> core::Status {
      const record::Hash root = TRY(log->RootAt(conn, size));
      for (int i = 0; i < s.proofs; ++i) {
        const auto seq = static_cast<std::int64_t>(rng() % size) + 1;
        const auto t0 = Clock::now();
        auto proof = TRY(log->InclusionProof(conn, seq, size));
        micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        const record::Hash leaf =
            record::LeafHash(crypto::HashAlgorithm::kSm3, core::AsBytes(std::to_string(seq - 1)));
        TRY(record::VerifyInclusion(crypto::HashAlgorithm::kSm3,
                                    static_cast<std::uint64_t>(seq - 1), size, leaf, proof, root));
      }
      return core::Ok();
    }),
         "prove");
    std::sort(micros.begin(), micros.end());
    auto pct = [&](double p) {
      return micros[static_cast<std::size_t>(p * static_cast<double>(micros.size() - 1))];
    };
    std::printf(
        "proof (%s): %lld events (%s), %d random inclusion proofs, all verified\n", pass,
        static_cast<long long>(s.events),
        reuse ? "reused" : ("built in " + std::to_string(static_cast<int>(build_s)) + " s").c_str(),
        s.proofs);
    std::printf("  median %.1f us   p99 %.1f us   max %.1f us\n", pct(0.5), pct(0.99),
                micros.back());
  }
  if (s.keep) return;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lvyuan

int main(int argc, char** argv) {
  lvyuan::Settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--threads")
      s.threads = std::stoi(value);
    else if (flag == "--actions")
      s.actions = std::stoi(value);
    else if (flag == "--events")
      s.events = std::stoll(value);
    else if (flag == "--proofs")
      s.proofs = std::stoi(value);
    else if (flag == "--dir")
      s.dir = value;
    else if (flag == "--only")
      s.only = value;
    else if (flag == "--store-url")
      s.store_url = value;
    else if (flag == "--keep")
      s.keep = value == "1" || value == "yes";
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (s.only.empty() || s.only == "append") lvyuan::RunAppend(s);
  if (s.only.empty() || s.only == "proof") lvyuan::RunProof(s);
  return 0;
}
