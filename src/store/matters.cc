#include "store/matters.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "store/sql_values.h"

namespace lvyuan::store {
namespace {

constexpr std::string_view kMatterColumns =
    "m.id, m.kind, m.number, m.title, m.state, m.owner_unit_id, m.region_code, m.domain, "
    "m.subject_id, m.amount_fen, m.fields, m.created_by, m.created_at, m.updated_at, "
    "m.next_deadline_at, m.version";
// The same without the kind's own fields ("{}" in their place): what lists
// and to-dos show, without reading each row's largest column.
constexpr std::string_view kMatterListColumns =
    "m.id, m.kind, m.number, m.title, m.state, m.owner_unit_id, m.region_code, m.domain, "
    "m.subject_id, m.amount_fen, '{}', m.created_by, m.created_at, m.updated_at, "
    "m.next_deadline_at, m.version";

MatterRecord MatterFromRow(const Row& r) {
  MatterRecord m;
  m.id = r.Int(0);
  m.kind = r.Text(1);
  m.number = r.Text(2);
  m.title = r.Text(3);
  m.state = r.Text(4);
  m.owner_unit_id = r.Int(5);
  m.region_code = r.Text(6);
  m.domain = r.Text(7);
  m.subject_id = r.OptInt(8);
  m.amount_fen = r.OptInt(9);
  m.fields = r.Text(10);
  m.created_by = r.Int(11);
  m.created_at = r.Int(12);
  m.updated_at = r.Int(13);
  m.next_deadline_at = r.OptInt(14);
  m.version = r.Int(15);
  return m;
}

constexpr std::string_view kDeadlineSelect =
    "SELECT matter_id, name, started_at, due_at, limit_name, cleared_at, level "
    "FROM matter_deadlines";

DeadlineRecord DeadlineFromRow(const Row& r) {
  DeadlineRecord d;
  d.matter_id = r.Int(0);
  d.name = r.Text(1);
  d.started_at = r.Int(2);
  d.due_at = r.Int(3);
  d.limit_name = r.Text(4);
  d.cleared_at = r.OptInt(5);
  d.level = static_cast<int>(r.Int(6));
  return d;
}

constexpr std::string_view kNotificationSelect =
    "SELECT id, user_id, kind, matter_id, title, body, created_at, read_at FROM notifications";

NotificationRecord NotificationFromRow(const Row& r) {
  NotificationRecord n;
  n.id = r.Int(0);
  n.user_id = r.Int(1);
  n.kind = r.Text(2);
  n.matter_id = r.OptInt(3);
  n.title = r.Text(4);
  n.body = r.Text(5);
  n.created_at = r.Int(6);
  n.read_at = r.OptInt(7);
  return n;
}

// The WHERE conditions (after "WHERE 1 = 1") and their parameters common to
// ListMatters and CountMattersByState. With a unit, `v` is its visibility
// row joined to `m`.
void AppendFilter(const MatterFilter& f, bool with_states, std::string& sql,
                  std::vector<Value>& params) {
  const std::string_view kind_column = f.visible_to_unit ? "v.kind" : "m.kind";
  const std::string_view state_column = f.visible_to_unit ? "v.state" : "m.state";
  if (f.visible_to_unit) {
    sql += " AND v.unit_id = ?";
    params.emplace_back(*f.visible_to_unit);
  }
  if (!f.kind.empty()) {
    sql += " AND ";
    sql += kind_column;
    sql += " = ?";
    params.emplace_back(f.kind);
  }
  if (with_states && !f.states.empty()) {
    sql += " AND ";
    sql += state_column;
    sql += " IN (";
    for (std::size_t i = 0; i < f.states.size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
      params.emplace_back(f.states[i]);
    }
    sql += ")";
  }
  if (f.owner_unit_id) {
    sql += " AND m.owner_unit_id = ?";
    params.emplace_back(*f.owner_unit_id);
  }
  if (!f.region_prefix.empty()) {
    sql += " AND m.region_code LIKE ? ESCAPE '\\'";
    params.emplace_back(sql::PrefixPattern(f.region_prefix));
  }
  if (!f.domain.empty()) {
    sql += " AND m.domain = ?";
    params.emplace_back(f.domain);
  }
  if (f.subject_id) {
    sql += " AND m.subject_id = ?";
    params.emplace_back(*f.subject_id);
  }
  if (f.created_from) {
    sql += " AND m.created_at >= ?";
    params.emplace_back(*f.created_from);
  }
  if (f.created_to) {
    sql += " AND m.created_at < ?";
    params.emplace_back(*f.created_to);
  }
  if (f.overdue_at) {
    sql += " AND m.next_deadline_at IS NOT NULL AND m.next_deadline_at < ?";
    params.emplace_back(*f.overdue_at);
  }
}

std::string FromClause(const MatterFilter& f) {
  return f.visible_to_unit
             ? " FROM matter_visibility v JOIN matters m ON m.id = v.matter_id WHERE 1 = 1"
             : " FROM matters m WHERE 1 = 1";
}

Status RecomputeNextDeadline(Conn& conn, std::int64_t matter_id) {
  const std::array<Value, 2> params{matter_id, matter_id};
  TRY(
      conn.Exec("UPDATE matters SET next_deadline_at = (SELECT MIN(due_at) FROM matter_deadlines "
                "WHERE matter_id = ? AND cleared_at IS NULL) WHERE id = ?",
                params));
  return core::Ok();
}

// Adds delta to the counter (unit, kind, state), creating it when missing.
// A decrement updates (the CHECK would refuse an inserted negative row even
// when it conflicts) and needs the counter to exist.
Status Bump(Conn& conn, std::int64_t unit_id, const std::string& kind, const std::string& state,
            std::int64_t delta) {
  if (delta < 0) {
    const std::array<Value, 4> params{-delta, unit_id, kind, state};
    const std::int64_t changed = TRY(conn.Exec(
        "UPDATE matter_counts SET n = n - ? WHERE unit_id = ? AND kind = ? AND state = ?", params));
    if (changed != 1) return core::Internal("a matter counter to decrease is missing");
    return core::Ok();
  }
  const std::array<Value, 4> params{unit_id, kind, state, delta};
  TRY(
      conn.Exec("INSERT INTO matter_counts (unit_id, kind, state, n) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (unit_id, kind, state) DO UPDATE SET n = matter_counts.n + excluded.n",
                params));
  return core::Ok();
}

}  // namespace

Result<std::int64_t> AllocateMatterNumber(Conn& conn, std::int64_t unit_id, std::string_view kind,
                                          int year) {
  const std::array<Value, 3> params{unit_id, std::string(kind), static_cast<std::int64_t>(year)};
  auto row = TRY(conn.QueryOne(
      "INSERT INTO matter_numbers (unit_id, kind, year, last) VALUES (?, ?, ?, 1) "
      "ON CONFLICT (unit_id, kind, year) DO UPDATE SET last = matter_numbers.last + 1 "
      "RETURNING last",
      params));
  if (!row) return core::Internal("allocating a matter number returned no row");
  return row->Int(0);
}

Result<std::string> UnitAbbreviation(Conn& conn, std::int64_t unit_id) {
  const std::array<Value, 1> params{unit_id};
  auto row = TRY(conn.QueryOne("SELECT abbreviation FROM units WHERE id = ?", params));
  return row ? row->Text(0) : std::string();
}

Result<bool> SetUnitAbbreviation(Conn& conn, std::int64_t unit_id, std::string_view abbreviation) {
  const std::array<Value, 2> params{std::string(abbreviation), unit_id};
  const std::int64_t changed =
      TRY(conn.Exec("UPDATE units SET abbreviation = ? WHERE id = ?", params));
  return changed > 0;
}

Result<std::int64_t> InsertMatter(Conn& conn, const MatterRecord& m) {
  const std::array<Value, 15> params{m.kind,
                                     m.number,
                                     m.title,
                                     m.state,
                                     m.owner_unit_id,
                                     m.region_code,
                                     m.domain,
                                     sql::OptInt(m.subject_id),
                                     sql::OptInt(m.amount_fen),
                                     m.fields,
                                     m.created_by,
                                     m.created_at,
                                     m.updated_at,
                                     sql::OptInt(m.next_deadline_at),
                                     m.version};
  auto row = TRY(conn.QueryOne(
      "INSERT INTO matters (kind, number, title, state, owner_unit_id, region_code, domain, "
      "subject_id, amount_fen, fields, created_by, created_at, updated_at, next_deadline_at, "
      "version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      params));
  if (!row) return core::Internal("inserting a matter returned no id");
  TRY(Bump(conn, 0, m.kind, m.state, 1));
  return row->Int(0);
}

Result<std::optional<MatterRecord>> FindMatter(Conn& conn, std::int64_t id) {
  const std::array<Value, 1> params{id};
  auto row = TRY(conn.QueryOne(
      "SELECT " + std::string(kMatterColumns) + " FROM matters m WHERE m.id = ?", params));
  if (!row) return std::optional<MatterRecord>();
  return std::optional(MatterFromRow(*row));
}

Result<bool> UpdateMatter(Conn& conn, const MatterRecord& m, std::int64_t expected_version) {
  const std::array<Value, 2> key{m.id, expected_version};
  auto before =
      TRY(conn.QueryOne("SELECT kind, state FROM matters WHERE id = ? AND version = ?", key));
  if (!before) return false;
  const std::array<Value, 12> params{m.title,
                                     m.state,
                                     m.region_code,
                                     m.domain,
                                     sql::OptInt(m.subject_id),
                                     sql::OptInt(m.amount_fen),
                                     m.fields,
                                     m.updated_at,
                                     sql::OptInt(m.next_deadline_at),
                                     expected_version + 1,
                                     m.id,
                                     expected_version};
  const std::int64_t changed = TRY(conn.Exec(
      "UPDATE matters SET title = ?, state = ?, region_code = ?, domain = ?, subject_id = ?, "
      "amount_fen = ?, fields = ?, updated_at = ?, next_deadline_at = ?, version = ? "
      "WHERE id = ? AND version = ?",
      params));
  if (changed == 0) return false;
  const std::string kind = before->Text(0);
  const std::string old_state = before->Text(1);
  if (old_state != m.state) {
    TRY(Bump(conn, 0, kind, old_state, -1));
    TRY(Bump(conn, 0, kind, m.state, 1));
    const std::array<Value, 1> matter{m.id};
    for (const Row& row :
         TRY(conn.Query("SELECT unit_id FROM matter_visibility WHERE matter_id = ?", matter))) {
      TRY(Bump(conn, row.Int(0), kind, old_state, -1));
      TRY(Bump(conn, row.Int(0), kind, m.state, 1));
    }
  }
  const std::array<Value, 3> visibility{m.state, m.updated_at, m.id};
  TRY(conn.Exec("UPDATE matter_visibility SET state = ?, updated_at = ? WHERE matter_id = ?",
                visibility));
  return true;
}

namespace {

// A page of one state at most (see ListMatters).
Result<MatterPage> ListRange(Conn& conn, const MatterFilter& f) {
  const int limit = std::clamp(f.limit, 1, 200);
  std::string sql = "SELECT " + std::string(kMatterListColumns) + FromClause(f);
  std::vector<Value> params;
  AppendFilter(f, true, sql, params);
  const std::string_view updated = f.visible_to_unit ? "v.updated_at" : "m.updated_at";
  const std::string_view id = f.visible_to_unit ? "v.matter_id" : "m.id";
  if (f.created_from) {
    // A matter changes only after it is created (updated_at >= created_at),
    // so this bounds the range the list walks.
    sql += " AND " + std::string(updated) + " >= ?";
    params.emplace_back(*f.created_from);
  }
  if (f.after) {
    sql += " AND (" + std::string(updated) + " < ? OR (" + std::string(updated) + " = ? AND " +
           std::string(id) + " < ?))";
    params.emplace_back(f.after->updated_at);
    params.emplace_back(f.after->updated_at);
    params.emplace_back(f.after->id);
  }
  sql += " ORDER BY " + std::string(updated) + " DESC, " + std::string(id) + " DESC LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(limit) + 1);
  std::vector<Row> rows = TRY(conn.Query(sql, params));
  MatterPage page;
  for (const Row& row : rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      const MatterRecord& last = page.items.back();
      page.next = MatterCursor{.updated_at = last.updated_at, .id = last.id};
      break;
    }
    page.items.push_back(MatterFromRow(row));
  }
  return page;
}

bool NewerFirst(const MatterRecord& a, const MatterRecord& b) {
  return a.updated_at != b.updated_at ? a.updated_at > b.updated_at : a.id > b.id;
}

Status AddOwnerNames(Conn& conn, MatterPage& page) {
  std::vector<Value> params;
  std::string sql = "SELECT id, name FROM units WHERE id IN (";
  for (const MatterRecord& m : page.items) {
    if (page.owner_unit_names.emplace(m.owner_unit_id, std::string()).second) {
      sql += params.empty() ? "?" : ", ?";
      params.emplace_back(m.owner_unit_id);
    }
  }
  if (params.empty()) return core::Ok();
  sql += ")";
  for (const Row& row : TRY(conn.Query(sql, params))) {
    page.owner_unit_names[row.Int(0)] = row.Text(1);
  }
  return core::Ok();
}

bool OnlyUnitAndKind(const MatterFilter& f) {
  return !f.owner_unit_id && f.region_prefix.empty() && f.domain.empty() && !f.subject_id &&
         !f.created_from && !f.created_to && !f.overdue_at;
}

}  // namespace

Result<MatterPage> ListMatters(Conn& conn, const MatterFilter& f) {
  MatterPage page;
  if (f.states.size() <= 1) {
    page = TRY(ListRange(conn, f));
  } else {
    // One index range per state, newest first each; the first `limit` of
    // their union are the page.
    const auto limit = static_cast<std::size_t>(std::clamp(f.limit, 1, 200));
    MatterFilter one = f;
    bool more = false;
    for (const std::string& state : f.states) {
      one.states = {state};
      MatterPage part = TRY(ListRange(conn, one));
      more = more || part.next.has_value();
      for (MatterRecord& m : part.items) page.items.push_back(std::move(m));
    }
    std::sort(page.items.begin(), page.items.end(), NewerFirst);
    page.items.erase(
        std::unique(page.items.begin(), page.items.end(),
                    [](const MatterRecord& a, const MatterRecord& b) { return a.id == b.id; }),
        page.items.end());
    if (page.items.size() > limit) {
      page.items.resize(limit);
      more = true;
    }
    if (more && !page.items.empty()) {
      page.next =
          MatterCursor{.updated_at = page.items.back().updated_at, .id = page.items.back().id};
    }
  }
  TRY(AddOwnerNames(conn, page));
  return page;
}

Result<MatterCounts> CountMattersByState(Conn& conn, const MatterFilter& f) {
  MatterCounts out;
  const std::int64_t unit = f.visible_to_unit.value_or(0);
  std::string sql = "SELECT state, SUM(n) FROM matter_counts WHERE unit_id = ?";
  std::vector<Value> params{unit};
  if (!f.kind.empty()) {
    sql += " AND kind = ?";
    params.emplace_back(f.kind);
  }
  sql += " GROUP BY state";
  std::int64_t candidates = 0;
  for (const Row& row : TRY(conn.Query(sql, params))) {
    if (row.Int(1) == 0) continue;
    out.by_state[row.Text(0)] = row.Int(1);
    candidates += row.Int(1);
  }
  if (OnlyUnitAndKind(f)) return out;

  // The candidates, newest change first, at most the window; then the
  // remaining filters on their matters.
  out.by_state.clear();
  out.capped = candidates > kMatterCountWindow;
  params.clear();
  std::string inner;
  if (f.visible_to_unit) {
    inner = "SELECT v.matter_id AS id FROM matter_visibility v WHERE v.unit_id = ?";
    params.emplace_back(*f.visible_to_unit);
    if (!f.kind.empty()) {
      inner += " AND v.kind = ?";
      params.emplace_back(f.kind);
    }
    inner += " ORDER BY v.updated_at DESC, v.matter_id DESC LIMIT ?";
  } else {
    inner = "SELECT m.id AS id FROM matters m";
    if (!f.kind.empty()) {
      inner += " WHERE m.kind = ?";
      params.emplace_back(f.kind);
    }
    inner += " ORDER BY m.updated_at DESC, m.id DESC LIMIT ?";
  }
  params.emplace_back(kMatterCountWindow);
  sql = "SELECT m.state, COUNT(*) FROM (" + inner + ") w JOIN matters m ON m.id = w.id WHERE 1 = 1";
  MatterFilter rest = f;
  rest.visible_to_unit.reset();
  rest.kind.clear();
  AppendFilter(rest, false, sql, params);
  sql += " GROUP BY m.state";
  for (const Row& row : TRY(conn.Query(sql, params))) out.by_state[row.Text(0)] = row.Int(1);
  return out;
}

namespace {

// "next_deadline_at, or the largest key when there is none": to-dos without
// a deadline sort last.
constexpr std::string_view kTodoKey = "COALESCE(m.next_deadline_at, 9223372036854775807)";

// FROM and WHERE of the to-do queries.
void AppendTodoFilter(const TodoFilter& f, std::string& sql, std::vector<Value>& params) {
  sql += " FROM matter_visibility v JOIN matters m ON m.id = v.matter_id WHERE v.unit_id = ? AND (";
  params.emplace_back(f.unit_id);
  for (std::size_t i = 0; i < f.selectors.size(); ++i) {
    const TodoSelector& s = f.selectors[i];
    sql += i == 0 ? "(v.kind = ? AND v.state IN (" : " OR (v.kind = ? AND v.state IN (";
    params.emplace_back(s.kind);
    for (std::size_t k = 0; k < s.states.size(); ++k) {
      sql += k == 0 ? "?" : ", ?";
      params.emplace_back(s.states[k]);
    }
    sql += ")";
    if (!s.relations.empty()) {
      sql +=
          " AND EXISTS (SELECT 1 FROM matter_participants p WHERE p.matter_id = v.matter_id "
          "AND p.unit_id = v.unit_id AND p.relation IN (";
      for (std::size_t k = 0; k < s.relations.size(); ++k) {
        sql += k == 0 ? "?" : ", ?";
        params.emplace_back(s.relations[k]);
      }
      sql += "))";
    }
    sql += ")";
  }
  sql += ")";
}

bool SelectsNothing(const TodoFilter& f) {
  return f.selectors.empty() || std::all_of(f.selectors.begin(), f.selectors.end(),
                                            [](const TodoSelector& s) { return s.states.empty(); });
}

}  // namespace

Result<TodoPage> ListTodoMatters(Conn& conn, const TodoFilter& f) {
  TodoPage page;
  if (SelectsNothing(f)) return page;
  const int limit = std::clamp(f.limit, 1, 200);
  std::string sql = "SELECT " + std::string(kMatterColumns);
  std::vector<Value> params;
  TodoFilter selected = f;
  std::erase_if(selected.selectors, [](const TodoSelector& s) { return s.states.empty(); });
  AppendTodoFilter(selected, sql, params);
  const std::string key(kTodoKey);
  if (f.after) {
    sql += " AND (" + key + " > ? OR (" + key + " = ? AND m.id > ?))";
    params.emplace_back(f.after->due_key);
    params.emplace_back(f.after->due_key);
    params.emplace_back(f.after->id);
  }
  sql += " ORDER BY " + key + ", m.id LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(limit) + 1);
  std::vector<Row> rows = TRY(conn.Query(sql, params));
  for (const Row& row : rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      const MatterRecord& last = page.items.back();
      page.next =
          TodoCursor{.due_key = last.next_deadline_at.value_or(kNoDeadlineKey), .id = last.id};
      break;
    }
    page.items.push_back(MatterFromRow(row));
  }
  return page;
}

Result<TodoCounts> CountTodoMatters(Conn& conn, const TodoFilter& f, std::int64_t now,
                                    std::int64_t due_soon_until) {
  TodoCounts counts;
  if (SelectsNothing(f)) return counts;
  std::string sql =
      "SELECT COUNT(*), COUNT(CASE WHEN m.next_deadline_at <= ? THEN 1 END), "
      "COUNT(CASE WHEN m.next_deadline_at > ? AND m.next_deadline_at <= ? THEN 1 END)";
  std::vector<Value> params{now, now, due_soon_until};
  TodoFilter selected = f;
  std::erase_if(selected.selectors, [](const TodoSelector& s) { return s.states.empty(); });
  AppendTodoFilter(selected, sql, params);
  auto row = TRY(conn.QueryOne(sql, params));
  if (!row) return counts;
  counts.total = row->Int(0);
  counts.overdue = row->Int(1);
  counts.due_soon = row->Int(2);
  return counts;
}

Result<bool> AddParticipant(Conn& conn, const ParticipantRecord& p) {
  const std::array<Value, 4> params{p.matter_id, p.unit_id, p.relation, p.added_at};
  const std::int64_t added =
      TRY(conn.Exec("INSERT INTO matter_participants (matter_id, unit_id, relation, added_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (matter_id, unit_id, relation) DO NOTHING",
                    params));
  const std::array<Value, 2> visibility{p.unit_id, p.matter_id};
  std::vector<Row> seen =
      TRY(conn.Query("INSERT INTO matter_visibility (unit_id, matter_id, kind, state, updated_at) "
                     "SELECT ?, id, kind, state, updated_at FROM matters WHERE id = ? "
                     "ON CONFLICT (unit_id, matter_id) DO NOTHING RETURNING kind, state",
                     visibility));
  for (const Row& row : seen) TRY(Bump(conn, p.unit_id, row.Text(0), row.Text(1), 1));
  return added > 0;
}

Result<bool> RemoveParticipant(Conn& conn, std::int64_t matter_id, std::int64_t unit_id,
                               std::string_view relation) {
  const std::array<Value, 3> params{matter_id, unit_id, std::string(relation)};
  const std::int64_t removed = TRY(conn.Exec(
      "DELETE FROM matter_participants WHERE matter_id = ? AND unit_id = ? AND relation = ?",
      params));
  if (removed == 0) return false;
  const std::array<Value, 4> visibility{unit_id, matter_id, matter_id, unit_id};
  std::vector<Row> gone = TRY(
      conn.Query("DELETE FROM matter_visibility WHERE unit_id = ? AND matter_id = ? AND NOT EXISTS "
                 "(SELECT 1 FROM matter_participants WHERE matter_id = ? AND unit_id = ?) "
                 "RETURNING kind, state",
                 visibility));
  for (const Row& row : gone) TRY(Bump(conn, unit_id, row.Text(0), row.Text(1), -1));
  return true;
}

Result<std::vector<ParticipantRecord>> ListParticipants(Conn& conn, std::int64_t matter_id) {
  const std::array<Value, 1> params{matter_id};
  std::vector<Row> rows =
      TRY(conn.Query("SELECT matter_id, unit_id, relation, added_at FROM matter_participants "
                     "WHERE matter_id = ? ORDER BY unit_id, relation",
                     params));
  std::vector<ParticipantRecord> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    out.push_back(
        {.matter_id = r.Int(0), .unit_id = r.Int(1), .relation = r.Text(2), .added_at = r.Int(3)});
  }
  return out;
}

Result<std::vector<std::string>> RelationsOf(Conn& conn, std::int64_t matter_id,
                                             std::int64_t unit_id) {
  const std::array<Value, 2> params{matter_id, unit_id};
  std::vector<Row> rows =
      TRY(conn.Query("SELECT relation FROM matter_participants WHERE matter_id = ? AND unit_id = ? "
                     "ORDER BY relation",
                     params));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.push_back(r.Text(0));
  return out;
}

Result<bool> IsVisibleTo(Conn& conn, std::int64_t matter_id, std::int64_t unit_id) {
  const std::array<Value, 2> params{unit_id, matter_id};
  auto row = TRY(
      conn.QueryOne("SELECT 1 FROM matter_visibility WHERE unit_id = ? AND matter_id = ?", params));
  return row.has_value();
}

Result<bool> AddLink(Conn& conn, const LinkRecord& link) {
  const std::array<Value, 4> params{link.from_matter_id, link.to_matter_id, link.relation,
                                    link.created_at};
  const std::int64_t added = TRY(conn.Exec(
      "INSERT INTO matter_links (from_matter_id, to_matter_id, relation, created_at) "
      "VALUES (?, ?, ?, ?) ON CONFLICT (from_matter_id, to_matter_id, relation) DO NOTHING",
      params));
  return added > 0;
}

Result<std::vector<LinkRecord>> ListLinks(Conn& conn, std::int64_t matter_id) {
  const std::array<Value, 2> params{matter_id, matter_id};
  std::vector<Row> rows =
      TRY(conn.Query("SELECT from_matter_id, to_matter_id, relation, created_at FROM matter_links "
                     "WHERE from_matter_id = ? OR to_matter_id = ? "
                     "ORDER BY created_at, from_matter_id, to_matter_id, relation",
                     params));
  std::vector<LinkRecord> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    out.push_back({.from_matter_id = r.Int(0),
                   .to_matter_id = r.Int(1),
                   .relation = r.Text(2),
                   .created_at = r.Int(3)});
  }
  return out;
}

Result<bool> AttachFile(Conn& conn, std::int64_t matter_id, std::int64_t evidence_id,
                        std::string_view field, std::int64_t at) {
  const std::array<Value, 4> params{matter_id, evidence_id, std::string(field), at};
  const std::int64_t added = TRY(conn.Exec(
      "INSERT INTO matter_files (matter_id, evidence_id, field, added_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (matter_id, evidence_id, field) DO NOTHING",
      params));
  return added > 0;
}

Result<std::vector<MatterFileRecord>> ListMatterFiles(Conn& conn, std::int64_t matter_id) {
  const std::array<Value, 1> params{matter_id};
  std::vector<Row> rows =
      TRY(conn.Query("SELECT evidence_id, field, added_at FROM matter_files WHERE matter_id = ? "
                     "ORDER BY added_at, evidence_id, field",
                     params));
  std::vector<MatterFileRecord> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    out.push_back({.evidence_id = r.Int(0), .field = r.Text(1), .added_at = r.Int(2)});
  }
  return out;
}

Result<bool> IsFileVisibleTo(Conn& conn, std::int64_t evidence_id, std::int64_t unit_id) {
  // The matters the file is attached to (matter_files_evidence), each
  // probing the unit's visibility key.
  const std::array<Value, 2> params{evidence_id, unit_id};
  auto row = TRY(conn.QueryOne(
      "SELECT 1 FROM matter_files f JOIN matter_visibility v ON v.matter_id = f.matter_id "
      "WHERE f.evidence_id = ? AND v.unit_id = ? LIMIT 1",
      params));
  return row.has_value();
}

Status SetDeadline(Conn& conn, const DeadlineRecord& d) {
  const std::array<Value, 5> params{d.matter_id, d.name, d.started_at, d.due_at, d.limit_name};
  TRY(conn.Exec(
      "INSERT INTO matter_deadlines (matter_id, name, started_at, due_at, limit_name, "
      "cleared_at, level) VALUES (?, ?, ?, ?, ?, NULL, 0) "
      "ON CONFLICT (matter_id, name) DO UPDATE SET started_at = excluded.started_at, "
      "due_at = excluded.due_at, limit_name = excluded.limit_name, cleared_at = NULL, level = 0",
      params));
  return RecomputeNextDeadline(conn, d.matter_id);
}

Result<bool> ClearDeadline(Conn& conn, std::int64_t matter_id, std::string_view name,
                           std::int64_t at) {
  const std::array<Value, 3> params{at, matter_id, std::string(name)};
  const std::int64_t cleared =
      TRY(conn.Exec("UPDATE matter_deadlines SET cleared_at = ? WHERE matter_id = ? AND name = ? "
                    "AND cleared_at IS NULL",
                    params));
  if (cleared == 0) return false;
  TRY(RecomputeNextDeadline(conn, matter_id));
  return true;
}

Result<std::vector<DeadlineRecord>> ListDeadlines(Conn& conn, std::int64_t matter_id) {
  const std::array<Value, 1> params{matter_id};
  std::vector<Row> rows = TRY(conn.Query(
      std::string(kDeadlineSelect) +
          " WHERE matter_id = ? ORDER BY CASE WHEN cleared_at IS NULL THEN 0 ELSE 1 END, "
          "due_at, name",
      params));
  std::vector<DeadlineRecord> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.push_back(DeadlineFromRow(r));
  return out;
}

Result<std::vector<DeadlineRecord>> OpenDeadlinesDue(Conn& conn, std::int64_t due_before,
                                                     int below_level, int limit) {
  // One index range per level below below_level (matter_deadlines_open), the
  // first `limit` of their union by due time.
  const std::int64_t n = std::clamp(limit, 1, 10000);
  std::vector<DeadlineRecord> out;
  for (int level = 0; level < std::clamp(below_level, 0, 3); ++level) {
    const std::array<Value, 3> params{static_cast<std::int64_t>(level), due_before, n};
    for (const Row& r : TRY(conn.Query(std::string(kDeadlineSelect) +
                                           " WHERE cleared_at IS NULL AND level = ? AND due_at < ? "
                                           "ORDER BY due_at, matter_id, name LIMIT ?",
                                       params))) {
      out.push_back(DeadlineFromRow(r));
    }
  }
  std::sort(out.begin(), out.end(), [](const DeadlineRecord& a, const DeadlineRecord& b) {
    return std::tie(a.due_at, a.matter_id, a.name) < std::tie(b.due_at, b.matter_id, b.name);
  });
  if (out.size() > static_cast<std::size_t>(n)) out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<bool> RaiseDeadlineLevel(Conn& conn, std::int64_t matter_id, std::string_view name,
                                int level) {
  const std::array<Value, 4> params{static_cast<std::int64_t>(level), matter_id, std::string(name),
                                    static_cast<std::int64_t>(level)};
  const std::int64_t raised =
      TRY(conn.Exec("UPDATE matter_deadlines SET level = ? WHERE matter_id = ? AND name = ? "
                    "AND cleared_at IS NULL AND level < ?",
                    params));
  return raised > 0;
}

Result<std::int64_t> FindOrInsertCompany(Conn& conn, std::string_view credit_code,
                                         std::string_view name, std::int64_t at) {
  const std::array<Value, 4> params{std::string(name), std::string(credit_code), at, at};
  TRY(
      conn.Exec("INSERT INTO subjects (kind, name, credit_code, created_at, updated_at) "
                "VALUES ('company', ?, ?, ?, ?) ON CONFLICT (credit_code) DO NOTHING",
                params));
  const std::array<Value, 1> key{std::string(credit_code)};
  auto row = TRY(conn.QueryOne("SELECT id FROM subjects WHERE credit_code = ?", key));
  if (!row) return core::Internal("the company subject vanished after its insert");
  return row->Int(0);
}

Result<std::int64_t> FindOrInsertPerson(Conn& conn, std::string_view id_number_index,
                                        std::string_view id_number_sealed,
                                        std::string_view id_number_masked, std::string_view name,
                                        std::int64_t at) {
  const std::array<Value, 6> params{std::string(name),
                                    std::string(id_number_sealed),
                                    std::string(id_number_index),
                                    std::string(id_number_masked),
                                    at,
                                    at};
  TRY(conn.Exec(
      "INSERT INTO subjects (kind, name, id_number_sealed, id_number_index, id_number_masked, "
      "created_at, updated_at) VALUES ('person', ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (id_number_index) DO NOTHING",
      params));
  const std::array<Value, 1> key{std::string(id_number_index)};
  auto row = TRY(conn.QueryOne("SELECT id FROM subjects WHERE id_number_index = ?", key));
  if (!row) return core::Internal("the person subject vanished after its insert");
  return row->Int(0);
}

Result<std::optional<SubjectRecord>> FindSubject(Conn& conn, std::int64_t id) {
  const std::array<Value, 1> params{id};
  auto row = TRY(conn.QueryOne(
      "SELECT id, kind, name, credit_code, id_number_sealed, id_number_index, id_number_masked, "
      "created_at, updated_at FROM subjects WHERE id = ?",
      params));
  if (!row) return std::optional<SubjectRecord>();
  SubjectRecord s;
  s.id = row->Int(0);
  s.kind = row->Text(1);
  s.name = row->Text(2);
  s.credit_code = row->OptText(3);
  s.id_number_sealed = row->OptText(4);
  s.id_number_index = row->OptText(5);
  s.id_number_masked = row->OptText(6);
  s.created_at = row->Int(7);
  s.updated_at = row->Int(8);
  return std::optional(std::move(s));
}

Result<std::int64_t> InsertNotification(Conn& conn, const NotificationRecord& n) {
  const std::array<Value, 6> params{n.user_id, n.kind, sql::OptInt(n.matter_id),
                                    n.title,   n.body, n.created_at};
  auto row = TRY(
      conn.QueryOne("INSERT INTO notifications (user_id, kind, matter_id, title, body, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    params));
  if (!row) return core::Internal("inserting a notification returned no id");
  return row->Int(0);
}

Result<std::vector<NotificationRecord>> ListNotifications(Conn& conn, std::int64_t user_id,
                                                          bool unread_only, std::int64_t before_id,
                                                          int limit) {
  std::string sql = std::string(kNotificationSelect) + " WHERE user_id = ?";
  std::vector<Value> params{user_id};
  if (unread_only) sql += " AND read_at IS NULL";
  if (before_id > 0) {
    sql += " AND id < ?";
    params.emplace_back(before_id);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(std::clamp(limit, 1, 200)));
  std::vector<Row> rows = TRY(conn.Query(sql, params));
  std::vector<NotificationRecord> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.push_back(NotificationFromRow(r));
  return out;
}

Result<std::int64_t> CountUnreadNotifications(Conn& conn, std::int64_t user_id) {
  const std::array<Value, 1> params{user_id};
  auto row = TRY(conn.QueryOne(
      "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", params));
  return row ? row->Int(0) : 0;
}

Result<bool> MarkNotificationRead(Conn& conn, std::int64_t user_id, std::int64_t id,
                                  std::int64_t at) {
  const std::array<Value, 3> params{at, id, user_id};
  const std::int64_t marked = TRY(conn.Exec(
      "UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL",
      params));
  return marked > 0;
}

}  // namespace lvyuan::store
