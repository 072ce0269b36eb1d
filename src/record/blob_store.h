// The content-addressed blob store for evidence files.
//
// A blob is stored once under its SM3 digest:
//
//   <root>/sm3/ab/cd/abcd…(64 lower-case hex)   the committed files, read-only
//   <root>/tmp/<upload id>                       uploads in progress
//
// Uploads are written through a BlobWriter, which hashes (SM3 and SHA-256)
// while the bytes arrive, so a multi-gigabyte video is never held in memory
// and never read twice. Commit() makes the file durable (fsync of the file
// and of the directories it lands in), moves it to its address and reports
// whether the same content was already there (then the upload is dropped:
// duplicates are stored once). An interrupted upload can be kept and resumed
// later under the same upload id.
//
// The media type is taken from the content (SniffMediaType), never from the
// client's file name or Content-Type; which types are accepted is the
// caller's allow-list.
//
// Thread-safety: BlobStore methods may be called from any thread. A
// BlobWriter is used by one thread at a time. Two writers for the same
// upload id cannot exist at once, across threads and processes (the temp
// file is locked with flock), so a resumed upload cannot interleave with a
// still-running one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/hash.h"

namespace lvyuan::record {

struct BlobInfo {
  std::string sm3_hex;     // the blob's address
  std::string sha256_hex;  // for parties that check with SHA-256
  std::uint64_t size = 0;
  std::string media_type;        // SniffMediaType of the first kSniffBytes
  bool already_existed = false;  // the same content had been stored before
};

// How many leading bytes SniffMediaType is given by Commit().
inline constexpr std::size_t kSniffBytes = 64 * 1024;

// The media type of content starting with `first_bytes`, decided by magic
// numbers: application/pdf, image/jpeg, image/png, image/gif, image/webp,
// image/tiff, image/heic, image/heif, image/avif, video/mp4, video/quicktime,
// video/3gpp, audio/mp4, video/x-msvideo, audio/wav, audio/mpeg, audio/ogg,
// video/ogg, application/ogg, the OOXML types (docx, xlsx, pptx),
// application/ofd, application/zip, "text/plain; charset=utf-8" (valid UTF-8
// without control characters other than tab, CR, LF, FF), else
// application/octet-stream. Pure and thread-safe.
std::string SniffMediaType(std::span<const std::uint8_t> first_bytes);

// A file name safe to store and to send back in Content-Disposition: the
// last path component (after '/' or '\'), without control, C1 and bidi
// control characters or invalid UTF-8, with <>:"|?* replaced by '_', without
// leading dots and spaces or trailing dots and spaces, "_"-prefixed when the
// stem is a reserved Windows device name (CON, PRN, AUX, NUL, COM0-9,
// LPT0-9), at most 200 bytes (cut on a UTF-8 boundary, keeping a short
// extension). Chinese and other non-ASCII letters are kept. Never empty:
// "file" when nothing is left. Pure and thread-safe.
std::string SanitizeFilename(std::string_view name);

// Ok when `upload_id` is 1..64 characters of [A-Za-z0-9_-]; otherwise
// InvalidArgument with field "upload_id".
core::Status ValidateUploadId(std::string_view upload_id);

// True when `text` is 64 lower-case hex digits (a well-formed blob address).
bool IsBlobAddress(std::string_view text);

// Writes one upload. Obtained from BlobStore::Begin or BlobStore::Resume.
// Movable, not copyable. Destroying a writer that was not committed is
// Abort().
class BlobWriter {
 public:
  BlobWriter(BlobWriter&& other) noexcept;
  BlobWriter& operator=(BlobWriter&& other) noexcept;
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;
  ~BlobWriter();

  // Appends `bytes` to the upload and feeds them to both digests.
  // ResourceExhausted when the disk is full, Internal for other I/O errors;
  // after an error the writer only accepts Abort() (a later Resume re-reads
  // what reached the disk). FailedPrecondition after Commit or Abort.
  core::Status Write(std::span<const std::uint8_t> bytes);

  // Bytes in the upload so far (including those found by Resume).
  std::uint64_t size() const { return size_; }
  const std::string& upload_id() const { return upload_id_; }

  // When set, Abort() (and so the destructor) keeps the partial upload so
  // that BlobStore::Resume can continue it; by default it is deleted.
  void set_keep_partial(bool keep) { keep_partial_ = keep; }
  bool keep_partial() const { return keep_partial_; }

  // Makes the upload durable and moves it to its content address; see the
  // file comment. Returns the blob's digests, size and sniffed media type.
  // Internal on I/O errors (the upload is then left in tmp/ and the writer
  // closed), FailedPrecondition after an earlier error, Commit or Abort.
  core::Result<BlobInfo> Commit();

  // Ends the upload without committing: closes it and deletes the partial
  // file, or keeps it (after an fsync) when keep_partial() is set. Safe to
  // call more than once and after Commit (then it does nothing).
  void Abort();

 private:
  friend class BlobStore;
  enum class State { kOpen, kFailed, kClosed };
  BlobWriter(std::filesystem::path root, std::string upload_id, int fd);
  void CloseFile();

  std::filesystem::path root_;
  std::string upload_id_;
  int fd_ = -1;  // owned; locked with flock while open
  State state_ = State::kOpen;
  bool keep_partial_ = false;
  std::uint64_t size_ = 0;
  crypto::Hasher sm3_{crypto::HashAlgorithm::kSm3};
  crypto::Hasher sha256_{crypto::HashAlgorithm::kSha256};
};

class BlobStore {
 public:
  // `root` is created on first use (Begin); it need not exist yet.
  explicit BlobStore(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }

  // Starts a new upload. InvalidArgument for a malformed id (see
  // ValidateUploadId), AlreadyExists (field "upload_id") when a partial
  // upload with this id is kept (Resume it or DiscardUpload it), Internal
  // when the file cannot be created.
  core::Result<BlobWriter> Begin(std::string_view upload_id);

  // Reopens a kept partial upload: re-hashes the bytes already on disk, in
  // 1 MiB reads, so that Write continues the digests; size() is the offset
  // at which the client continues. InvalidArgument for a malformed id,
  // NotFound when there is no such upload, Aborted when a writer for it is
  // still open, Internal on I/O errors. The returned writer keeps partial
  // data on Abort (keep_partial() is true).
  core::Result<BlobWriter> Resume(std::string_view upload_id);

  // Deletes a kept partial upload. NotFound when there is none, Aborted when
  // a writer for it is open.
  core::Status DiscardUpload(std::string_view upload_id);

  // Where the blob with this address is stored. InvalidArgument (field
  // "sm3") when `sm3_hex` is not an address, NotFound when not stored.
  core::Result<std::filesystem::path> PathOf(std::string_view sm3_hex) const;
  // True when a blob with this well-formed address is stored.
  bool Exists(std::string_view sm3_hex) const;

  // Re-hashes the stored blob. Ok when its SM3 still equals its address;
  // DataLoss naming the blob when it does not; errors of PathOf; Internal
  // when it cannot be read.
  core::Status VerifyBlob(std::string_view sm3_hex) const;

 private:
  std::filesystem::path TempPath(std::string_view upload_id) const;
  std::filesystem::path root_;
};

}  // namespace lvyuan::record
