// The member units as business users see them (成员单位名录): what picking a
// unit in a form needs — name, type, region, the abbreviation matter numbers
// use and the parent — for active units only, and none of the
// administrators' columns (contact person and phone, timestamps, version).
//
// Runs inside the caller's transaction; the store's errors are returned
// unchanged (see database.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"

namespace lvyuan::store {

struct DirectoryUnit {
  std::int64_t id = 0;
  std::string name;
  std::string type;
  std::string region_code;
  std::string abbreviation;  // "" when none is set
  std::optional<std::int64_t> parent_id;
  std::string parent_name;  // "" without a parent
};

struct DirectoryFilter {
  std::string name_contains;  // empty = any
  std::string type;           // exact; empty = any
  std::string region_prefix;  // region_code starts with; empty = any
  std::int64_t after_id = 0;  // keyset cursor: ids above it, ascending
  int limit = 20;             // 1..200
};

// One page of the enabled units matching the filter, by id ascending.
Result<std::vector<DirectoryUnit>> ListDirectoryUnits(Conn& conn, const DirectoryFilter& filter);

}  // namespace lvyuan::store
