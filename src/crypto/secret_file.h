// Files that hold secrets (the record's signing key, the field key): written
// once with mode 0600 and never overwritten, read only when no other user
// may access them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lvyuan::crypto {

// The file's bytes. `what` names the file in messages ("私钥文件").
// Errors: NotFound when it does not exist; FailedPrecondition when its mode
// lets the group or others in (the message says to chmod 600);
// InvalidArgument for a non-regular file or one over `max_bytes`;
// Unavailable when it cannot be read.
core::Result<std::string> ReadSecretFile(const std::filesystem::path& path, std::size_t max_bytes,
                                         std::string_view what);

// Writes `content` to a new file at `path` with mode 0600: through a
// temporary file in the same directory, fsynced, moved into place without
// replacing anything, then the directory is synced. AlreadyExists (field
// "path") when the file exists; Unavailable on I/O errors (nothing is left
// behind).
core::Status WriteSecretFile(const std::filesystem::path& path, std::string_view content,
                             std::string_view what);

// Overwrites the buffer's bytes (OPENSSL_cleanse) before it is freed.
void Cleanse(std::string& text);

}  // namespace lvyuan::crypto
