#include "app/record_cli.h"

#include <ostream>

#include "core/clock.h"
#include "record/blob_store.h"
#include "record/bundle.h"

namespace lvyuan::app {

int RunRecordExport(store::Database& db, record::Log& log, const crypto::PrivateKey& key,
                    const std::filesystem::path& files_root, const std::string& object,
                    const std::string& out, std::ostream& out_stream, std::ostream& err) {
  const auto colon = object.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == object.size()) {
    err << "lvyuan: --object 应写作 类型:编号，例如 unit:3 (expected TYPE:ID) [object]\n";
    return kExportBadObject;
  }
  const core::SystemClock clock;
  const record::BlobStore blobs(files_root);
  auto summary = record::ExportBundle(
      db, log, key, clock, &blobs,
      {.object_type = object.substr(0, colon), .object_id = object.substr(colon + 1), .out = out});
  if (!summary.ok()) {
    const core::Error& e = summary.error();
    err << "lvyuan: " << e.message << "\n";
    return e.code == core::ErrorCode::kNotFound ? kExportNoEvents : kExportFailed;
  }
  out_stream << summary->path.string() << "\n"
             << "证据包已导出 bundle exported: " << summary->events << " 条事件 events, "
             << summary->files << " 个文件 files (" << summary->file_bytes << " bytes), 检查点 "
             << "checkpoint size " << summary->checkpoint_size << "\n";
  if (summary->made_checkpoint) {
    out_stream << "已为导出新建检查点 a checkpoint was made so that every event is signed\n";
  }
  return kExportDone;
}

}  // namespace lvyuan::app
