// The member-unit directory for business users (成员单位名录): the active
// units a form may name — a transfer's recipient, units copied, a meeting's
// invitees — with name, type, region, abbreviation and parent only
// (store/unit_directory.h). The administrators' unit list (Accounts::
// ListUnits, system:unit:list) stays theirs: contact people and phone
// numbers are not part of the directory.
//
// Thread-safe.
#pragma once

#include "core/result.h"
#include "domain/accounts.h"
#include "domain/principal.h"
#include "store/database.h"
#include "store/unit_directory.h"

namespace lvyuan::domain {

class UnitDirectory {
 public:
  // `db` must outlive this object.
  explicit UnitDirectory(store::Database& db) : db_(db) {}

  // One page of the enabled units matching the filter, by id.
  // PermissionDenied without kMatterReadPermission (the command line
  // aside); InvalidArgument (field "limit") outside 1..200.
  Result<Page<store::DirectoryUnit>> List(const Principal& who, store::DirectoryFilter filter);

 private:
  store::Database& db_;
};

}  // namespace lvyuan::domain
