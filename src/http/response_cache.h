// Answers kept for reuse (the matter list): a body per key, valid only at the
// data version it was made at and for at most max_age_ms after, renewed ahead
// of expiry by one of its users (Lookup). What a key
// must hold (the caller's scope, the query) and what the version is (this
// process's write count) are the caller's business; the cache only stores,
// finds and bounds.
//
// Thread-safe. Bounded by max_entries: when full, stale entries go first,
// then the oldest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace lvyuan::http {

class ResponseCache {
 public:
  // max_entries 0 keeps nothing (Lookup always misses).
  ResponseCache(std::size_t max_entries, std::int64_t max_age_ms);

  // The body stored under key at exactly `version` no more than max_age_ms
  // before now_ms, else null (a miss); callers make the answer on a miss and
  // Put it. Once the body is older than half the max age, exactly one caller
  // is told to refresh it (make the answer again and Put it) while the
  // others keep getting the kept body, so a key in steady use is renewed
  // before it expires instead of every request missing at once when it
  // does. Should that refresh never Put, the body still expires at
  // max_age_ms and the next caller misses as usual.
  struct Kept {
    std::shared_ptr<const std::string> body;  // null: a miss
    bool refresh = false;                     // with a body: renew it now
  };
  Kept Lookup(const std::string& key, std::uint64_t version, std::int64_t now_ms);
  // Stores (or replaces) key's body made at version, at now_ms.
  void Put(const std::string& key, std::uint64_t version, std::int64_t now_ms, std::string body);

  std::size_t size() const;

 private:
  struct Entry {
    std::uint64_t version = 0;
    std::int64_t made_at = 0;
    std::shared_ptr<const std::string> body;
    bool refreshing = false;  // a caller was told to refresh this body
  };
  void MakeRoom(std::uint64_t version, std::int64_t now_ms);  // mutex_ held

  const std::size_t max_entries_;
  const std::int64_t max_age_ms_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mutex_
};

}  // namespace lvyuan::http
