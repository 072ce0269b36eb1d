// Password hashing with argon2id (libsodium crypto_pwhash, RFC 9106).
//
// The stored form is libsodium's encoded string
// "$argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt>$<hash>", which records the
// algorithm, its parameters and a random salt, so parameters can be raised
// later and old hashes still verify (see PasswordNeedsRehash).
//
// All functions are thread-safe. Hashing is deliberately slow (about 0.1 s
// and 64 MiB with the defaults): call it off the I/O threads.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lvyuan::crypto {

struct PasswordHashParams {
  unsigned long long opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  std::size_t memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
};

// Longer passwords are refused rather than hashed.
inline constexpr std::size_t kMaxPasswordBytes = 4096;

// Returns the encoded argon2id hash of `password` with a fresh random salt.
// InvalidArgument if the password is longer than kMaxPasswordBytes or the
// parameters are outside libsodium's limits; ResourceExhausted if the memory
// could not be allocated.
core::Result<std::string> HashPassword(std::string_view password,
                                       const PasswordHashParams& params = {});

// True iff `encoded` is a well-formed argon2id hash made from `password`.
// False for a wrong password and for anything malformed or of another
// algorithm. Takes as long as hashing with the parameters inside `encoded`.
bool VerifyPassword(std::string_view encoded, std::string_view password);

// True if `encoded` was not made by argon2id with exactly `params` (including
// when it is malformed): after a successful VerifyPassword, hash the password
// again and store the new form.
bool PasswordNeedsRehash(std::string_view encoded, const PasswordHashParams& params = {});

}  // namespace lvyuan::crypto
