// `lvyuan audit verify` against the cost of its hashing: builds a record of N
// events (a signed checkpoint every 1000) in a fresh SQLite database, then
// measures in one run
//   - raw SM3 over the canonical events: H(0x00 || event) for every event,
//     from memory, nothing else;
//   - record::VerifyRecord over the same database (read, canonical form,
//     leaf and node hashes, stored nodes, checkpoints);
// and prints both as canonical-event bytes per second and their ratio.
//
//   cmake --preset bench && cmake --build --preset bench --target lvyuan_verify_benchmark
//   build/bench/bench/lvyuan_verify_benchmark [--events 200000] [--batch 8192]
//       [--rounds 5] [--dir D]
//
// The database goes to a fresh directory under --dir (default: the system
// temporary directory) and is removed afterwards. Each measurement is the
// best of --rounds (default 5) rounds in which raw SM3 and the full verify alternate (the first
// verify also warms the page cache).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/encoding.h"
#include "crypto/hash.h"
#include "record/canonical.h"
#include "record/checkpoint.h"
#include "record/log.h"
#include "record/verify.h"
#include "store/database.h"

namespace lvyuan {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

struct Settings {
  int events = 200000;
  int batch = 8192;
  int rounds = 5;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
};

// An event like the product's: a unit edited by an officer, two changed
// fields, a detail note (about 450 canonical bytes).
record::EventInput Event(int i) {
  record::EventInput in;
  in.actor.user_id = i % 97 + 1;
  in.actor.username = "officer_" + std::to_string(i % 97);
  in.actor.unit_id = i % 13 + 1;
  in.action = i % 3 == 0 ? "unit.update" : "record.view";
  in.object_type = "unit";
  in.object_id = std::to_string(i % 5000);
  in.changes = {{"contact_phone", json::object{{"before", "0572-1234567"},
                                               {"after", "0572-" + std::to_string(1000000 + i)}}},
                {"name", json::object{{"before", "湖州市生态环境局"},
                                      {"after", "湖州市生态环境局执法支队 " + std::to_string(i)}}}};
  in.detail = {{"note", "现场检查后更新联系方式"}, {"session", "s-" + std::to_string(i * 7919)}};
  in.client_ip = "10.1." + std::to_string(i % 250) + "." + std::to_string(i % 200);
  in.request_id = "req-" + std::to_string(i) + "-a1b2c3d4";
  return in;
}

int Fail(const core::Error& e) {
  std::fprintf(stderr, "verify_benchmark: %s\n", e.ToString().c_str());
  return 1;
}

int Run(const Settings& s) {
  const auto dir = s.dir / ("lvyuan_verify_bench_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } cleanup{dir};

  core::FakeClock clock(1764633600000);
  auto db = store::Open({.url = (dir / "lvyuan.db").string()});
  if (!db.ok()) return Fail(db.error());
  if (auto m = (*db)->Migrate(); !m.ok()) return Fail(m.error());
  auto log = record::Log::Open(**db, clock, record::HashAlgorithm::kSm3);
  if (!log.ok()) return Fail(log.error());
  auto key =
      record::EnsureSigningKey(**db, dir / "record-key.pem", crypto::SignatureAlgorithm::kSm2);
  if (!key.ok()) return Fail(key.error());

  std::printf("building a record of %d events ...\n", s.events);
  const auto build_start = Clock::now();
  constexpr int kPerCheckpoint = 1000;
  for (int done = 0; done < s.events;) {
    const int n = std::min(kPerCheckpoint, s.events - done);
    auto w = (*db)->Write([&](store::Conn& conn) -> core::Status {
      for (int i = 0; i < n; ++i) {
        clock.Advance(37);
        TRY((*log)->Append(conn, Event(done + i)));
      }
      return core::Ok();
    });
    if (!w.ok()) return Fail(w.error());
    done += n;
    auto c = record::MakeCheckpoint(**db, **log, *key, clock);
    if (!c.ok()) return Fail(c.error());
  }
  std::printf("  built in %.1f s\n",
              std::chrono::duration<double>(Clock::now() - build_start).count());

  // The leaf inputs, in memory.
  std::string all;
  std::vector<std::size_t> ends;
  ends.reserve(static_cast<std::size_t>(s.events));
  auto r = (*db)->Read([&](store::Conn& conn) -> core::Status {
    for (std::int64_t after = 0;;) {
      auto events = TRY(store::ScanEvents(conn, after, 8192));
      if (events.empty()) break;
      for (const auto& e : events) {
        all += TRY(record::CanonicalEvent(e));
        ends.push_back(all.size());
      }
      after = events.back().seq;
    }
    return core::Ok();
  });
  if (!r.ok()) return Fail(r.error());
  const double bytes = static_cast<double>(all.size());
  std::printf("  %zu canonical events, %.1f MB, %.0f bytes each on average\n", ends.size(),
              bytes / 1e6, bytes / static_cast<double>(ends.size()));

  // Where the time goes: reading the rows (as EventRecords, then streamed as
  // views), then streamed with the canonical form.
  enum Part { kRecords, kViews, kCanonical, kParts };
  double part_best[kParts] = {1e100, 1e100, 1e100};
  for (int round = 0; round < 3; ++round) {
    for (int part = 0; part < kParts; ++part) {
      std::string text;
      std::size_t rows = 0;
      const auto start = Clock::now();
      auto scan = (*db)->Read([&](store::Conn& conn) -> core::Status {
        for (std::int64_t after = 0;;) {
          if (part == kRecords) {
            auto events = TRY(store::ScanEvents(conn, after, s.batch));
            if (events.empty()) break;
            rows += events.size();
            after = events.back().seq;
            continue;
          }
          std::size_t batch_rows = 0;
          TRY(store::ScanEventViews(conn, after, s.batch,
                                    [&](const store::EventView& e) -> core::Status {
                                      ++batch_rows;
                                      after = e.seq;
                                      if (part == kCanonical) {
                                        text.clear();
                                        TRY(record::AppendCanonicalEvent(e, text));
                                      }
                                      return core::Ok();
                                    }));
          rows += batch_rows;
          if (batch_rows == 0) break;
        }
        return core::Ok();
      });
      if (!scan.ok()) return Fail(scan.error());
      if (rows != ends.size()) {
        std::fprintf(stderr, "verify_benchmark: read %zu rows, expected %zu\n", rows, ends.size());
        return 1;
      }
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      part_best[part] = std::min(part_best[part], seconds);
    }
  }

  // Raw SM3 and the full verify alternate, round by round, so that both see
  // the same machine (the clock rate and other processes' load drift over a
  // run); each figure is the best of its rounds.
  double raw_best = 1e100;
  double verify_best = 1e100;
  std::uint8_t sink = 0;
  record::VerifyReport report;
  for (int round = 0; round < s.rounds; ++round) {
    double raw_seconds = 0;
    {
      crypto::Hasher hasher(crypto::HashAlgorithm::kSm3);
      const std::uint8_t prefix = 0x00;
      const auto start = Clock::now();
      std::size_t begin = 0;
      for (std::size_t end : ends) {
        hasher.Update(std::span<const std::uint8_t>(&prefix, 1));
        hasher.Update(std::string_view(all).substr(begin, end - begin));
        sink ^= hasher.Finish()[0];
        begin = end;
      }
      raw_seconds = std::chrono::duration<double>(Clock::now() - start).count();
      raw_best = std::min(raw_best, raw_seconds);
    }
    const auto start = Clock::now();
    auto v = record::VerifyRecord(**db, {.batch_size = s.batch});
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!v.ok()) return Fail(v.error());
    if (!v->ok()) {
      std::fprintf(stderr, "verify_benchmark: the record did not verify: %s\n",
                   v->problem->message.c_str());
      return 1;
    }
    report = *v;
    verify_best = std::min(verify_best, seconds);
    std::printf("  round %d: raw SM3 %.3f s, verify %.3f s\n", round + 1, raw_seconds, seconds);
  }
  if (report.event_bytes != all.size()) {
    std::fprintf(stderr, "verify_benchmark: verify hashed %llu bytes, expected %zu\n",
                 static_cast<unsigned long long>(report.event_bytes), all.size());
    return 1;
  }

  const double raw = bytes / raw_best / 1e6;
  const double full = bytes / verify_best / 1e6;
  std::printf("\n%-34s %10s %12s %14s\n", "", "seconds", "MB/s", "events/s");
  std::printf("%-34s %10.3f %12.1f %14.0f\n", "raw SM3 of the leaf inputs", raw_best, raw,
              static_cast<double>(ends.size()) / raw_best);
  std::printf("%-34s %10.3f %12.1f %14.0f\n", "VerifyRecord (whole record)", verify_best, full,
              static_cast<double>(ends.size()) / verify_best);
  std::printf("%-34s %10.3f\n", "  rows as EventRecords (ScanEvents)", part_best[kRecords]);
  std::printf("%-34s %10.3f\n", "  rows streamed (ScanEventViews)", part_best[kViews]);
  std::printf("%-34s %10.3f\n", "  streamed + canonical form", part_best[kCanonical]);
  std::printf("\nratio verify / raw SM3: %.2f  (%llu events, %llu nodes, %llu checkpoints; %u)\n",
              full / raw, static_cast<unsigned long long>(report.events_checked),
              static_cast<unsigned long long>(report.nodes_checked),
              static_cast<unsigned long long>(report.checkpoints_checked), sink & 0U);
  return 0;
}

}  // namespace
}  // namespace lvyuan

int main(int argc, char** argv) {
  lvyuan::Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--events" && has_value) {
      s.events = std::atoi(argv[++i]);
    } else if (arg == "--batch" && has_value) {
      s.batch = std::atoi(argv[++i]);
    } else if (arg == "--rounds" && has_value) {
      s.rounds = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--dir" && has_value) {
      s.dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--events N] [--batch N] [--rounds N] [--dir DIR]\n",
                   argv[0]);
      return 2;
    }
  }
  if (s.events < 1) {
    std::fprintf(stderr, "--events must be at least 1\n");
    return 2;
  }
  return lvyuan::Run(s);
}
