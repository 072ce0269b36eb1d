#include "verify_tool/report.h"

#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>

#include "crypto/sign.h"

namespace lvyuan::verify_tool {

int PrintReport(const record::BundleReport& r, std::ostream& out) {
  if (r.ok()) {
    out << "证据包校验通过 bundle verified\n";
  } else {
    out << "证据包校验失败 verification FAILED\n"
        << "  首个异常 first failing item: " << r.problem->item << "\n"
        << "  原因 why:                    " << r.problem->message << "\n";
  }
  if (!r.object_type.empty() || !r.object_id.empty()) {
    out << "  对象 object:                 " << r.object_type << ":" << r.object_id << "\n";
  }
  if (!r.origin.empty()) out << "  日志 log:                    " << r.origin << "\n";
  if (!r.exported_at.empty()) out << "  导出时间 exported at:        " << r.exported_at << "\n";
  if (r.checkpoint_size > 0) {
    out << "  检查点 checkpoint:           size " << r.checkpoint_size << ", "
        << record::HashAlgorithmName(r.hash) << " root " << r.checkpoint_root << ", "
        << r.checkpoint_time << "\n";
  }
  out << "  事件 events verified:        " << r.events_checked << "\n"
      << "  文件 files verified:         " << r.files_checked << " (" << r.file_bytes
      << " bytes)\n";
  if (r.files_not_included > 0) {
    out << "  注意 note: " << r.files_not_included
        << " 个文件未随包提供，仅核验了其哈希记录 files listed without their bytes\n";
  }
  if (r.cosignatures > 0) {
    out << "  见证联署 cosignatures:       " << r.cosignatures
        << "（未核验：见证方公钥不在包内 not verified: witness keys are not in the bundle）\n";
  }
  if (!r.key_id.empty()) {
    out << "  公钥 key:                    " << r.signature << ", key id " << r.key_id << "\n";
    if (r.key_trusted) {
      out << "  公钥与所信任的公钥一致 the key is the trusted key\n";
    } else if (r.ok()) {
      out << "  警告 WARNING: 未提供 --public-key。请将上述密钥标识与部署方公布的公钥 "
             "(GET /api/public/record/key) 核对；否则只能证明证据包自洽。\n"
             "  No --public-key given: compare this key id with the deployment's published "
             "key, otherwise the bundle is only shown to be self-consistent.\n";
    }
  }
  return r.ok() ? kVerified : kFailed;
}

int RunVerify(const std::filesystem::path& bundle, const std::filesystem::path& public_key_file,
              std::ostream& out, std::ostream& err) {
  std::optional<crypto::PublicKey> trusted;
  if (!public_key_file.empty()) {
    std::ifstream in(public_key_file, std::ios::binary);
    std::ostringstream pem;
    pem << in.rdbuf();
    if (!in) {
      err << "lvyuan-verify: 无法读取公钥文件 (cannot read the key file): "
          << public_key_file.string() << "\n";
      return kCannotRun;
    }
    auto key = crypto::PublicKey::FromPem(pem.str());
    if (!key.ok()) {
      err << "lvyuan-verify: 公钥文件不是 SM2/Ed25519 公钥 (not a public key): "
          << public_key_file.string() << "\n";
      return kCannotRun;
    }
    trusted = std::move(key).value();
  }
  auto report = record::VerifyBundle(bundle, trusted ? &*trusted : nullptr);
  if (!report.ok()) {
    err << "lvyuan-verify: " << report.error().message << "\n";
    return kCannotRun;
  }
  const int code = PrintReport(*report, out);
  if (code == kFailed) {
    err << "lvyuan-verify: verification failed at " << report->problem->item << "\n";
  }
  return code;
}

}  // namespace lvyuan::verify_tool
