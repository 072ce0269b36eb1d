#include "crypto/secret_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/unique_fd.h"

namespace lvyuan::crypto {
namespace {

std::string ModeText(mode_t mode) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return text.data();
}

core::Error IoError(std::string_view what, const std::filesystem::path& path, int error_number) {
  return core::Unavailable(std::string(what) + " " + path.string() + "：" +
                           std::strerror(error_number));
}

core::Status WriteAll(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return core::Unavailable("写入" + std::string(what) + "失败：" + std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return core::Ok();
}

// Moves `from` to `to` unless `to` exists. renameat2(RENAME_NOREPLACE) does
// that in one step; on file systems without it, link(2) also refuses an
// existing name and the temporary name is then removed.
int MoveNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return errno;
  if (::link(from.c_str(), to.c_str()) != 0) return errno;
  ::unlink(from.c_str());
  return 0;
}

void SyncDirectory(const std::filesystem::path& directory) {
  core::UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) ::fsync(fd.get());
}

}  // namespace

void Cleanse(std::string& text) {
  if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
}

core::Result<std::string> ReadSecretFile(const std::filesystem::path& path, std::size_t max_bytes,
                                         std::string_view what) {
  const std::string name(what);
  core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return core::NotFound(name + "不存在：" + path.string());
    return IoError("无法打开" + name, path, errno);
  }
  // fstat on the open descriptor: the mode checked is the file read.
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return IoError("无法读取" + name + "属性", path, errno);
  if (!S_ISREG(info.st_mode)) {
    return core::InvalidArgument(name + "路径不是普通文件：" + path.string());
  }
  if ((info.st_mode & 077) != 0) {
    return core::FailedPrecondition(name + " " + path.string() + " 的权限为 " +
                                    ModeText(info.st_mode) +
                                    "，同组或其他用户可以访问；请执行 chmod 600 后重试");
  }
  if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
    return core::InvalidArgument(name + "过大：" + path.string());
  }
  std::string content(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t filled = 0;
  while (filled < content.size()) {
    const ssize_t got = ::read(fd.get(), content.data() + filled, content.size() - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error_number = errno;
      Cleanse(content);
      return IoError("读取" + name + "失败", path, error_number);
    }
    if (got == 0) break;
    filled += static_cast<std::size_t>(got);
  }
  content.resize(filled);
  return content;
}

core::Status WriteSecretFile(const std::filesystem::path& path, std::string_view content,
                             std::string_view what) {
  const std::string name(what);
  std::error_code error;
  if (std::filesystem::symlink_status(path, error).type() !=
      std::filesystem::file_type::not_found) {
    return core::AlreadyExists(name + "已存在，不会覆盖：" + path.string(), "path");
  }
  const std::filesystem::path directory =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  // Built with += : g++ 12 -O2 warns falsely (-Wrestrict) about "." + string.
  std::string temporary_name = ".";
  temporary_name += path.filename().string();
  temporary_name += ".tmp-XXXXXX";
  std::string temporary = (directory / temporary_name).string();
  // mkstemp creates the file with mode 0600 and O_EXCL.
  core::UniqueFd fd(::mkstemp(temporary.data()));
  if (!fd.valid()) return IoError("无法在目录中创建临时文件", directory, errno);
  core::Status written = WriteAll(fd.get(), content, name);
  if (written.ok() && (::fchmod(fd.get(), 0600) != 0 || ::fsync(fd.get()) != 0)) {
    written = IoError("无法同步" + name, temporary, errno);
  }
  if (::close(fd.Release()) != 0 && written.ok())
    written = IoError("无法关闭" + name, temporary, errno);
  if (!written.ok()) {
    ::unlink(temporary.c_str());
    return written;
  }
  if (const int move_error = MoveNoReplace(temporary, path.string()); move_error != 0) {
    ::unlink(temporary.c_str());
    if (move_error == EEXIST) {
      return core::AlreadyExists(name + "已存在，不会覆盖：" + path.string(), "path");
    }
    return IoError("无法写入" + name, path, move_error);
  }
  SyncDirectory(directory);
  return core::Ok();
}

}  // namespace lvyuan::crypto
