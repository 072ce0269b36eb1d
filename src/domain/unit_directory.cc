#include "domain/unit_directory.h"

#include <utility>
#include <vector>

#include "domain/matters.h"

namespace lvyuan::domain {

Result<Page<store::DirectoryUnit>> UnitDirectory::List(const Principal& who,
                                                       store::DirectoryFilter filter) {
  if (who.via != Principal::Via::kCommandLine && !who.Has(kMatterReadPermission)) {
    return core::PermissionDenied("没有查看、办理事项的权限");
  }
  if (filter.limit < 1 || filter.limit > 200) {
    return core::InvalidArgument("每页条数应为 1 到 200", "limit");
  }
  const int want = filter.limit;
  filter.limit = want + 1;
  std::vector<store::DirectoryUnit> rows;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    rows = TRY(store::ListDirectoryUnits(conn, filter));
    return core::Ok();
  }));
  Page<store::DirectoryUnit> page;
  const bool more = rows.size() > static_cast<std::size_t>(want);
  if (more) rows.resize(static_cast<std::size_t>(want));
  page.items = std::move(rows);
  if (more) page.next_after = page.items.back().id;
  return page;
}

}  // namespace lvyuan::domain
