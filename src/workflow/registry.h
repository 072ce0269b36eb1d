// Loading and checking procedure definitions at start-up.
//
// Registry::Load reads every workflows/<kind>.json, checks each against the
// catalogues it is given (roles, unit types, dictionaries, time limits,
// regions) and the guards registered in C++, and refuses to start on the first
// problem with a message naming the file and the JSON path, e.g.
//   workflows/transfer.json: actions[2].actors[0].roles[0] "judgee" is not a role
//
// Thread safety: GuardRegistry is filled before Load and copied into the
// Registry; a loaded Registry is immutable, so any number of threads may use
// its const methods and the definitions it hands out.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/definition.h"

namespace lvyuan::workflow {

// A role as the workflow layer needs it: its code and the unit types whose
// users may hold it (empty = any), as in data/roles.json.
struct RoleInfo {
  std::string code;
  std::vector<std::string> unit_types;
};

using Dictionaries = std::map<std::string, std::vector<DictItem>, std::less<>>;
using TimeLimits = std::map<std::string, TimeLimit, std::less<>>;

// The plain data definitions are checked against. The caller owns the region
// catalogue, which must outlive the Registry.
struct Catalogs {
  std::vector<RoleInfo> roles;
  std::vector<std::string> unit_types;
  Dictionaries dictionaries;
  TimeLimits time_limits;
  const core::RegionCatalogue* regions = nullptr;

  // Reads roles.json, dicts/*.json (unit types are dicts/unit_types.json) and
  // time-limits.json from a data directory. InvalidArgument naming the file
  // for malformed content; NotFound for a missing file.
  static Result<Catalogs> FromDataDir(const std::filesystem::path& data_dir,
                                      const core::RegionCatalogue& regions);
};

// Parses data/time-limits.json's text: {"limits": {"name": {"working_days"|
// "calendar_days"|"hours": n, "basis": "…"}}}. `source` names the file in
// errors.
Result<TimeLimits> ParseTimeLimits(std::string_view text, std::string_view source);

// Named guards: C++ predicates an action's definition refers to by name.
class GuardRegistry {
 public:
  // Registers `guard` under `name`, replacing an earlier one of that name.
  void Register(std::string name, Guard guard);
  const Guard* Find(std::string_view name) const;

 private:
  std::map<std::string, Guard, std::less<>> guards_;
};

class Registry {
 public:
  // Loads every *.json in `dir` (sorted by name). The file name must be the
  // kind. InvalidArgument (field: the JSON path) for any problem:
  // unknown keys, types, roles, unit types, relations, fields, guards,
  // dictionaries, time limits, states or kinds; duplicate names; an initial
  // state missing or doubled; unreachable states; non-final states without a
  // way out; final states with one; actions without actors; required fields
  // outside the form. NotFound when `dir` does not exist.
  static Result<Registry> Load(const std::filesystem::path& dir, const Catalogs& catalogs,
                               const GuardRegistry& guards);
  // The same from texts: file name (e.g. "transfer.json") → content.
  static Result<Registry> FromTexts(const std::map<std::string, std::string>& files,
                                    const Catalogs& catalogs, const GuardRegistry& guards,
                                    std::string_view dir_label = "workflows");

  // Null for an unknown kind.
  const Definition* Find(std::string_view kind) const;
  // Every definition, ordered by kind.
  const std::vector<Definition>& definitions() const { return definitions_; }

 private:
  std::vector<Definition> definitions_;
};

}  // namespace lvyuan::workflow
