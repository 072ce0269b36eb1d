#include "http/response_cache.h"

#include <utility>

namespace lvyuan::http {

ResponseCache::ResponseCache(std::size_t max_entries, std::int64_t max_age_ms)
    : max_entries_(max_entries), max_age_ms_(max_age_ms) {}

ResponseCache::Kept ResponseCache::Lookup(const std::string& key, std::uint64_t version,
                                          std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return {};
  Entry& e = it->second;
  if (e.version != version || now_ms - e.made_at > max_age_ms_ || now_ms < e.made_at) return {};
  Kept kept{.body = e.body};
  if (!e.refreshing && now_ms - e.made_at > max_age_ms_ / 2) {
    e.refreshing = true;
    kept.refresh = true;
  }
  return kept;
}

void ResponseCache::Put(const std::string& key, std::uint64_t version, std::int64_t now_ms,
                        std::string body) {
  if (max_entries_ == 0) return;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    MakeRoom(version, now_ms);
    it = entries_.emplace(key, Entry{}).first;
  }
  it->second = Entry{.version = version,
                     .made_at = now_ms,
                     .body = std::make_shared<const std::string>(std::move(body))};
}

void ResponseCache::MakeRoom(std::uint64_t version, std::int64_t now_ms) {
  if (entries_.size() < max_entries_) return;
  // Entries of another version or too old can never be found again.
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.version != version || now_ms - kv.second.made_at > max_age_ms_;
  });
  while (entries_.size() >= max_entries_) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.made_at < oldest->second.made_at) oldest = it;
    }
    entries_.erase(oldest);
  }
}

std::size_t ResponseCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace lvyuan::http
