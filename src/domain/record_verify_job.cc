#include "domain/record_verify_job.h"

#include <spdlog/spdlog.h>

#include "domain/record_actor.h"

namespace lvyuan::domain {
namespace {

bool MayVerify(const Principal& who) {
  return who.via == Principal::Via::kCommandLine || who.Has("audit:event:list");
}

}  // namespace

RecordVerifyJob::RecordVerifyJob(store::Database& db, record::Log& log, const core::Clock& clock,
                                 std::filesystem::path files_root)
    : db_(db), log_(log), clock_(clock), files_root_(std::move(files_root)) {}

RecordVerifyJob::~RecordVerifyJob() {
  if (thread_.joinable()) thread_.join();
}

void RecordVerifyJob::AppendEvent(const record::EventInput& input) {
  auto s = db_.Write([&](store::Conn& conn) -> core::Status {
    TRY(log_.Append(conn, input));
    return core::Ok();
  });
  if (!s.ok())
    spdlog::error("record verify: cannot record {}: {}", input.action, s.error().ToString());
}

core::Result<VerifyStatus> RecordVerifyJob::Start(const Principal& who, const RequestMeta& meta) {
  if (!MayVerify(who)) return core::PermissionDenied("只有审计管理员可以核验全过程记录");
  std::lock_guard lock(mu_);
  if (status_.state == "running") {
    return core::FailedPrecondition("核验正在进行中，请等待其完成");
  }
  if (thread_.joinable()) thread_.join();
  record::EventInput start;
  start.actor = ActorOf(who);
  start.action = "record.verify.start";
  start.object_type = "record";
  start.client_ip = meta.client_ip;
  start.request_id = meta.request_id;
  AppendEvent(start);
  status_ = VerifyStatus{};
  status_.state = "running";
  status_.started_at = clock_.NowMs();
  status_.started_by = who.username;
  thread_ = std::thread([this, meta, actor = ActorOf(who)] { Run(meta, actor); });
  return status_;
}

core::Result<VerifyStatus> RecordVerifyJob::Status(const Principal& who) {
  if (!MayVerify(who)) return core::PermissionDenied("只有审计管理员可以核验全过程记录");
  std::lock_guard lock(mu_);
  return status_;
}

void RecordVerifyJob::Run(RequestMeta meta, record::Actor actor) {
  auto report = record::VerifyRecord(db_, {.files_root = files_root_},
                                     [this](std::uint64_t done, std::uint64_t total) {
                                       std::lock_guard lock(mu_);
                                       status_.done = done;
                                       status_.total = total;
                                     });
  record::EventInput result;
  result.actor = std::move(actor);
  result.action = "record.verify";
  result.object_type = "record";
  result.client_ip = meta.client_ip;
  result.request_id = meta.request_id;
  {
    std::lock_guard lock(mu_);
    status_.finished_at = clock_.NowMs();
    if (!report.ok()) {
      status_.state = "error";
      status_.error = report.error().message;
      result.outcome = "failed";
      result.detail["error"] = report.error().message;
    } else {
      status_.report = *report;
      status_.done = report->events_checked;
      status_.total = report->tree_size;
      status_.state = report->ok() ? "passed" : "failed";
      result.outcome = report->ok() ? "ok" : "failed";
      result.detail["tree_size"] = static_cast<std::int64_t>(report->tree_size);
      result.detail["events_checked"] = static_cast<std::int64_t>(report->events_checked);
      result.detail["checkpoints_checked"] = static_cast<std::int64_t>(report->checkpoints_checked);
      result.detail["files_checked"] = static_cast<std::int64_t>(report->files_checked);
      if (report->problem) {
        result.detail["code"] = std::string(record::DefectCode(report->problem->defect));
        result.detail["first_bad_seq"] = report->problem->first_bad_seq;
        result.detail["message"] = report->problem->message;
      }
    }
  }
  AppendEvent(result);
}

}  // namespace lvyuan::domain
