#include "record/blob_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "core/unique_fd.h"

namespace lvyuan::record {
namespace {

namespace fs = std::filesystem;
using Bytes = std::span<const std::uint8_t>;

constexpr std::size_t kRehashChunk = 1 << 20;
constexpr std::size_t kMaxFilenameBytes = 200;
constexpr std::size_t kMaxKeptExtensionBytes = 16;

bool StartsWith(Bytes bytes, std::string_view prefix, std::size_t at = 0) {
  if (bytes.size() < at + prefix.size()) return false;
  return std::memcmp(bytes.data() + at, prefix.data(), prefix.size()) == 0;
}

std::uint32_t LittleEndian16(Bytes bytes, std::size_t at) {
  return static_cast<std::uint32_t>(bytes[at]) | static_cast<std::uint32_t>(bytes[at + 1]) << 8;
}
std::uint32_t LittleEndian32(Bytes bytes, std::size_t at) {
  return LittleEndian16(bytes, at) | LittleEndian16(bytes, at + 2) << 16;
}

// The media type an ISO base media file (ftyp box) announces by its major
// brand, empty when the brand is not one we know.
std::string IsoMediaType(Bytes bytes) {
  if (bytes.size() < 12) return {};
  std::string brand(reinterpret_cast<const char*>(bytes.data() + 8), 4);
  for (std::string_view heic : {"heic", "heix", "hevc", "hevx", "heim", "heis"}) {
    if (brand == heic) return "image/heic";
  }
  if (brand == "mif1" || brand == "msf1") return "image/heif";
  if (brand == "avif" || brand == "avis") return "image/avif";
  if (brand == "qt  ") return "video/quicktime";
  if (brand == "M4A " || brand == "M4B ") return "audio/mp4";
  if (brand.starts_with("3gp") || brand.starts_with("3g2")) return "video/3gpp";
  for (std::string_view mp4 : {"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41", "mp42",
                               "avc1", "M4V ", "M4VH", "M4VP", "dash", "f4v ", "MSNV", "XAVC"}) {
    if (brand == mp4) return "video/mp4";
  }
  return {};
}

// The type of a ZIP archive by the names of its entries: OOXML documents keep
// their parts under word/, xl/ or ppt/, OFD (GB/T 33190) has OFD.xml at the
// root. Walks the local file headers present in `bytes`; when an entry's size
// is not in its header (data descriptor) the next header is searched for.
std::string ZipMediaType(Bytes bytes) {
  constexpr std::string_view kLocalHeader("PK\x03\x04", 4);
  std::size_t at = 0;
  for (int entry = 0; entry < 256 && at + 30 <= bytes.size(); ++entry) {
    if (!StartsWith(bytes, kLocalHeader, at)) {
      auto found = std::search(bytes.begin() + static_cast<std::ptrdiff_t>(at) + 1, bytes.end(),
                               kLocalHeader.begin(), kLocalHeader.end());
      if (found == bytes.end()) break;
      at = static_cast<std::size_t>(found - bytes.begin());
      continue;
    }
    std::uint32_t flags = LittleEndian16(bytes, at + 6);
    std::uint32_t compressed = LittleEndian32(bytes, at + 18);
    std::uint32_t name_length = LittleEndian16(bytes, at + 26);
    std::uint32_t extra_length = LittleEndian16(bytes, at + 28);
    if (at + 30 + name_length > bytes.size()) break;
    std::string_view name(reinterpret_cast<const char*>(bytes.data() + at + 30), name_length);
    if (name == "OFD.xml") return "application/ofd";
    if (name.starts_with("word/")) {
      return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    }
    if (name.starts_with("xl/")) {
      return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    }
    if (name.starts_with("ppt/")) {
      return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    }
    bool sized = (flags & 0x8) == 0;
    std::size_t next = at + 30 + name_length + extra_length;
    at = sized ? next + compressed : next;  // unsized: search from here on
  }
  return "application/zip";
}

bool IsMpegAudioFrame(Bytes bytes) {
  if (bytes.size() < 4 || bytes[0] != 0xFF || (bytes[1] & 0xE0) != 0xE0) return false;
  int version = (bytes[1] >> 3) & 0x3;
  int layer = (bytes[1] >> 1) & 0x3;
  int bitrate = bytes[2] >> 4;
  int sample_rate = (bytes[2] >> 2) & 0x3;
  return version != 1 && layer != 0 && bitrate != 0xF && sample_rate != 3;
}

// The length of the UTF-8 sequence starting with `lead`, 0 when `lead`
// cannot start one.
std::size_t Utf8SequenceLength(std::uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Decodes one code point at `at`; returns its length, 0 when the bytes there
// are not valid UTF-8 (overlong forms, surrogates and values above U+10FFFF
// included), or the negated available length when the sequence is cut off by
// the end of `bytes`.
long DecodeUtf8(Bytes bytes, std::size_t at, char32_t& code_point) {
  std::size_t length = Utf8SequenceLength(bytes[at]);
  if (length == 0) return 0;
  if (length == 1) {
    code_point = bytes[at];
    return 1;
  }
  std::size_t available = std::min(length, bytes.size() - at);
  char32_t value = bytes[at] & (0x7F >> length);
  for (std::size_t i = 1; i < available; ++i) {
    std::uint8_t next = bytes[at + i];
    if ((next & 0xC0) != 0x80) return 0;
    if (i == 1) {
      if (bytes[at] == 0xE0 && next < 0xA0) return 0;  // overlong
      if (bytes[at] == 0xED && next > 0x9F) return 0;  // surrogate
      if (bytes[at] == 0xF0 && next < 0x90) return 0;  // overlong
      if (bytes[at] == 0xF4 && next > 0x8F) return 0;  // above U+10FFFF
    }
    value = (value << 6) | (next & 0x3F);
  }
  if (available < length) return -static_cast<long>(available);
  code_point = value;
  return static_cast<long>(length);
}

bool IsUtf8Text(Bytes bytes) {
  std::size_t at = StartsWith(bytes, "\xEF\xBB\xBF") ? 3 : 0;
  if (at == bytes.size()) return false;
  while (at < bytes.size()) {
    char32_t code_point = 0;
    long length = DecodeUtf8(bytes, at, code_point);
    if (length < 0) return true;  // the sniffed prefix ends inside a character
    if (length == 0) return false;
    bool control = code_point < 0x20 || code_point == 0x7F;
    bool allowed =
        code_point == '\t' || code_point == '\n' || code_point == '\r' || code_point == '\f';
    if (control && !allowed) return false;
    at += static_cast<std::size_t>(length);
  }
  return true;
}

// Characters a file name must not carry: C0/C1 controls and the invisible
// marks that reorder text ("invoice\u202Efdp.exe" displays as "invoiceexe.pdf").
bool IsDroppedFromFilename(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return true;
  if (c == 0x200E || c == 0x200F || c == 0xFEFF) return true;
  if (c >= 0x202A && c <= 0x202E) return true;
  if (c >= 0x2066 && c <= 0x2069) return true;
  return false;
}

bool IsReservedWindowsName(std::string_view stem) {
  while (!stem.empty() && stem.back() == ' ') stem.remove_suffix(1);
  std::string upper;
  for (char c : stem)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (upper == "CON" || upper == "PRN" || upper == "AUX" || upper == "NUL") return true;
  if (upper.size() == 4 && (upper.starts_with("COM") || upper.starts_with("LPT")) &&
      upper[3] >= '0' && upper[3] <= '9') {
    return true;
  }
  return false;
}

void TrimDotsAndSpaces(std::string& text, bool leading) {
  if (leading) {
    std::size_t start = text.find_first_not_of(". ");
    text.erase(0, start == std::string::npos ? text.size() : start);
  } else {
    std::size_t end = text.find_last_not_of(". ");
    text.erase(end == std::string::npos ? 0 : end + 1);
  }
}

// The longest prefix of `text` of at most `limit` bytes that ends on a
// character boundary.
std::string_view CutUtf8(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

core::Error IoError(std::string_view what, int error_number) {
  if (error_number == ENOSPC || error_number == EDQUOT) {
    return core::ResourceExhausted("存储空间不足");
  }
  return core::Internal(std::string(what) + ": " + std::strerror(error_number));
}

// fsyncs a directory so that entries created or renamed in it are durable.
core::Status SyncDirectory(const fs::path& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open directory", errno);
  core::UniqueFd closer(fd);
  if (::fsync(fd) != 0) return IoError("fsync directory", errno);
  return core::Ok();
}

// Takes the writer's lock on an upload file: false when another writer
// holds it.
bool LockUpload(int fd) { return ::flock(fd, LOCK_EX | LOCK_NB) == 0; }

fs::path BlobPath(const fs::path& root, std::string_view sm3_hex) {
  return root / "sm3" / std::string(sm3_hex.substr(0, 2)) / std::string(sm3_hex.substr(2, 2)) /
         std::string(sm3_hex);
}

core::Status WriteAll(int fd, Bytes bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return IoError("write upload", errno);
    }
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
  return core::Ok();
}

// Reads up to `buffer.size()` bytes at `offset`; the count read, short only
// at the end of the file.
core::Result<std::size_t> ReadAt(int fd, std::span<std::uint8_t> buffer, std::uint64_t offset) {
  std::size_t total = 0;
  while (total < buffer.size()) {
    ssize_t got = ::pread(fd, buffer.data() + total, buffer.size() - total,
                          static_cast<off_t>(offset + total));
    if (got < 0) {
      if (errno == EINTR) continue;
      return IoError("read", errno);
    }
    if (got == 0) break;
    total += static_cast<std::size_t>(got);
  }
  return total;
}

}  // namespace

std::string SniffMediaType(std::span<const std::uint8_t> bytes) {
  if (StartsWith(bytes, "%PDF-")) return "application/pdf";
  if (StartsWith(bytes, "\x89PNG\r\n\x1A\n")) return "image/png";
  if (StartsWith(bytes, "\xFF\xD8\xFF")) return "image/jpeg";
  if (StartsWith(bytes, "GIF87a") || StartsWith(bytes, "GIF89a")) return "image/gif";
  if (StartsWith(bytes, "RIFF")) {
    if (StartsWith(bytes, "WEBP", 8)) return "image/webp";
    if (StartsWith(bytes, "AVI ", 8)) return "video/x-msvideo";
    if (StartsWith(bytes, "WAVE", 8)) return "audio/wav";
  }
  if (StartsWith(bytes, std::string_view("II*\0", 4)) ||
      StartsWith(bytes, std::string_view("MM\0*", 4))) {
    return "image/tiff";
  }
  if (StartsWith(bytes, "ftyp", 4)) {
    std::string iso = IsoMediaType(bytes);
    if (!iso.empty()) return iso;
  }
  if (StartsWith(bytes, "OggS")) {
    std::string_view page(reinterpret_cast<const char*>(bytes.data()),
                          std::min<std::size_t>(bytes.size(), 128));
    if (page.find("\x01vorbis") != std::string_view::npos ||
        page.find("OpusHead") != std::string_view::npos ||
        page.find("\x7F"
                  "FLAC") != std::string_view::npos) {
      return "audio/ogg";
    }
    if (page.find("\x80theora") != std::string_view::npos) return "video/ogg";
    return "application/ogg";
  }
  if (StartsWith(bytes, std::string_view("PK\x03\x04", 4))) return ZipMediaType(bytes);
  if (StartsWith(bytes, "ID3") || IsMpegAudioFrame(bytes)) return "audio/mpeg";
  if (IsUtf8Text(bytes)) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::string SanitizeFilename(std::string_view name) {
  std::size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);

  Bytes bytes = core::AsBytes(name);
  std::string clean;
  clean.reserve(name.size());
  std::size_t at = 0;
  while (at < bytes.size()) {
    char32_t code_point = 0;
    long length = DecodeUtf8(bytes, at, code_point);
    if (length <= 0) {  // invalid or cut-off UTF-8: drop the byte
      ++at;
      continue;
    }
    std::string_view encoded = name.substr(at, static_cast<std::size_t>(length));
    at += static_cast<std::size_t>(length);
    if (IsDroppedFromFilename(code_point)) continue;
    if (code_point < 0x80 && std::string_view("<>:\"|?*").find(static_cast<char>(code_point)) !=
                                 std::string_view::npos) {
      clean.push_back('_');
      continue;
    }
    clean.append(encoded);
  }
  TrimDotsAndSpaces(clean, /*leading=*/true);
  TrimDotsAndSpaces(clean, /*leading=*/false);

  std::size_t first_dot = clean.find('.');
  if (IsReservedWindowsName(std::string_view(clean).substr(0, first_dot))) {
    // A new string rather than insert(0, …): g++ 12 -O2 warns falsely
    // (-Wrestrict) about the overlapping move insert does.
    clean = std::string("_").append(clean);
  }

  if (clean.size() > kMaxFilenameBytes) {
    std::size_t last_dot = clean.rfind('.');
    std::string extension;
    if (last_dot != std::string::npos && last_dot > 0 &&
        clean.size() - last_dot <= kMaxKeptExtensionBytes) {
      extension = clean.substr(last_dot);
    }
    std::string stem(CutUtf8(std::string_view(clean).substr(0, clean.size() - extension.size()),
                             kMaxFilenameBytes - extension.size()));
    TrimDotsAndSpaces(stem, /*leading=*/false);
    clean = stem + extension;
  }
  if (clean.empty()) return "file";
  return clean;
}

core::Status ValidateUploadId(std::string_view upload_id) {
  if (upload_id.empty() || upload_id.size() > 64) {
    return core::InvalidArgument("上传编号长度应为 1 到 64 个字符", "upload_id");
  }
  for (char c : upload_id) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    if (!ok)
      return core::InvalidArgument("上传编号只能包含字母、数字、下划线和连字符", "upload_id");
  }
  return core::Ok();
}

bool IsBlobAddress(std::string_view text) {
  if (text.size() != 64) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// ---- BlobWriter ----------------------------------------------------------------

BlobWriter::BlobWriter(fs::path root, std::string upload_id, int fd)
    : root_(std::move(root)), upload_id_(std::move(upload_id)), fd_(fd) {}

BlobWriter::BlobWriter(BlobWriter&& other) noexcept
    : root_(std::move(other.root_)),
      upload_id_(std::move(other.upload_id_)),
      fd_(std::exchange(other.fd_, -1)),
      state_(std::exchange(other.state_, State::kClosed)),
      keep_partial_(other.keep_partial_),
      size_(other.size_),
      sm3_(std::move(other.sm3_)),
      sha256_(std::move(other.sha256_)) {}

BlobWriter& BlobWriter::operator=(BlobWriter&& other) noexcept {
  if (this != &other) {
    Abort();
    root_ = std::move(other.root_);
    upload_id_ = std::move(other.upload_id_);
    fd_ = std::exchange(other.fd_, -1);
    state_ = std::exchange(other.state_, State::kClosed);
    keep_partial_ = other.keep_partial_;
    size_ = other.size_;
    sm3_ = std::move(other.sm3_);
    sha256_ = std::move(other.sha256_);
  }
  return *this;
}

BlobWriter::~BlobWriter() { Abort(); }

void BlobWriter::CloseFile() {
  if (fd_ >= 0) ::close(fd_);  // also releases the flock
  fd_ = -1;
  state_ = State::kClosed;
}

core::Status BlobWriter::Write(std::span<const std::uint8_t> bytes) {
  if (state_ != State::kOpen) return core::FailedPrecondition("上传已结束");
  core::Status written = WriteAll(fd_, bytes);
  if (!written.ok()) {
    state_ = State::kFailed;
    return written;
  }
  sm3_.Update(bytes);
  sha256_.Update(bytes);
  size_ += bytes.size();
  return core::Ok();
}

core::Result<BlobInfo> BlobWriter::Commit() {
  if (state_ != State::kOpen) return core::FailedPrecondition("上传已结束");
  // Until the rename succeeds a failure leaves the upload in tmp/ for a retry.
  keep_partial_ = true;
  if (::fsync(fd_) != 0) {
    int error_number = errno;
    CloseFile();
    return IoError("fsync upload", error_number);
  }
  BlobInfo info;
  info.sm3_hex = core::HexEncode(sm3_.Finish());
  info.sha256_hex = core::HexEncode(sha256_.Finish());
  info.size = size_;

  std::vector<std::uint8_t> head(std::min<std::uint64_t>(size_, kSniffBytes));
  core::Result<std::size_t> got = ReadAt(fd_, head, 0);
  if (!got.ok()) {
    CloseFile();
    return got.error();
  }
  head.resize(got.value());
  info.media_type = SniffMediaType(head);
  ::fchmod(fd_, 0444);  // a stored blob is never written again
  CloseFile();

  fs::path temp = root_ / "tmp" / upload_id_;
  fs::path target = BlobPath(root_, info.sm3_hex);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) return core::Internal("create blob directory: " + ec.message());
  if (fs::exists(target, ec)) {
    info.already_existed = true;
    fs::remove(temp, ec);
  } else {
    fs::rename(temp, target, ec);
    if (ec) return core::Internal("move blob into place: " + ec.message());
    // The new entry, and the directories possibly created for it.
    TRY(SyncDirectory(target.parent_path()));
    TRY(SyncDirectory(target.parent_path().parent_path()));
    TRY(SyncDirectory(root_ / "sm3"));
  }
  TRY(SyncDirectory(root_ / "tmp"));
  keep_partial_ = false;
  return info;
}

void BlobWriter::Abort() {
  if (fd_ < 0) return;
  if (keep_partial_) {
    ::fsync(fd_);
    CloseFile();
    return;
  }
  CloseFile();
  std::error_code ec;
  fs::remove(root_ / "tmp" / upload_id_, ec);
}

// ---- BlobStore -----------------------------------------------------------------

BlobStore::BlobStore(fs::path root) : root_(std::move(root)) {}

fs::path BlobStore::TempPath(std::string_view upload_id) const {
  return root_ / "tmp" / std::string(upload_id);
}

core::Result<BlobWriter> BlobStore::Begin(std::string_view upload_id) {
  TRY(ValidateUploadId(upload_id));
  std::error_code ec;
  fs::create_directories(root_ / "tmp", ec);
  if (ec) return core::Internal("create upload directory: " + ec.message());
  fs::path temp = TempPath(upload_id);
  int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return core::AlreadyExists("该上传已存在，请续传", "upload_id");
    return IoError("create upload", errno);
  }
  if (!LockUpload(fd)) {
    // Another Begin raced us between create and lock; it owns the file.
    ::close(fd);
    return core::Aborted("该上传正在进行中");
  }
  return BlobWriter(root_, std::string(upload_id), fd);
}

core::Result<BlobWriter> BlobStore::Resume(std::string_view upload_id) {
  TRY(ValidateUploadId(upload_id));
  fs::path temp = TempPath(upload_id);
  int fd = ::open(temp.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return core::NotFound("上传不存在");
    return IoError("open upload", errno);
  }
  if (!LockUpload(fd)) {
    ::close(fd);
    return core::Aborted("该上传正在进行中");
  }
  BlobWriter writer(root_, std::string(upload_id), fd);
  writer.set_keep_partial(true);
  std::vector<std::uint8_t> chunk(kRehashChunk);
  for (;;) {
    core::Result<std::size_t> got = ReadAt(fd, chunk, writer.size_);
    if (!got.ok()) return got.error();  // the writer closes and keeps the file
    if (got.value() == 0) break;
    std::span<const std::uint8_t> piece(chunk.data(), got.value());
    writer.sm3_.Update(piece);
    writer.sha256_.Update(piece);
    writer.size_ += got.value();
  }
  return writer;
}

core::Status BlobStore::DiscardUpload(std::string_view upload_id) {
  TRY(ValidateUploadId(upload_id));
  fs::path temp = TempPath(upload_id);
  int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return core::NotFound("上传不存在");
    return IoError("open upload", errno);
  }
  core::UniqueFd closer(fd);
  if (!LockUpload(fd)) return core::Aborted("该上传正在进行中");
  std::error_code ec;
  fs::remove(temp, ec);
  if (ec) return core::Internal("remove upload: " + ec.message());
  return core::Ok();
}

core::Result<fs::path> BlobStore::PathOf(std::string_view sm3_hex) const {
  if (!IsBlobAddress(sm3_hex)) return core::InvalidArgument("文件摘要格式错误", "sm3");
  fs::path path = BlobPath(root_, sm3_hex);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return core::NotFound("文件不存在");
  return path;
}

bool BlobStore::Exists(std::string_view sm3_hex) const { return PathOf(sm3_hex).ok(); }

core::Status BlobStore::VerifyBlob(std::string_view sm3_hex) const {
  fs::path path = TRY(PathOf(sm3_hex));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open blob", errno);
  core::UniqueFd closer(fd);
  crypto::Hasher hasher(crypto::HashAlgorithm::kSm3);
  std::vector<std::uint8_t> chunk(kRehashChunk);
  std::uint64_t offset = 0;
  for (;;) {
    std::size_t got = TRY(ReadAt(fd, chunk, offset));
    if (got == 0) break;
    hasher.Update(std::span<const std::uint8_t>(chunk.data(), got));
    offset += got;
  }
  if (core::HexEncode(hasher.Finish()) != sm3_hex) {
    return core::Error{
        core::ErrorCode::kDataLoss, "文件 " + std::string(sm3_hex) + " 的内容与其摘要不符", {}};
  }
  return core::Ok();
}

}  // namespace lvyuan::record
