#include "store/unit_directory.h"

#include "store/sql_values.h"

namespace lvyuan::store {

Result<std::vector<DirectoryUnit>> ListDirectoryUnits(Conn& conn, const DirectoryFilter& f) {
  std::string sql =
      "SELECT u.id, u.name, u.type, u.region_code, u.abbreviation, u.parent_id, p.name "
      "FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE u.enabled = ? AND u.id > ?";
  std::vector<Value> params{sql::Bool(true), f.after_id};
  if (!f.name_contains.empty()) {
    sql += " AND u.name LIKE ? ESCAPE '\\'";
    params.emplace_back(sql::ContainsPattern(f.name_contains));
  }
  if (!f.type.empty()) {
    sql += " AND u.type = ?";
    params.emplace_back(f.type);
  }
  if (!f.region_prefix.empty()) {
    sql += " AND u.region_code LIKE ? ESCAPE '\\'";
    params.emplace_back(sql::PrefixPattern(f.region_prefix));
  }
  sql += " ORDER BY u.id LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(f.limit));
  auto rows = TRY(conn.Query(sql, params));
  std::vector<DirectoryUnit> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    out.push_back({.id = r.Int(0),
                   .name = r.Text(1),
                   .type = r.Text(2),
                   .region_code = r.Text(3),
                   .abbreviation = r.Text(4),
                   .parent_id = r.OptInt(5),
                   .parent_name = r.OptText(6).value_or("")});
  }
  return out;
}

}  // namespace lvyuan::store
