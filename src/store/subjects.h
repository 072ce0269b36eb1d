// Subjects (行政相对人, the subjects table of migration 0006) as their
// directory reads them: searches and look-ups limited to the subjects named
// by a matter (matters.subject_id) that a unit may see (matter_visibility),
// so the directory reveals nobody another unit alone is dealing with.
// Inserting subjects is store/matters.h (FindOrInsertCompany/Person), done
// when a matter names one.
//
// Nothing here decides who may see what; domain/subjects.h does. Every
// function runs inside the caller's transaction and returns the store's
// errors unchanged (see database.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/matters.h"

namespace lvyuan::store {

struct SubjectFilter {
  // Only subjects named by a matter this unit may see; std::nullopt: named
  // by any matter (for callers that see every matter).
  std::optional<std::int64_t> visible_to_unit;
  std::string name_prefix;      // name starts with; empty = any
  std::string credit_code;      // exact; empty = any
  std::string id_number_index;  // exact blind index; empty = any
  std::int64_t after_id = 0;    // keyset cursor: ids above it, ascending
  int limit = 20;               // 1..200
};

// One page of the filter's subjects (the conditions given are all met),
// by id ascending.
Result<std::vector<SubjectRecord>> ListSubjects(Conn& conn, const SubjectFilter& filter);

// True when a matter names the subject and, with a unit, that unit may see
// such a matter.
Result<bool> IsSubjectVisibleTo(Conn& conn, std::int64_t subject_id,
                                std::optional<std::int64_t> unit_id);

// The relations `unit_id` has to the matters naming the subject, sorted and
// distinct; empty when none.
Result<std::vector<std::string>> SubjectRelationsOf(Conn& conn, std::int64_t subject_id,
                                                    std::int64_t unit_id);

}  // namespace lvyuan::store
