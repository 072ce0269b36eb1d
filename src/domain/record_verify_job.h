// "Verify now" for the audit administrator: runs record::VerifyRecord over
// the whole record on a thread of its own and reports its progress. One run
// at a time per process. Starting a run and its result are themselves
// record events (record.verify.start, record.verify).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/result.h"
#include "domain/accounts.h"
#include "domain/principal.h"
#include "record/log.h"
#include "record/verify.h"
#include "store/database.h"

namespace lvyuan::domain {

struct VerifyStatus {
  std::string state = "idle";  // idle | running | passed | failed | error
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  std::int64_t started_at = 0;   // unix ms, 0 before the first run
  std::int64_t finished_at = 0;  // unix ms, 0 while running
  std::string started_by;
  std::optional<record::VerifyReport> report;  // when passed or failed
  std::string error;                           // when the run could not read the record
};

class RecordVerifyJob {
 public:
  RecordVerifyJob(store::Database& db, record::Log& log, const core::Clock& clock,
                  std::filesystem::path files_root);
  ~RecordVerifyJob();  // waits for a run in progress
  RecordVerifyJob(const RecordVerifyJob&) = delete;
  RecordVerifyJob& operator=(const RecordVerifyJob&) = delete;

  // PermissionDenied without audit:event:list; FailedPrecondition while a
  // run is in progress.
  core::Result<VerifyStatus> Start(const Principal& who, const RequestMeta& meta);
  core::Result<VerifyStatus> Status(const Principal& who);

 private:
  void Run(RequestMeta meta, record::Actor actor);
  void AppendEvent(const record::EventInput& input);

  store::Database& db_;
  record::Log& log_;
  const core::Clock& clock_;
  const std::filesystem::path files_root_;
  std::mutex mu_;
  VerifyStatus status_;
  std::thread thread_;
};

}  // namespace lvyuan::domain
