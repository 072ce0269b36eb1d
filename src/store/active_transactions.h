// Which databases have a Write/Read/Migrate running on this thread, so a
// backend can refuse a nested call (which would deadlock on its own writer)
// with an error instead. Internal to src/store's backends.
#pragma once

#include <algorithm>
#include <vector>

#include "core/result.h"

namespace lvyuan::store::internal {

inline thread_local std::vector<const void*> t_active_databases;  // innermost last

inline bool IsActiveOnThisThread(const void* database) {
  return std::find(t_active_databases.begin(), t_active_databases.end(), database) !=
         t_active_databases.end();
}

// Marks `database` active on this thread for the guard's lifetime.
class ActiveGuard {
 public:
  explicit ActiveGuard(const void* database) { t_active_databases.push_back(database); }
  ~ActiveGuard() { t_active_databases.pop_back(); }
  ActiveGuard(const ActiveGuard&) = delete;
  ActiveGuard& operator=(const ActiveGuard&) = delete;
};

inline core::Error NestedTransactionError() {
  return core::Internal(
      "nested transaction: Write/Read called from inside a Write/Read callback of the same "
      "database on the same thread");
}

}  // namespace lvyuan::store::internal
