#include "store/subjects.h"

#include <array>

#include "store/sql_values.h"

namespace lvyuan::store {
namespace {

constexpr std::string_view kSubjectColumns =
    "s.id, s.kind, s.name, s.credit_code, s.id_number_sealed, s.id_number_index, "
    "s.id_number_masked, s.created_at, s.updated_at";

SubjectRecord SubjectFromRow(const Row& r) {
  SubjectRecord s;
  s.id = r.Int(0);
  s.kind = r.Text(1);
  s.name = r.Text(2);
  s.credit_code = r.OptText(3);
  s.id_number_sealed = r.OptText(4);
  s.id_number_index = r.OptText(5);
  s.id_number_masked = r.OptText(6);
  s.created_at = r.Int(7);
  s.updated_at = r.Int(8);
  return s;
}

// "EXISTS (…)": a matter naming subject s.id that the unit (when given) may
// see. Uses matters_subject, then matter_visibility's primary key.
void AppendNamedBy(std::optional<std::int64_t> unit_id, std::string& sql,
                   std::vector<Value>& params) {
  if (unit_id) {
    sql +=
        " AND EXISTS (SELECT 1 FROM matters m JOIN matter_visibility v ON v.matter_id = m.id "
        "AND v.unit_id = ? WHERE m.subject_id = s.id)";
    params.emplace_back(*unit_id);
  } else {
    sql += " AND EXISTS (SELECT 1 FROM matters m WHERE m.subject_id = s.id)";
  }
}

}  // namespace

Result<std::vector<SubjectRecord>> ListSubjects(Conn& conn, const SubjectFilter& f) {
  std::string sql = "SELECT ";
  sql += kSubjectColumns;
  sql += " FROM subjects s WHERE s.id > ?";
  std::vector<Value> params{f.after_id};
  if (!f.name_prefix.empty()) {
    sql += " AND s.name LIKE ? ESCAPE '\\'";
    params.emplace_back(sql::PrefixPattern(f.name_prefix));
  }
  if (!f.credit_code.empty()) {
    sql += " AND s.credit_code = ?";
    params.emplace_back(f.credit_code);
  }
  if (!f.id_number_index.empty()) {
    sql += " AND s.id_number_index = ?";
    params.emplace_back(f.id_number_index);
  }
  AppendNamedBy(f.visible_to_unit, sql, params);
  sql += " ORDER BY s.id LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(f.limit));
  auto rows = TRY(conn.Query(sql, params));
  std::vector<SubjectRecord> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.push_back(SubjectFromRow(r));
  return out;
}

Result<bool> IsSubjectVisibleTo(Conn& conn, std::int64_t subject_id,
                                std::optional<std::int64_t> unit_id) {
  std::string sql = "SELECT 1 FROM subjects s WHERE s.id = ?";
  std::vector<Value> params{subject_id};
  AppendNamedBy(unit_id, sql, params);
  auto row = TRY(conn.QueryOne(sql, params));
  return row.has_value();
}

Result<std::vector<std::string>> SubjectRelationsOf(Conn& conn, std::int64_t subject_id,
                                                    std::int64_t unit_id) {
  const std::array<Value, 2> params{subject_id, unit_id};
  auto rows =
      TRY(conn.Query("SELECT DISTINCT p.relation FROM matters m JOIN matter_participants p "
                     "ON p.matter_id = m.id WHERE m.subject_id = ? AND p.unit_id = ? "
                     "ORDER BY p.relation",
                     params));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.push_back(r.Text(0));
  return out;
}

}  // namespace lvyuan::store
