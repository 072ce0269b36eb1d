#include "record/bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <system_error>

#include "core/encoding.h"
#include "core/unique_fd.h"
#include "record/canonical.h"
#include "record/checkpoint.h"
#include "record/merkle.h"
#include "store/record.h"

namespace lvyuan::record {
namespace {

namespace json = boost::json;

constexpr std::size_t kChunk = 64 * 1024;
// Members other than files/ are held in memory by the verifier.
constexpr std::int64_t kMaxMemberBytes = 64LL * 1024 * 1024;
constexpr int kPageSize = 1000;

struct ArchiveFree {
  void operator()(archive* a) const { archive_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

std::string ArchiveError(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown error";
}

std::string Hex(const Hash& h) { return core::HexEncode(h); }

std::string SignatureName(const crypto::PublicKey& key) {
  return std::string(crypto::SignatureAlgorithmName(key.algorithm()));
}

// One file an event lists, keyed by its SM3.
struct FileEntry {
  std::string sm3;
  std::string sha256;
  std::uint64_t size = 0;
  std::string name;
};

// Reads the `files` entries of one canonical event array. InvalidArgument
// for an entry without the four members.
core::Result<std::vector<FileEntry>> FilesOf(const json::value& files) {
  std::vector<FileEntry> out;
  if (!files.is_array()) return core::InvalidArgument("files 不是数组 (files is not an array)");
  for (const json::value& v : files.as_array()) {
    const json::object* o = v.if_object();
    if (o == nullptr) return core::InvalidArgument("files 的条目不是对象");
    const json::value* sm3 = o->if_contains("sm3");
    const json::value* sha256 = o->if_contains("sha256");
    const json::value* size = o->if_contains("size");
    const json::value* name = o->if_contains("name");
    if (sm3 == nullptr || !sm3->is_string() || sha256 == nullptr || !sha256->is_string() ||
        size == nullptr || !(size->is_int64() || size->is_uint64()) ||
        (name != nullptr && !name->is_string())) {
      return core::InvalidArgument("files 的条目缺少 sm3/sha256/size (file entry incomplete)");
    }
    FileEntry f;
    f.sm3 = std::string(sm3->as_string());
    f.sha256 = std::string(sha256->as_string());
    f.size = size->is_uint64()
                 ? size->as_uint64()
                 : static_cast<std::uint64_t>(std::max<std::int64_t>(0, size->as_int64()));
    if (name != nullptr) f.name = std::string(name->as_string());
    out.push_back(std::move(f));
  }
  return out;
}

std::string SafeNamePart(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    out += keep ? c : '_';
  }
  return out.empty() ? "_" : out;
}

// ---- writing ----

class TarWriter {
 public:
  static core::Result<TarWriter> Open(const std::filesystem::path& path, std::int64_t mtime_s) {
    ArchivePtr a(archive_write_new());
    if (!a) return core::Internal("无法创建归档 (cannot create the archive)");
    // pax restricted: plain ustar headers unless a name or size needs pax.
    if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
        archive_write_open_filename(a.get(), path.c_str()) != ARCHIVE_OK) {
      return core::Internal("无法写入 " + path.string() + "：" + ArchiveError(a.get()));
    }
    return TarWriter(std::move(a), mtime_s);
  }

  core::Status Header(const std::string& name, std::uint64_t size) {
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_mtime(e.get(), static_cast<time_t>(mtime_s_), 0);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) {
      return core::Internal("写入归档失败 (tar header " + name + "): " + ArchiveError(a_.get()));
    }
    return core::Ok();
  }

  core::Status Data(const void* bytes, std::size_t size) {
    const auto* p = static_cast<const char*>(bytes);
    while (size > 0) {
      la_ssize_t n = archive_write_data(a_.get(), p, size);
      if (n <= 0) return core::Internal("写入归档失败 (tar data): " + ArchiveError(a_.get()));
      p += n;
      size -= static_cast<std::size_t>(n);
    }
    return core::Ok();
  }

  core::Status Add(const std::string& name, std::string_view content) {
    TRY(Header(name, content.size()));
    return Data(content.data(), content.size());
  }

  core::Status Close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) {
      return core::Internal("写入归档失败 (tar close): " + ArchiveError(a_.get()));
    }
    return core::Ok();
  }

 private:
  TarWriter(ArchivePtr a, std::int64_t mtime_s) : a_(std::move(a)), mtime_s_(mtime_s) {}
  ArchivePtr a_;
  std::int64_t mtime_s_;
};

// Streams one blob into the tar, re-hashing it; DataLoss when it is not the
// file the events recorded.
core::Status AddFile(TarWriter& tar, const BlobStore& blobs, const FileEntry& f) {
  auto path = blobs.PathOf(f.sm3);
  if (!path.ok()) {
    if (path.error().code == core::ErrorCode::kNotFound) {
      return core::DataLoss("文件不在文件库中 (file not in the blob store): " + f.sm3);
    }
    return std::move(path).error();
  }
  core::UniqueFd fd(::open(path->c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) {
    return core::Internal("无法读取文件 (cannot read file) " + f.sm3 + ": " + std::strerror(errno));
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size != f.size) {
    return core::DataLoss("文件大小与记录不符 (file size differs from the record): " + f.sm3);
  }
  TRY(tar.Header("files/" + f.sm3, size));
  crypto::Hasher sm3(HashAlgorithm::kSm3);
  crypto::Hasher sha256(HashAlgorithm::kSha256);
  std::vector<std::uint8_t> buf(kChunk);
  std::uint64_t done = 0;
  while (done < size) {
    const ssize_t n =
        ::read(fd.get(), buf.data(), std::min<std::uint64_t>(buf.size(), size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return core::Internal("读取文件失败 (cannot read file) " + f.sm3);
    }
    const std::span<const std::uint8_t> piece(buf.data(), static_cast<std::size_t>(n));
    sm3.Update(piece);
    sha256.Update(piece);
    TRY(tar.Data(buf.data(), static_cast<std::size_t>(n)));
    done += static_cast<std::uint64_t>(n);
  }
  if (Hex(sm3.Finish()) != f.sm3 || Hex(sha256.Finish()) != f.sha256) {
    return core::DataLoss("文件内容与记录的哈希不符 (file content differs from its hashes): " +
                          f.sm3);
  }
  return core::Ok();
}

std::string Readme(const std::string& object_type, const std::string& object_id,
                   const std::string& origin, const std::string& key_id, HashAlgorithm hash,
                   const crypto::PublicKey& key, std::uint64_t checkpoint_size,
                   std::int64_t first_seq, bool files_included) {
  const std::string object = object_type + ":" + object_id;
  const std::string dgst = hash == HashAlgorithm::kSm3 ? "-sm3" : "-sha256";
  const std::string hash_name(HashAlgorithmName(hash));
  const std::string sig_name = SignatureName(key);
  const std::string verify_sig =
      key.algorithm() == crypto::SignatureAlgorithm::kSm2
          ? "openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -digest sm3 \\\n"
            "    -pkeyopt distid:1234567812345678 -in checkpoint.body -sigfile checkpoint.sig\n"
          : "openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin \\\n"
            "    -in checkpoint.body -sigfile checkpoint.sig\n";
  const std::string seq = std::to_string(first_seq);
  std::string r;
  r += "# 电子证据包 / Evidence bundle — " + object + "\n\n";
  r += "## 中文\n\n";
  r +=
      "本证据包由绿源（lvyuan）平台导出，包含对象 `" + object +
      "` 在全过程记录中的全部事件、每个事件相对于已签名检查点的包含证明、部署的公钥以及事件所附文件"
      "。任何一方无需访问平台即可离线核验：事件自记录以来未被改动，且属于日志 `" +
      origin + "`（哈希算法 " + hash_name + "，签名算法 " + sig_name + "，检查点树大小 " +
      std::to_string(checkpoint_size) + "）。格式见平台文档 docs/record-format.md。\n\n";
  r += "文件说明：\n\n";
  r += "- "
       "`manifest.json`"
       "：格式版本、日志来源、算法、对象、导出时间、事件列表（序号、叶哈希）、文件列表、检查点大小"
       "；\n";
  r += "- `events/<序号>.json`：事件的规范形式（逐字节，即被哈希的内容）；\n";
  r += "- `proofs/<序号>.json`：该事件对检查点的包含证明（叶索引、树大小、自叶向上的哈希）；\n";
  r += "- "
       "`checkpoint.txt`：签名的检查点（正文、空行、签名行）；`checkpoint.body`：被签名的原始字节；"
       "`checkpoint.sig`：原始签名字节；`cosignatures/`：见证方的联署（如有）；\n";
  r += "- `public-key.pem`：部署的公钥，密钥标识 " + key_id + "；\n";
  r += std::string("- `files/<SM3>`：附件原文，文件名即其 SM3 哈希") +
       (files_included ? "" : "（本包导出时未附带文件）") + "。\n\n";
  r += "核验方法：运行 `lvyuan-verify 本文件.tar --public-key 已公布的公钥.pem`。"
       "公钥必须与部署方公开的公钥（`GET "
       "/api/public/record/key`）核对一致，否则签名只能证明包内自洽。\n\n";
  r += "也可用 OpenSSL 手工核验：\n\n```sh\n";
  r += "# 1. 检查点签名\n" + verify_sig;
  r += "# 2. 事件的叶哈希 = H(0x00 ‖ 事件字节)，应等于 manifest.json 与 proofs/" + seq +
       ".json 中的 leaf_hash\n";
  r += "{ printf '\\0'; cat events/" + seq + ".json; } | openssl dgst " + dgst + "\n";
  r += "# 3. 文件哈希，应等于事件 files 中的 sm3 与 sha256\n";
  r += "openssl dgst -sm3 files/*; openssl dgst -sha256 files/*\n```\n\n";
  r += "包含证明按 RFC 9162 §2.1.3.2 计算：从叶哈希出发，依次与 proofs 中的哈希合并（内部节点 = "
       "H(0x01 ‖ 左 ‖ 右)），结果应等于 checkpoint.body 第三行（Base64）的根哈希。"
       "注意：证据包证明所列事件真实且未被改动，但不能证明该对象没有其他事件。\n\n";
  r += "## English\n\n";
  r += "This bundle was exported by lvyuan. It holds every event of the object `" + object +
       "` in the whole-process record, each event's inclusion proof against a signed checkpoint, "
       "the deployment's public key and the files the events attach. Anyone can check offline, "
       "without access to the platform, that the events are unaltered since they were recorded "
       "and belong to the log `" +
       origin + "` (hash " + hash_name + ", signature " + sig_name + ", checkpoint tree size " +
       std::to_string(checkpoint_size) + "). The format is docs/record-format.md.\n\n";
  r += "Members:\n\n";
  r += "- `manifest.json`: format version, origin, algorithms, object, export time, the events "
       "(seq, leaf hash), the files, the checkpoint size;\n";
  r += "- `events/<seq>.json`: the event's canonical form, byte for byte (what is hashed);\n";
  r += "- `proofs/<seq>.json`: its inclusion proof against the checkpoint (leaf index, tree size, "
       "hashes from the leaf upwards);\n";
  r += "- `checkpoint.txt`: the signed note (body, blank line, signature line); "
       "`checkpoint.body`: the exact signed bytes; `checkpoint.sig`: the raw signature; "
       "`cosignatures/`: witness cosignatures, if any;\n";
  r += "- `public-key.pem`: the deployment's public key, key id " + key_id + ";\n";
  r += std::string("- `files/<SM3>`: the attached files, each named by its SM3 hash") +
       (files_included ? "" : " (this bundle was exported without them)") + ".\n\n";
  r += "To verify: `lvyuan-verify THIS.tar --public-key PUBLISHED.pem`. The key must be compared "
       "with the key the deployment publishes (`GET /api/public/record/key`); otherwise the "
       "signature only shows the bundle is self-consistent.\n\n";
  r += "By hand with OpenSSL: the commands above (1: the checkpoint signature; 2: an event's leaf "
       "hash H(0x00 || event bytes), which must equal the leaf_hash in manifest.json and "
       "proofs/" +
       seq +
       ".json; 3: the files' hashes, which must equal the events' sm3 and sha256). An inclusion "
       "proof is checked as RFC 9162 §2.1.3.2 says: start from the leaf hash, combine with each "
       "proof hash in turn (node = H(0x01 || left || right)); the result must be the root on the "
       "third line (base64) of checkpoint.body. A bundle proves the listed events are authentic "
       "and unaltered; it cannot prove the object has no other events.\n";
  return r;
}

}  // namespace

std::string BundleFileName(std::string_view object_type, std::string_view object_id,
                           std::int64_t now_ms) {
  return "evidence-" + SafeNamePart(object_type) + "-" + SafeNamePart(object_id) + "-" +
         core::ChinaDate(now_ms) + ".tar";
}

core::Result<BundleSummary> ExportBundle(store::Database& db, Log& log,
                                         const crypto::PrivateKey& key, const core::Clock& clock,
                                         const BlobStore* blobs, const BundleRequest& request) {
  if (request.object_type.empty() || request.object_id.empty()) {
    return core::InvalidArgument("对象应写作 类型:编号 (object must be TYPE:ID)", "object");
  }
  const HashAlgorithm hash = log.algorithm();
  const crypto::PublicKey public_key = key.Public();
  const std::string origin = OriginOf(public_key);

  // The object's events, oldest first, with their canonical bytes.
  std::vector<store::EventRecord> events;
  TRY(db.Read([&](store::Conn& conn) -> core::Status {
    events.clear();
    store::EventFilter filter;
    filter.object_type = request.object_type;
    filter.object_id = request.object_id;
    filter.limit = kPageSize;
    for (;;) {
      auto page = TRY(store::ListEvents(conn, filter));
      for (auto& e : page) events.push_back(std::move(e));
      if (static_cast<int>(page.size()) < kPageSize) break;
      filter.before_seq = events.back().seq;
    }
    return core::Ok();
  }));
  if (events.empty()) {
    return core::NotFound("对象 " + request.object_type + ":" + request.object_id +
                          " 没有任何记录事件 (the object has no events)");
  }
  std::reverse(events.begin(), events.end());
  std::vector<std::string> canonical;
  canonical.reserve(events.size());
  std::vector<FileEntry> files;
  std::set<std::string> seen_files;
  for (const auto& e : events) {
    std::string text = TRY(CanonicalEvent(e));
    const Hash leaf = LeafHash(hash, core::AsBytes(text));
    if (e.leaf_hash.size() != leaf.size() ||
        !std::equal(leaf.begin(), leaf.end(), e.leaf_hash.begin())) {
      return core::DataLoss("事件 " + std::to_string(e.seq) +
                            " 与其叶哈希不符，拒绝导出 (event does not give its leaf hash)");
    }
    auto listed = FilesOf(TRY(ParseCanonical(e.files, json::kind::array, "files")));
    if (!listed.ok()) return core::DataLoss(listed.error().message);
    for (auto& f : *listed) {
      if (seen_files.insert(f.sm3).second) files.push_back(std::move(f));
    }
    canonical.push_back(std::move(text));
  }
  const std::int64_t newest_seq = events.back().seq;

  BundleSummary summary;
  std::optional<store::CheckpointRecord> checkpoint;
  TRY(db.Read([&](store::Conn& conn) -> core::Status {
    checkpoint = TRY(store::LatestCheckpoint(conn));
    return core::Ok();
  }));
  if (!checkpoint || checkpoint->size < newest_seq) {
    TRY(MakeCheckpoint(db, log, key, clock));
    summary.made_checkpoint = true;
  }

  std::vector<std::vector<Hash>> proofs;
  std::vector<store::CosignatureRecord> cosignatures;
  TRY(db.Read([&](store::Conn& conn) -> core::Status {
    proofs.clear();
    checkpoint = TRY(store::LatestCheckpoint(conn));
    if (!checkpoint || checkpoint->size < newest_seq) {
      return core::Internal("没有覆盖全部事件的检查点 (no checkpoint covers the events)");
    }
    const auto size = static_cast<std::uint64_t>(checkpoint->size);
    for (const auto& e : events) proofs.push_back(TRY(log.InclusionProof(conn, e.seq, size)));
    cosignatures = TRY(store::ListCosignatures(conn, checkpoint->size));
    return core::Ok();
  }));
  TRY(VerifyCheckpoint(*checkpoint, public_key, hash));
  Hash root{};
  std::copy_n(checkpoint->root.begin(), std::min(root.size(), checkpoint->root.size()),
              root.begin());

  const std::int64_t now_ms = clock.NowMs();
  std::filesystem::path path = request.out;
  std::error_code ec;
  if (path.empty()) {
    path = BundleFileName(request.object_type, request.object_id, now_ms);
  } else if (std::filesystem::is_directory(path, ec)) {
    path /= BundleFileName(request.object_type, request.object_id, now_ms);
  }
  summary.path = path;
  summary.events = events.size();
  summary.checkpoint_size = static_cast<std::uint64_t>(checkpoint->size);
  summary.cosignatures = cosignatures.size();

  json::object manifest;
  manifest["format"] = kBundleFormat;
  manifest["version"] = kBundleVersion;
  manifest["origin"] = origin;
  manifest["key_id"] = public_key.KeyId();
  manifest["hash"] = HashAlgorithmName(hash);
  manifest["signature"] = SignatureName(public_key);
  manifest["object"] = {{"type", request.object_type}, {"id", request.object_id}};
  manifest["exported_at"] = core::FormatIsoUtc(now_ms);
  manifest["checkpoint"] = {{"size", checkpoint->size},
                            {"root", Hex(root)},
                            {"made_for_export", summary.made_checkpoint}};
  json::array manifest_events;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string seq = std::to_string(events[i].seq);
    manifest_events.push_back(json::object{
        {"seq", events[i].seq},
        {"leaf_hash", core::HexEncode(events[i].leaf_hash)},
        {"path", "events/" + seq + ".json"},
        {"proof", "proofs/" + seq + ".json"},
    });
  }
  manifest["events"] = std::move(manifest_events);
  json::array manifest_files;
  for (const auto& f : files) {
    json::object o{{"sm3", f.sm3}, {"sha256", f.sha256}, {"size", f.size}, {"name", f.name}};
    if (blobs != nullptr) {
      o["path"] = "files/" + f.sm3;
    } else {
      o["path"] = nullptr;
    }
    manifest_files.push_back(std::move(o));
  }
  manifest["files"] = std::move(manifest_files);
  json::array manifest_cosignatures;
  for (std::size_t i = 0; i < cosignatures.size(); ++i) {
    manifest_cosignatures.push_back(
        json::object{{"witness", cosignatures[i].witness},
                     {"path", "cosignatures/" + std::to_string(i + 1) + ".json"}});
  }
  manifest["cosignatures"] = std::move(manifest_cosignatures);

  const std::filesystem::path part = path.string() + ".part";
  {
    TarWriter tar = TRY(TarWriter::Open(part, now_ms / 1000));
    auto write_all = [&]() -> core::Status {
      TRY(tar.Add("README.md", Readme(request.object_type, request.object_id, origin,
                                      public_key.KeyId(), hash, public_key, summary.checkpoint_size,
                                      events.front().seq, blobs != nullptr)));
      TRY(tar.Add("manifest.json", json::serialize(manifest) + "\n"));
      TRY(tar.Add("public-key.pem", public_key.ToPem()));
      TRY(tar.Add("checkpoint.txt", SignedNote(*checkpoint, origin)));
      TRY(tar.Add("checkpoint.body", checkpoint->body));
      TRY(tar.Add("checkpoint.sig",
                  std::string_view(reinterpret_cast<const char*>(checkpoint->signature.data()),
                                   checkpoint->signature.size())));
      for (std::size_t i = 0; i < cosignatures.size(); ++i) {
        const auto& c = cosignatures[i];
        json::object o{{"witness", c.witness},
                       {"key_id", c.key_id},
                       {"size", c.size},
                       {"at", core::FormatIsoUtc(c.at)},
                       {"message", CosignatureMessage(checkpoint->body, c.at)},
                       {"signature", core::Base64Encode(c.signature)}};
        TRY(tar.Add("cosignatures/" + std::to_string(i + 1) + ".json", json::serialize(o) + "\n"));
      }
      for (std::size_t i = 0; i < events.size(); ++i) {
        TRY(tar.Add("events/" + std::to_string(events[i].seq) + ".json", canonical[i]));
      }
      for (std::size_t i = 0; i < events.size(); ++i) {
        json::array hashes;
        for (const Hash& h : proofs[i]) hashes.push_back(json::value(Hex(h)));
        json::object o{{"seq", events[i].seq},
                       {"leaf_index", events[i].seq - 1},
                       {"tree_size", checkpoint->size},
                       {"leaf_hash", core::HexEncode(events[i].leaf_hash)},
                       {"hashes", std::move(hashes)}};
        TRY(tar.Add("proofs/" + std::to_string(events[i].seq) + ".json",
                    json::serialize(o) + "\n"));
      }
      if (blobs != nullptr) {
        for (const auto& f : files) {
          TRY(AddFile(tar, *blobs, f));
          summary.file_bytes += f.size;
          ++summary.files;
        }
      }
      return tar.Close();
    };
    auto written = write_all();
    if (!written.ok()) {
      std::filesystem::remove(part, ec);
      return std::move(written).error();
    }
  }
  std::filesystem::rename(part, path, ec);
  if (ec) {
    std::filesystem::remove(part, ec);
    return core::Internal("无法写入 " + path.string() + "：" + ec.message());
  }
  return summary;
}

// ---- verifying ----

namespace {

struct StreamedFile {
  std::uint64_t size = 0;
  std::string sm3;
  std::string sha256;
};

struct Members {
  std::map<std::string, std::string> text;
  std::map<std::string, StreamedFile> files;  // key: the member name "files/<sm3>"
};

// What went wrong with a member, before the report is filled.
struct Fault {
  std::string item;
  std::string message;
};

core::Result<Members> ReadMembers(const std::filesystem::path& path, std::optional<Fault>& fault) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return core::NotFound("证据包不存在 (no such bundle): " + path.string());
  }
  ArchivePtr a(archive_read_new());
  if (!a) return core::Internal("无法创建归档读取器");
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), kChunk) != ARCHIVE_OK) {
    return core::InvalidArgument("无法读取证据包 (cannot read the bundle): " +
                                 ArchiveError(a.get()));
  }
  Members m;
  std::vector<char> buf(kChunk);
  for (;;) {
    archive_entry* entry = nullptr;
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return core::InvalidArgument("证据包不是完整的 tar 文件 (not a readable tar): " +
                                   ArchiveError(a.get()));
    }
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const char* raw_name = archive_entry_pathname(entry);
    std::string name = raw_name != nullptr ? raw_name : "";
    if (name.starts_with("./")) name.erase(0, 2);
    if (m.text.contains(name) || m.files.contains(name)) {
      if (!fault) fault = Fault{name, "成员重复出现 (member appears twice)"};
      continue;
    }
    const bool is_file = name.starts_with("files/");
    if (!is_file && archive_entry_size(entry) > kMaxMemberBytes) {
      if (!fault) fault = Fault{name, "成员过大 (member too large)"};
      continue;
    }
    crypto::Hasher sm3(HashAlgorithm::kSm3);
    crypto::Hasher sha256(HashAlgorithm::kSha256);
    std::string content;
    std::uint64_t size = 0;
    for (;;) {
      const la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) {
        return core::InvalidArgument("证据包内容损坏 (truncated or damaged tar) at " + name + ": " +
                                     ArchiveError(a.get()));
      }
      const auto count = static_cast<std::size_t>(n);
      size += count;
      if (is_file) {
        const std::span<const std::uint8_t> piece(reinterpret_cast<const std::uint8_t*>(buf.data()),
                                                  count);
        sm3.Update(piece);
        sha256.Update(piece);
      } else {
        content.append(buf.data(), count);
      }
    }
    if (is_file) {
      m.files[name] = {size, Hex(sm3.Finish()), Hex(sha256.Finish())};
    } else {
      m.text[name] = std::move(content);
    }
  }
  return m;
}

const std::string* Member(const Members& m, const std::string& name) {
  auto it = m.text.find(name);
  return it == m.text.end() ? nullptr : &it->second;
}

std::optional<json::value> ParseJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

std::optional<Hash> HashFromHex(std::string_view text) {
  auto bytes = core::HexDecode(text);
  if (!bytes.ok() || bytes->size() != 32) return std::nullopt;
  Hash h{};
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

std::string StringAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<std::int64_t> IntAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->as_uint64());
  }
  return std::nullopt;
}

// The checks, in order; returns the first fault.
std::optional<Fault> Check(const Members& m, const crypto::PublicKey* trusted_key,
                           BundleReport& report) {
  const std::string* pem = Member(m, "public-key.pem");
  const std::string* body_text = Member(m, "checkpoint.body");
  const std::string* sig_text = Member(m, "checkpoint.sig");
  const std::string* note = Member(m, "checkpoint.txt");
  const std::string* manifest_text = Member(m, "manifest.json");
  for (const auto& [name, member] :
       {std::pair{"manifest.json", manifest_text}, std::pair{"public-key.pem", pem},
        std::pair{"checkpoint.body", body_text}, std::pair{"checkpoint.sig", sig_text},
        std::pair{"checkpoint.txt", note}}) {
    if (member == nullptr) return Fault{name, "缺少该成员 (member missing)"};
  }

  // The key.
  auto key = crypto::PublicKey::FromPem(*pem);
  if (!key.ok()) return Fault{"public-key.pem", "不是有效的公钥 (not a valid public key)"};
  report.key_id = key->KeyId();
  report.signature = SignatureName(*key);
  if (trusted_key != nullptr) {
    if (trusted_key->ToDer() != key->ToDer()) {
      return Fault{"public-key.pem", "证据包的公钥 " + key->KeyId() + " 不是所信任的公钥 " +
                                         trusted_key->KeyId() +
                                         " (the bundle's key is not the trusted key)"};
    }
    report.key_trusted = true;
  }

  // The checkpoint: the signature over the exact body, then what it says.
  const std::span<const std::uint8_t> sig = core::AsBytes(*sig_text);
  if (!key->Verify(core::AsBytes(*body_text), sig)) {
    // Name the member that disagrees with the signed note, when one does.
    const std::string sig_line = "\n\xE2\x80\x94 ";
    const auto at = note->rfind(sig_line);
    const bool note_body_same = at != std::string::npos && note->substr(0, at) == *body_text;
    const std::string note_sig =
        at == std::string::npos ? "" : note->substr(note->find(' ', at + sig_line.size()) + 1);
    const bool note_sig_same = note_sig == core::Base64Encode(sig) + "\n";
    const char* item = !note_body_same && note_sig_same ? "checkpoint.body" : "checkpoint.sig";
    return Fault{item,
                 "检查点签名无效：checkpoint.sig 不是 public-key.pem 对 checkpoint.body 的签名 "
                 "(the checkpoint signature does not verify)"};
  }
  auto body = ParseCheckpointBody(*body_text);
  if (!body.ok()) return Fault{"checkpoint.body", "检查点正文格式错误：" + body.error().message};
  if (body->origin != OriginOf(*key)) {
    return Fault{"checkpoint.body", "检查点的来源不是该公钥的日志 (origin is not the key's log)"};
  }
  report.origin = body->origin;
  report.hash = body->hash;
  report.checkpoint_size = body->size;
  report.checkpoint_root = Hex(body->root);
  report.checkpoint_time = core::FormatIsoUtc(body->at_ms);
  if (*note !=
      *body_text + "\n\xE2\x80\x94 " + body->origin + " " + core::Base64Encode(sig) + "\n") {
    return Fault{"checkpoint.txt",
                 "签名检查点与 checkpoint.body/checkpoint.sig 不一致 (signed note differs)"};
  }

  // The manifest.
  auto manifest_value = ParseJson(*manifest_text);
  if (!manifest_value || !manifest_value->is_object()) {
    return Fault{"manifest.json", "不是 JSON 对象 (not a JSON object)"};
  }
  const json::object& manifest = manifest_value->as_object();
  if (StringAt(manifest, "format") != kBundleFormat ||
      IntAt(manifest, "version") != kBundleVersion) {
    return Fault{"manifest.json", "不支持的证据包格式或版本 (unsupported format or version)"};
  }
  if (StringAt(manifest, "origin") != body->origin ||
      StringAt(manifest, "hash") != HashAlgorithmName(body->hash)) {
    return Fault{"manifest.json", "来源或哈希算法与检查点不符 (origin or hash differ)"};
  }
  const json::value* object = manifest.if_contains("object");
  if (object == nullptr || !object->is_object()) {
    return Fault{"manifest.json", "缺少 object (object missing)"};
  }
  report.object_type = StringAt(object->as_object(), "type");
  report.object_id = StringAt(object->as_object(), "id");
  report.exported_at = StringAt(manifest, "exported_at");
  const json::value* manifest_checkpoint = manifest.if_contains("checkpoint");
  if (manifest_checkpoint == nullptr || !manifest_checkpoint->is_object() ||
      IntAt(manifest_checkpoint->as_object(), "size") != static_cast<std::int64_t>(body->size)) {
    return Fault{"manifest.json", "检查点大小与 checkpoint.body 不符 (checkpoint size differs)"};
  }
  const json::value* manifest_events = manifest.if_contains("events");
  const json::value* manifest_files = manifest.if_contains("files");
  if (manifest_events == nullptr || !manifest_events->is_array() ||
      manifest_events->as_array().empty() || manifest_files == nullptr ||
      !manifest_files->is_array()) {
    return Fault{"manifest.json", "缺少事件或文件列表 (events or files missing)"};
  }
  if (const json::value* c = manifest.if_contains("cosignatures"); c != nullptr && c->is_array()) {
    report.cosignatures = c->as_array().size();
  }

  // Every event: canonical bytes → leaf hash → inclusion proof → root.
  std::map<std::string, FileEntry> event_files;  // by sm3, from the signed events
  std::set<std::int64_t> seqs;
  for (const json::value& entry : manifest_events->as_array()) {
    const json::object* e = entry.if_object();
    const auto seq = e != nullptr ? IntAt(*e, "seq") : std::nullopt;
    if (!seq || *seq < 1 || !seqs.insert(*seq).second) {
      return Fault{"manifest.json", "事件序号无效或重复 (bad or repeated event seq)"};
    }
    const std::string event_name = "events/" + std::to_string(*seq) + ".json";
    const std::string proof_name = "proofs/" + std::to_string(*seq) + ".json";
    const std::string* event_text = Member(m, event_name);
    if (event_text == nullptr) return Fault{event_name, "缺少该成员 (member missing)"};
    const std::string* proof_text = Member(m, proof_name);
    if (proof_text == nullptr) return Fault{proof_name, "缺少该成员 (member missing)"};

    auto event = ParseCanonical(*event_text, json::kind::object, event_name);
    if (!event.ok()) {
      return Fault{event_name,
                   "事件不是规范 JSON (event is not canonical JSON)：" + event.error().message};
    }
    const json::object& ev = event->as_object();
    const json::value* event_object = ev.if_contains("object");
    if (IntAt(ev, "seq") != *seq || IntAt(ev, "v") != 1 || event_object == nullptr ||
        !event_object->is_object()) {
      return Fault{event_name, "事件序号或格式版本不符 (seq or format version differ)"};
    }
    if (StringAt(event_object->as_object(), "type") != report.object_type ||
        StringAt(event_object->as_object(), "id") != report.object_id) {
      return Fault{event_name, "事件不属于证据包的对象 (event is not the bundle's object's)"};
    }
    const Hash leaf = LeafHash(body->hash, core::AsBytes(*event_text));

    auto proof_value = ParseJson(*proof_text);
    if (!proof_value || !proof_value->is_object()) {
      return Fault{proof_name, "不是 JSON 对象 (not a JSON object)"};
    }
    const json::object& proof = proof_value->as_object();
    const json::value* hashes_value = proof.if_contains("hashes");
    std::vector<Hash> hashes;
    bool hashes_ok = hashes_value != nullptr && hashes_value->is_array();
    if (hashes_ok) {
      for (const json::value& h : hashes_value->as_array()) {
        auto parsed = h.is_string() ? HashFromHex(h.as_string()) : std::nullopt;
        if (!parsed) {
          hashes_ok = false;
          break;
        }
        hashes.push_back(*parsed);
      }
    }
    if (!hashes_ok || IntAt(proof, "leaf_index") != *seq - 1 ||
        IntAt(proof, "tree_size") != static_cast<std::int64_t>(body->size)) {
      return Fault{proof_name, "包含证明格式错误或与检查点不符 (malformed proof)"};
    }
    const auto recorded_leaf = HashFromHex(StringAt(proof, "leaf_hash"));
    if (!VerifyInclusion(body->hash, static_cast<std::uint64_t>(*seq - 1), body->size, leaf, hashes,
                         body->root)
             .ok()) {
      // The recorded leaf hash tells which side was changed.
      if (recorded_leaf && *recorded_leaf != leaf &&
          VerifyInclusion(body->hash, static_cast<std::uint64_t>(*seq - 1), body->size,
                          *recorded_leaf, hashes, body->root)
              .ok()) {
        return Fault{event_name,
                     "事件内容已被改动：其叶哈希不在检查点的树中 (event altered: its "
                     "leaf hash is not in the checkpoint's tree)"};
      }
      return Fault{proof_name,
                   "包含证明不能导出检查点的根哈希 (inclusion proof does not lead to the root)"};
    }
    if (recorded_leaf != leaf) {
      return Fault{proof_name, "leaf_hash 与事件不符 (leaf_hash differs from the event)"};
    }
    if (HashFromHex(StringAt(*e, "leaf_hash")) != leaf) {
      return Fault{"manifest.json",
                   "事件 " + std::to_string(*seq) + " 的 leaf_hash 与事件不符 (leaf_hash differs)"};
    }
    const json::value* files_value = ev.if_contains("files");
    auto listed =
        files_value != nullptr
            ? FilesOf(*files_value)
            : core::Result<std::vector<FileEntry>>(core::InvalidArgument("files missing"));
    if (!listed.ok()) return Fault{event_name, listed.error().message};
    for (auto& f : *listed) event_files.emplace(f.sm3, std::move(f));
    ++report.events_checked;
  }

  // Files: the bytes against the signed events' entries, then the manifest.
  std::set<std::string> manifest_sm3;
  for (const json::value& entry : manifest_files->as_array()) {
    const json::object* f = entry.if_object();
    if (f == nullptr) return Fault{"manifest.json", "文件条目不是对象 (file entry not an object)"};
    const std::string sm3 = StringAt(*f, "sm3");
    auto listed = event_files.find(sm3);
    if (listed == event_files.end() || !manifest_sm3.insert(sm3).second) {
      return Fault{"manifest.json", "文件 " + sm3 +
                                        " 不是事件所附文件或重复列出 (file not "
                                        "attached by an event, or listed twice)"};
    }
    const json::value* path_value = f->if_contains("path");
    if (path_value != nullptr && path_value->is_string()) {
      const std::string name(path_value->as_string());
      if (name != "files/" + sm3) {
        return Fault{"manifest.json", "文件路径应为 files/<sm3> (file path must be files/<sm3>)"};
      }
      auto streamed = m.files.find(name);
      if (streamed == m.files.end()) return Fault{name, "缺少该成员 (member missing)"};
      const StreamedFile& s = streamed->second;
      if (s.sm3 != listed->second.sm3 || s.sha256 != listed->second.sha256 ||
          s.size != listed->second.size) {
        return Fault{name,
                     "文件内容与事件记录的 SM3/SHA-256/大小不符 (file content differs from "
                     "the hashes the events recorded)"};
      }
      ++report.files_checked;
      report.file_bytes += s.size;
    } else {
      ++report.files_not_included;
    }
    if (StringAt(*f, "sha256") != listed->second.sha256 ||
        IntAt(*f, "size") != static_cast<std::int64_t>(listed->second.size)) {
      return Fault{"manifest.json", "文件 " + sm3 +
                                        " 的哈希或大小与事件记录不符 (file hash or size differs "
                                        "from the events)"};
    }
  }
  for (const auto& [sm3, f] : event_files) {
    if (!manifest_sm3.contains(sm3)) {
      return Fault{"manifest.json", "事件所附文件 " + sm3 + " 未列出 (attached file not listed)"};
    }
  }
  return std::nullopt;
}

}  // namespace

core::Result<BundleReport> VerifyBundle(const std::filesystem::path& path,
                                        const crypto::PublicKey* trusted_key) {
  std::optional<Fault> fault;
  Members members = TRY(ReadMembers(path, fault));
  BundleReport report;
  if (!fault) fault = Check(members, trusted_key, report);
  if (fault) report.problem = BundleProblem{std::move(fault->item), std::move(fault->message)};
  return report;
}

}  // namespace lvyuan::record
