#include "app/audit_cli.h"

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>

#include "core/encoding.h"
#include "record/log.h"
#include "record/verify.h"

namespace lvyuan::app {
namespace {

std::string Bar(std::uint64_t done, std::uint64_t total) {
  constexpr int kWidth = 30;
  const double fraction =
      total == 0 ? 1.0 : static_cast<double>(std::min(done, total)) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * kWidth);
  char line[160];
  std::snprintf(line, sizeof line, "\r校验中 verifying [%s%s] %3d%%  %llu/%llu",
                std::string(static_cast<std::size_t>(filled), '#').c_str(),
                std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(),
                static_cast<int>(fraction * 100), static_cast<unsigned long long>(done),
                static_cast<unsigned long long>(total));
  return line;
}

std::string Megabytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

void PrintCounts(const record::VerifyReport& r, std::ostream& out) {
  out << "  哈希算法 hash:           " << record::HashAlgorithmName(r.algorithm) << "\n"
      << "  事件 events:             " << r.events_checked << " / " << r.tree_size << "\n"
      << "  树节点 nodes:            " << r.nodes_checked << "\n"
      << "  检查点 checkpoints:      " << r.checkpoints_checked << "\n"
      << "  文件 files:              " << r.files_checked << " (" << Megabytes(r.file_bytes)
      << ")\n"
      << "  已哈希 bytes hashed:     " << r.event_bytes + r.file_bytes << " (事件 events "
      << Megabytes(r.event_bytes) << ")\n";
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.2f s", static_cast<double>(r.elapsed.count()) / 1e3);
  out << "  用时 elapsed:            " << elapsed << "\n";
}

}  // namespace

int RunAuditVerify(store::Database& db, const std::filesystem::path& files_root, std::ostream& out,
                   std::ostream& err, bool progress_bar, record::VerifyReport* report_out) {
  record::ProgressFn progress;
  if (progress_bar) {
    progress = [&err](std::uint64_t done, std::uint64_t total) {
      err << Bar(done, total) << std::flush;
    };
  }
  auto report = record::VerifyRecord(db, {.files_root = files_root}, progress);
  if (progress_bar) err << "\n";
  if (!report.ok()) {
    err << "lvyuan: 无法读取记录，校验未完成：" << report.error().message << "\n";
    return kAuditCannotRun;
  }
  const record::VerifyReport& r = *report;
  if (report_out != nullptr) *report_out = r;
  if (r.ok()) {
    out << "记录校验通过 record verified\n";
    PrintCounts(r, out);
    out << "  根哈希 root:             " << core::HexEncode(r.root) << "\n";
    if (r.unsigned_events > 0) {
      out << "  注意 note: 最新检查点之后的 " << r.unsigned_events
          << " 条事件尚未签署（下一个检查点将覆盖它们） events after the newest checkpoint are "
             "not signed yet\n";
    }
    return kAuditVerified;
  }
  const record::VerifyProblem& p = *r.problem;
  out << "记录校验失败 verification FAILED: " << record::DefectCode(p.defect) << "\n"
      << "  首个异常 first bad seq:  " << p.first_bad_seq << "\n"
      << "  原因 why:                " << p.message << "\n";
  if (p.checkpoint_size > 0) {
    out << "  检查点 checkpoint:       树大小 size " << p.checkpoint_size << "，覆盖事件 events "
        << p.range_from + 1 << "–" << p.range_to << "\n";
  }
  if (p.node_level >= 0) {
    out << "  节点 node:               (" << p.node_level << ", " << p.node_index << ")\n";
  }
  if (!p.file_sm3.empty()) out << "  文件 file:               sm3 " << p.file_sm3 << "\n";
  out << "校验停止前 before stopping:\n";
  PrintCounts(r, out);
  err << "lvyuan: 记录校验失败（" << record::DefectCode(p.defect) << "，第 " << p.first_bad_seq
      << " 条）：" << p.message << "\n";
  return kAuditFailed;
}

}  // namespace lvyuan::app
