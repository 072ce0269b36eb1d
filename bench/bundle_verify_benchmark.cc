// Offline verification of an evidence bundle taken from a large log: builds a
// log of --events events (default 1,000,000) through the store — real
// canonical events and leaf hashes, real stored tree nodes, written in large
// transactions as bench/record_benchmark.cc does — signs a checkpoint, exports
// one object's bundle (--per-object events of it, spread over the whole log,
// with one attached file) and times record::VerifyBundle, the function
// `lvyuan-verify` runs, over --runs runs.
//
//   cmake --preset bench && cmake --build --preset bench --target lvyuan_bundle_verify_benchmark
//   build/bench/bench/lvyuan_bundle_verify_benchmark [--events 1000000] [--per-object 100]
//       [--runs 20] [--dir D]
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/encoding.h"
#include "record/blob_store.h"
#include "record/bundle.h"
#include "record/checkpoint.h"
#include "record/log.h"
#include "record/merkle.h"
#include "record/verify.h"
#include "store/database.h"
#include "store/record.h"

namespace lvyuan {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what, const core::Error& e) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), e.ToString().c_str());
  std::exit(1);
}

template <typename R>
auto Must(R r, const std::string& what) {
  if (!r.ok()) Die(what, r.error());
  if constexpr (!std::is_void_v<typename R::value_type>) return std::move(r).value();
}

int Run(int argc, char** argv) {
  std::int64_t events = 1'000'000;
  std::int64_t per_object = 100;
  int runs = 20;
  std::filesystem::path base = std::filesystem::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--events") events = std::atoll(argv[i + 1]);
    if (flag == "--per-object") per_object = std::atoll(argv[i + 1]);
    if (flag == "--runs") runs = std::atoi(argv[i + 1]);
    if (flag == "--dir") base = argv[i + 1];
  }
  const std::int64_t stride = std::max<std::int64_t>(1, events / per_object);
  const auto dir = base / ("lvyuan-bundle-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);

  auto db = Must(store::Open({.url = (dir / "record.db").string()}), "open");
  Must(db->Migrate(), "migrate");
  core::FakeClock clock(1764633600000);
  record::BlobStore blobs(dir / "files");
  auto writer = Must(blobs.Begin("bench"), "blob");
  const std::string content = "%PDF-1.7\n" + std::string(256 * 1024, 'x');
  Must(writer.Write(core::AsBytes(content)), "blob write");
  const record::BlobInfo file = Must(writer.Commit(), "blob commit");
  const std::string files_json = "[{\"name\":\"bench.pdf\",\"sha256\":\"" + file.sha256_hex +
                                 "\",\"size\":" + std::to_string(file.size) + ",\"sm3\":\"" +
                                 file.sm3_hex + "\"}]";

  const auto build_start = Clock::now();
  std::vector<std::optional<record::Hash>> frontier;
  const std::int64_t batch = 100'000;
  std::string canonical;
  for (std::int64_t first = 0; first < events; first += batch) {
    Must(db->Write([&](store::Conn& conn) -> core::Status {
      for (std::int64_t index = first; index < std::min(first + batch, events); ++index) {
        store::EventRecord e;
        e.seq = index + 1;
        e.at = 1764633600000 + index;
        e.actor_user_id = 7;
        e.actor_username = "hzhb_officer";
        e.actor_unit_id = 3;
        e.outcome = "ok";
        e.client_ip = "127.0.0.1";
        e.request_id = "bench-" + std::to_string(index);
        const bool ours = index % stride == 0;
        e.action = ours ? "matter.update" : "matter.view";
        e.object_type = "matter";
        e.object_id = ours ? "bench" : std::to_string(index % 50'000);
        e.changes = R"({"state":{"after":"sent","before":"draft"}})";
        if (ours && index == 0) e.files = files_json;
        canonical.clear();
        TRY(record::AppendCanonicalEvent(e, canonical));
        const record::Hash leaf =
            record::LeafHash(crypto::HashAlgorithm::kSm3, core::AsBytes(canonical));
        e.leaf_hash.assign(leaf.begin(), leaf.end());
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

  auto log = Must(record::Log::Open(*db, clock, crypto::HashAlgorithm::kSm3), "log");
  auto key = Must(crypto::PrivateKey::Generate(crypto::SignatureAlgorithm::kSm2), "key");
  const auto export_start = Clock::now();
  const record::BundleSummary summary = Must(
      record::ExportBundle(*db, *log, key, clock, &blobs,
                           {.object_type = "matter", .object_id = "bench", .out = dir / "b.tar"}),
      "export");
  const double export_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - export_start).count();

  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    const record::BundleReport report = Must(record::VerifyBundle(summary.path), "verify");
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!report.ok()) {
      std::fprintf(stderr, "bundle failed at %s: %s\n", report.problem->item.c_str(),
                   report.problem->message.c_str());
      return 1;
    }
  }
  std::sort(ms.begin(), ms.end());
  const auto bytes = std::filesystem::file_size(summary.path);
  std::printf(
      "log: %lld events built in %.1f s; bundle of %llu events, %llu file (%llu bytes), "
      "tar %llu bytes, exported in %.0f ms (checkpoint made: %s)\n",
      static_cast<long long>(events), build_s, static_cast<unsigned long long>(summary.events),
      static_cast<unsigned long long>(summary.files),
      static_cast<unsigned long long>(summary.file_bytes), static_cast<unsigned long long>(bytes),
      export_ms, summary.made_checkpoint ? "yes" : "no");
  std::printf("VerifyBundle over %d runs: min %.2f ms, median %.2f ms, max %.2f ms\n", runs,
              ms.front(), ms[ms.size() / 2], ms.back());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add);
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); ++it) {
    std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
  }
  std::filesystem::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace lvyuan

int main(int argc, char** argv) { return lvyuan::Run(argc, argv); }
