#include "domain/field_key.h"

#include "store/accounts.h"

namespace lvyuan::domain {
namespace {

store::Blob BlobOf(std::string_view text) { return store::Blob(text.begin(), text.end()); }

}  // namespace

core::Result<crypto::FieldCipher> EnsureFieldKey(store::Database& db,
                                                 const std::filesystem::path& key_file) {
  std::optional<store::Blob> pinned;
  TRY(db.Read([&](store::Conn& conn) -> core::Status {
    pinned = TRY(store::GetSetting(conn, kFieldKeySetting));
    return core::Ok();
  }));
  std::error_code ec;
  const bool exists = std::filesystem::exists(key_file, ec);
  if (pinned && !exists) {
    return core::FailedPrecondition(
        "字段密钥文件 " + key_file.string() + " 不存在；本部署已用它加密数据，请从备份恢复该文件",
        "field_key");
  }
  crypto::FieldCipher cipher =
      exists ? TRY(crypto::FieldCipher::LoadFile(key_file)) : crypto::FieldCipher::Generate();
  if (!exists) {
    if (key_file.has_parent_path()) std::filesystem::create_directories(key_file.parent_path(), ec);
    TRY(cipher.SaveFile(key_file));
  }
  const store::Blob id = BlobOf(cipher.key_id());
  store::Blob stored;
  TRY(db.Write([&](store::Conn& conn) -> core::Status {
    stored = TRY(store::PutSettingIfAbsent(conn, kFieldKeySetting, id));
    return core::Ok();
  }));
  if (stored != id) {
    return core::FailedPrecondition("字段密钥文件 " + key_file.string() +
                                        " 不是本部署登记的密钥（密钥标识 " +
                                        std::string(stored.begin(), stored.end()) + "）",
                                    "field_key");
  }
  return cipher;
}

}  // namespace lvyuan::domain
