// The deployment's field key (crypto/field_cipher.h), which seals sensitive
// fields at rest: a 0600 file in the data directory, created on the first
// start, its key id pinned in the database so that the data can never be
// opened with — or silently sealed under — another key.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/result.h"
#include "crypto/field_cipher.h"
#include "store/database.h"

namespace lvyuan::domain {

// The settings key holding the pinned key id.
inline constexpr std::string_view kFieldKeySetting = "crypto.field_key_id";

// Loads `key_file`, or creates it when neither it nor a pinned key id exists.
// FailedPrecondition (field "field_key") when the file is missing although
// the database pinned one, or is another key than the pinned one; the errors
// of FieldCipher::LoadFile (a file others may read is refused). Call once at
// start-up.
core::Result<crypto::FieldCipher> EnsureFieldKey(store::Database& db,
                                                 const std::filesystem::path& key_file);

}  // namespace lvyuan::domain
