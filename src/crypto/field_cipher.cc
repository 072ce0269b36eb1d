#include "crypto/field_cipher.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/secret_file.h"

namespace lvyuan::crypto {
namespace {

constexpr std::size_t kIvBytes = 16;
constexpr std::size_t kTagBytes = 32;
constexpr std::string_view kFileHeader = "lvyuan-field-key v1\n";

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};

std::span<const std::uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// u16be(len(context)) ‖ context.
void AppendContext(std::vector<std::uint8_t>& out, std::string_view context) {
  const std::size_t n = std::min<std::size_t>(context.size(), 0xffff);
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n & 0xff));
  out.insert(out.end(), context.begin(), context.begin() + static_cast<std::ptrdiff_t>(n));
}

Digest Tag(std::span<const std::uint8_t> mac_key, std::string_view context,
           std::span<const std::uint8_t> iv_and_ciphertext) {
  std::vector<std::uint8_t> input = {'s', 'f', '1'};
  AppendContext(input, context);
  input.insert(input.end(), iv_and_ciphertext.begin(), iv_and_ciphertext.end());
  return HmacSm3(mac_key, input);
}

}  // namespace

core::Result<std::vector<std::uint8_t>> Sm4Ctr(std::span<const std::uint8_t> key,
                                               std::span<const std::uint8_t> iv,
                                               std::span<const std::uint8_t> data) {
  if (key.size() != 16 || iv.size() != kIvBytes) {
    return core::InvalidArgument("SM4 密钥与初始向量均应为 16 字节");
  }
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> context(EVP_CIPHER_CTX_new());
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "SM4-CTR", nullptr);
  if (!context || cipher == nullptr) {
    EVP_CIPHER_free(cipher);
    return core::Internal("OpenSSL 不提供 SM4-CTR");
  }
  std::vector<std::uint8_t> out(data.size() + 16);
  int written = 0;
  int final_written = 0;
  const bool ok = EVP_EncryptInit_ex2(context.get(), cipher, key.data(), iv.data(), nullptr) == 1 &&
                  EVP_EncryptUpdate(context.get(), out.data(), &written,
                                    data.empty() ? out.data() : data.data(),
                                    static_cast<int>(data.size())) == 1 &&
                  EVP_EncryptFinal_ex(context.get(), out.data() + written, &final_written) == 1;
  EVP_CIPHER_free(cipher);
  if (!ok) return core::Internal("SM4-CTR 运算失败");
  out.resize(static_cast<std::size_t>(written + final_written));
  return out;
}

core::Result<FieldCipher> FieldCipher::FromKey(std::span<const std::uint8_t> key) {
  if (key.size() != kKeyBytes) return core::InvalidArgument("字段密钥应为 32 字节");
  FieldCipher c;
  std::copy(key.begin(), key.end(), c.key_.begin());
  const Digest encryption = HmacSm3(key, Bytes("lvyuan field encryption"));
  std::copy_n(encryption.begin(), c.encryption_key_.size(), c.encryption_key_.begin());
  c.mac_key_ = HmacSm3(key, Bytes("lvyuan field authentication"));
  c.index_key_ = HmacSm3(key, Bytes("lvyuan blind index"));
  const Digest id = HmacSm3(key, Bytes("lvyuan field key id"));
  c.key_id_ = core::HexEncode(std::span<const std::uint8_t>(id.data(), 8));
  return c;
}

FieldCipher FieldCipher::Generate() {
  std::vector<std::uint8_t> key = RandomBytes(kKeyBytes);
  auto c = FromKey(key);
  OPENSSL_cleanse(key.data(), key.size());
  return std::move(c).value();
}

core::Result<FieldCipher> FieldCipher::LoadFile(const std::filesystem::path& path) {
  std::string text = TRY(ReadSecretFile(path, 4096, "字段密钥文件"));
  if (!text.starts_with(kFileHeader)) {
    Cleanse(text);
    return core::InvalidArgument("不是字段密钥文件：" + path.string());
  }
  std::string_view hex = std::string_view(text).substr(kFileHeader.size());
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.remove_suffix(1);
  auto key = core::HexDecode(hex);
  Cleanse(text);
  if (!key.ok() || key->size() != kKeyBytes) {
    return core::InvalidArgument("字段密钥文件内容无效：" + path.string());
  }
  auto c = FromKey(*key);
  OPENSSL_cleanse(key->data(), key->size());
  return c;
}

core::Status FieldCipher::SaveFile(const std::filesystem::path& path) const {
  std::string text(kFileHeader);
  text += core::HexEncode(key_);
  text += "\n";
  core::Status written = WriteSecretFile(path, text, "字段密钥文件");
  Cleanse(text);
  return written;
}

std::string FieldCipher::Seal(std::string_view plaintext, std::string_view context) const {
  std::vector<std::uint8_t> sealed = RandomBytes(kIvBytes);
  auto ciphertext = Sm4Ctr(encryption_key_, std::span<const std::uint8_t>(sealed.data(), kIvBytes),
                           Bytes(plaintext));
  // Only a missing SM4 in the OpenSSL provider fails here; nothing could recover.
  if (!ciphertext.ok()) std::abort();
  sealed.insert(sealed.end(), ciphertext->begin(), ciphertext->end());
  const Digest tag = Tag(mac_key_, context, sealed);
  sealed.insert(sealed.end(), tag.begin(), tag.end());
  return std::string(kSealedPrefix) + core::Base64UrlEncode(sealed);
}

core::Result<std::string> FieldCipher::Open(std::string_view sealed,
                                            std::string_view context) const {
  if (!IsSealed(sealed)) return core::InvalidArgument("不是加密字段");
  auto raw = core::Base64UrlDecode(sealed.substr(kSealedPrefix.size()));
  if (!raw.ok() || raw->size() < kIvBytes + kTagBytes) {
    return core::InvalidArgument("加密字段格式无效");
  }
  const std::span<const std::uint8_t> all(*raw);
  const auto body = all.first(all.size() - kTagBytes);
  const Digest expected = Tag(mac_key_, context, body);
  if (!ConstantTimeEqual(expected, all.last(kTagBytes))) {
    return core::DataLoss("加密字段校验失败（内容被改动、位置不符或密钥不同）");
  }
  auto plain = TRY(Sm4Ctr(encryption_key_, body.first(kIvBytes), body.subspan(kIvBytes)));
  std::string out(plain.begin(), plain.end());
  OPENSSL_cleanse(plain.data(), plain.size());
  return out;
}

std::string FieldCipher::BlindIndex(std::string_view value, std::string_view context) const {
  std::vector<std::uint8_t> input;
  AppendContext(input, context);
  input.insert(input.end(), value.begin(), value.end());
  const Digest d = HmacSm3(index_key_, input);
  return core::HexEncode(d);
}

}  // namespace lvyuan::crypto
