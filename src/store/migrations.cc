#include "store/migrations.h"

#include <algorithm>

namespace lvyuan::store {

core::Status CheckMigrationOrder(std::span<const Migration> migrations) {
  int previous = 0;
  for (const Migration& migration : migrations) {
    if (migration.number <= previous) {
      return core::InvalidArgument("迁移 " + std::to_string(migration.number) + "_" +
                                   migration.name + " 的编号必须为正数且大于前一个迁移的编号");
    }
    previous = migration.number;
  }
  return core::Ok();
}

int HighestMigration(std::span<const Migration> migrations) {
  int highest = 0;
  for (const Migration& migration : migrations) highest = std::max(highest, migration.number);
  return highest;
}

}  // namespace lvyuan::store
