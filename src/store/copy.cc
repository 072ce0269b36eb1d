#include "store/copy.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <utility>

namespace lvyuan::store {
namespace {

struct TableSpec {
  std::string_view name;
  // A column referring to its own table: inserted as NULL, set afterwards.
  std::string_view self_reference;
};

// Dependency order: every table after the tables its foreign keys name.
constexpr std::array<TableSpec, 26> kTables = {{
    {"settings", ""},
    {"units", "parent_id"},
    {"users", ""},
    {"user_roles", ""},
    {"sessions", ""},
    {"login_failures", ""},
    {"login_locks", ""},
    {"login_rate_buckets", ""},
    {"api_tokens", ""},
    {"record_events", ""},
    {"record_nodes", ""},
    {"record_checkpoints", ""},
    {"record_cosignatures", ""},
    {"record_files", ""},
    {"evidence", ""},
    {"uploads", ""},
    {"subjects", ""},
    {"matter_numbers", ""},
    {"matters", ""},
    {"matter_participants", ""},
    {"matter_visibility", ""},
    {"matter_links", ""},
    {"matter_files", ""},
    {"matter_deadlines", ""},
    {"notifications", ""},
    {"matter_counts", ""},
}};

constexpr std::array<std::string_view, kTables.size()> kTableNames = [] {
  std::array<std::string_view, kTables.size()> names{};
  for (std::size_t i = 0; i < kTables.size(); ++i) names[i] = kTables[i].name;
  return names;
}();

constexpr std::string_view kSchemaVersionTable = "schema_version";

std::string Quote(std::string_view identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// What is known about one table once both catalogues agree on it.
struct TablePlan {
  const TableSpec* spec = nullptr;
  std::vector<ColumnInfo> columns;        // as the source lists them
  std::vector<std::size_t> key;           // indexes into columns, in key order
  std::optional<std::size_t> self_index;  // spec->self_reference in columns
};

// The tables of one database by name; FailedPrecondition when the set is not
// exactly the copy's tables plus schema_version.
Result<std::vector<TableInfo>> CheckTables(Database& database, std::string_view which) {
  std::vector<TableInfo> tables = TRY(database.ListTables());
  std::set<std::string_view> seen;
  for (const TableInfo& table : tables) {
    seen.insert(table.name);
    if (table.name == kSchemaVersionTable) continue;
    if (std::find(kTableNames.begin(), kTableNames.end(), table.name) == kTableNames.end()) {
      return core::FailedPrecondition(std::string(which) + "数据库中有复制程序不认识的表 " +
                                      table.name + "（store/copy.cc 需要知道它）");
    }
  }
  for (std::string_view name : kTableNames) {
    if (!seen.contains(name)) {
      return core::FailedPrecondition(std::string(which) + "数据库中缺少表 " + std::string(name) +
                                      "（未迁移到当前版本？）");
    }
  }
  return tables;
}

const TableInfo* FindTable(const std::vector<TableInfo>& tables, std::string_view name) {
  for (const TableInfo& table : tables) {
    if (table.name == name) return &table;
  }
  return nullptr;
}

Result<std::vector<TablePlan>> PlanCopy(const std::vector<TableInfo>& source,
                                        const std::vector<TableInfo>& target) {
  std::vector<TablePlan> plans;
  for (const TableSpec& spec : kTables) {
    const TableInfo* from = FindTable(source, spec.name);
    const TableInfo* to = FindTable(target, spec.name);
    if (from == nullptr || to == nullptr) return core::Internal("table listing changed");
    const std::string table(spec.name);
    if (from->columns.size() != to->columns.size()) {
      return core::FailedPrecondition("源数据库与目标数据库的表 " + table + " 列数不同");
    }
    TablePlan plan{.spec = &spec, .columns = from->columns, .key = {}, .self_index = {}};
    for (std::size_t i = 0; i < from->columns.size(); ++i) {
      const ColumnInfo& column = from->columns[i];
      auto match = std::find_if(to->columns.begin(), to->columns.end(),
                                [&](const ColumnInfo& c) { return c.name == column.name; });
      if (match == to->columns.end() || match->type != column.type ||
          match->primary_key != column.primary_key) {
        return core::FailedPrecondition("源数据库与目标数据库的列 " + table + "." + column.name +
                                        " 不一致");
      }
      if (column.primary_key > 0) plan.key.push_back(i);
      if (column.name == spec.self_reference) plan.self_index = i;
    }
    if (plan.key.empty()) return core::Internal("table " + table + " has no primary key");
    std::sort(plan.key.begin(), plan.key.end(), [&plan](std::size_t a, std::size_t b) {
      return plan.columns[a].primary_key < plan.columns[b].primary_key;
    });
    if (!spec.self_reference.empty() && !plan.self_index) {
      return core::Internal("table " + table + " has no column " +
                            std::string(spec.self_reference));
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

Status RequireEmptyIn(Conn& conn) {
  for (std::string_view name : kTableNames) {
    std::optional<Row> row = TRY(conn.QueryOne("SELECT 1 FROM " + Quote(name) + " LIMIT 1"));
    if (row) {
      return core::FailedPrecondition("目标数据库不是空的：表 " + std::string(name) +
                                      " 已有数据（只能复制到新建的空数据库）");
    }
  }
  return core::Ok();
}

// The value of one streamed field, as the target column's type wants it
// (SQLite may hold TEXT in a BLOB column; PostgreSQL's bytea needs bytes).
Value ToValue(const FieldView& field, const std::string& column_type) {
  switch (field.type) {
    case FieldView::Type::kNull:
      return Null();
    case FieldView::Type::kInteger:
      return field.integer;
    case FieldView::Type::kReal:
      return field.real;
    case FieldView::Type::kText:
      if (column_type == "BLOB") return Blob(field.bytes.begin(), field.bytes.end());
      return std::string(field.bytes);
    case FieldView::Type::kBlob:
      return Blob(field.bytes.begin(), field.bytes.end());
  }
  return Null();
}

class TableCopier {
 public:
  TableCopier(const TablePlan& plan, const CopyOptions& options, Conn& in, Conn& out)
      : plan_(plan),
        table_(Quote(plan.spec->name)),
        page_rows_(std::max(1, options.page_rows)),
        insert_rows_(std::max(1, options.insert_rows)),
        in_(in),
        out_(out) {
    for (std::size_t i = 0; i < plan_.columns.size(); ++i) {
      if (i > 0) columns_ += ", ";
      columns_ += Quote(plan_.columns[i].name);
    }
    for (std::size_t k = 0; k < plan_.key.size(); ++k) {
      if (k > 0) order_ += ", ";
      order_ += Quote(plan_.columns[plan_.key[k]].name);
    }
  }

  // Copies every row; returns how many.
  Result<std::int64_t> Run() {
    std::vector<Value> last_key;
    while (true) {
      std::string sql = "SELECT " + columns_ + " FROM " + table_;
      if (!last_key.empty()) {
        std::string placeholders;
        for (std::size_t k = 0; k < last_key.size(); ++k) placeholders += k > 0 ? ", ?" : "?";
        sql += plan_.key.size() == 1 ? " WHERE " + order_ + " > ?"
                                     : " WHERE (" + order_ + ") > (" + placeholders + ")";
      }
      sql += " ORDER BY " + order_ + " LIMIT " + std::to_string(page_rows_);
      std::int64_t page = 0;
      TRY(in_.QueryEach(sql, last_key, [&](const RowView& row) -> Status {
        std::vector<Value> values(plan_.columns.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
          values[i] = ToValue(row.Field(i), plan_.columns[i].type);
        }
        last_key.clear();
        for (std::size_t k : plan_.key) last_key.push_back(values[k]);
        if (plan_.self_index &&
            !std::holds_alternative<std::monostate>(values[*plan_.self_index])) {
          std::vector<Value> update = {values[*plan_.self_index]};
          update.insert(update.end(), last_key.begin(), last_key.end());
          self_updates_.push_back(std::move(update));
          values[*plan_.self_index] = Null();
        }
        pending_.insert(pending_.end(), std::make_move_iterator(values.begin()),
                        std::make_move_iterator(values.end()));
        ++pending_rows_;
        ++page;
        if (pending_rows_ == insert_rows_) TRY(Flush());
        return core::Ok();
      }));
      TRY(Flush());
      copied_ += page;
      if (page < page_rows_) break;
    }
    TRY(ApplySelfReferences());
    std::optional<Row> count = TRY(in_.QueryOne("SELECT COUNT(*) FROM " + table_));
    const std::int64_t expected = count ? count->Int(0) : 0;
    if (expected != copied_ || inserted_ != copied_) {
      return core::DataLoss("复制表 " + std::string(plan_.spec->name) + " 时行数不符：源 " +
                            std::to_string(expected) + "，已复制 " + std::to_string(copied_));
    }
    return copied_;
  }

 private:
  Status Flush() {
    if (pending_rows_ == 0) return core::Ok();
    std::string row = "(";
    for (std::size_t i = 0; i < plan_.columns.size(); ++i) row += i > 0 ? ", ?" : "?";
    row += ")";
    std::string sql = "INSERT INTO " + table_ + " (" + columns_ + ") VALUES ";
    for (int r = 0; r < pending_rows_; ++r) {
      if (r > 0) sql += ", ";
      sql += row;
    }
    inserted_ += TRY(out_.Exec(sql, pending_));
    pending_.clear();
    pending_rows_ = 0;
    return core::Ok();
  }

  Status ApplySelfReferences() {
    if (self_updates_.empty()) return core::Ok();
    std::string sql =
        "UPDATE " + table_ + " SET " + Quote(plan_.columns[*plan_.self_index].name) + " = ? WHERE ";
    for (std::size_t k = 0; k < plan_.key.size(); ++k) {
      if (k > 0) sql += " AND ";
      sql += Quote(plan_.columns[plan_.key[k]].name) + " = ?";
    }
    for (const std::vector<Value>& update : self_updates_) TRY(out_.Exec(sql, update));
    self_updates_.clear();
    return core::Ok();
  }

  const TablePlan& plan_;
  const std::string table_;
  const int page_rows_;
  const int insert_rows_;
  Conn& in_;
  Conn& out_;
  std::string columns_;  // quoted, comma-separated, in plan order
  std::string order_;    // the key columns, quoted
  std::vector<Value> pending_;
  int pending_rows_ = 0;
  std::int64_t copied_ = 0;
  std::int64_t inserted_ = 0;
  // New value of the self-referencing column, then the key.
  std::vector<std::vector<Value>> self_updates_;
};

}  // namespace

std::span<const std::string_view> CopiedTables() { return kTableNames; }

Status RequireEmpty(Database& database) {
  return database.Read([](Conn& conn) { return RequireEmptyIn(conn); });
}

Result<CopyReport> CopyDatabase(Database& from, Database& to, const CopyOptions& options) {
  const int from_version = TRY(from.SchemaVersion());
  const int to_version = TRY(to.SchemaVersion());
  if (from_version != to_version) {
    return core::FailedPrecondition("源数据库的结构版本 " + std::to_string(from_version) +
                                    " 与目标数据库的 " + std::to_string(to_version) + " 不同");
  }
  const std::vector<TableInfo> source = TRY(CheckTables(from, "源"));
  const std::vector<TableInfo> target = TRY(CheckTables(to, "目标"));
  const std::vector<TablePlan> plans = TRY(PlanCopy(source, target));

  CopyReport report;
  report.schema_version = from_version;
  TRY(to.Write([&](Conn& out) -> Status {
    report.rows = 0;
    report.tables.clear();
    TRY(RequireEmptyIn(out));
    return from.Read([&](Conn& in) -> Status {
      for (const TablePlan& plan : plans) {
        TableCopier copier(plan, options, in, out);
        const std::int64_t rows = TRY(copier.Run());
        report.rows += rows;
        report.tables.push_back({.table = std::string(plan.spec->name), .rows = rows});
        if (options.progress) options.progress(plan.spec->name, rows);
      }
      return core::Ok();
    });
  }));
  TRY(to.AdvanceIdentities());
  return report;
}

}  // namespace lvyuan::store
