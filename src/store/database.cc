#include "store/database.h"

#include <string>
#include <utility>

#include "store/postgres/postgres_database.h"
#include "store/sqlite/sqlite_database.h"

namespace lvyuan::store {

bool Row::IsNull(std::size_t i) const {
  return i >= values_.size() || std::holds_alternative<std::monostate>(values_[i]);
}

std::int64_t Row::Int(std::size_t i) const {
  if (i >= values_.size()) return 0;
  const auto* value = std::get_if<std::int64_t>(&values_[i]);
  return value != nullptr ? *value : 0;
}

double Row::Real(std::size_t i) const {
  if (i >= values_.size()) return 0.0;
  const auto* value = std::get_if<double>(&values_[i]);
  return value != nullptr ? *value : 0.0;
}

std::string Row::Text(std::size_t i) const {
  if (i >= values_.size()) return {};
  const auto* value = std::get_if<std::string>(&values_[i]);
  return value != nullptr ? *value : std::string();
}

Blob Row::Bytes(std::size_t i) const {
  if (i >= values_.size()) return {};
  const auto* value = std::get_if<Blob>(&values_[i]);
  return value != nullptr ? *value : Blob();
}

std::optional<std::int64_t> Row::OptInt(std::size_t i) const {
  if (i >= values_.size()) return std::nullopt;
  const auto* value = std::get_if<std::int64_t>(&values_[i]);
  if (value == nullptr) return std::nullopt;
  return *value;
}

std::optional<std::string> Row::OptText(std::size_t i) const {
  if (i >= values_.size()) return std::nullopt;
  const auto* value = std::get_if<std::string>(&values_[i]);
  if (value == nullptr) return std::nullopt;
  return *value;
}

Result<std::optional<Row>> Conn::QueryOne(std::string_view sql, std::span<const Value> params) {
  std::vector<Row> rows = TRY(Query(sql, params));
  if (rows.empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows.front()));
}

Result<std::vector<TableInfo>> Database::ListTables() {
  return core::Error{core::ErrorCode::kUnimplemented, "此数据库后端不能列出表", {}};
}

Status Database::AdvanceIdentities() { return core::Ok(); }

Status Conn::QueryEach(std::string_view sql, std::span<const Value> params, const RowCallback& fn) {
  const std::vector<Row> rows = TRY(Query(sql, params));
  std::vector<FieldView> fields;
  for (const Row& row : rows) {
    fields.assign(row.size(), FieldView{});
    for (std::size_t i = 0; i < row.size(); ++i) {
      const Value& value = row.at(i);
      FieldView& field = fields[i];
      if (const auto* number = std::get_if<std::int64_t>(&value)) {
        field = {.type = FieldView::Type::kInteger, .integer = *number};
      } else if (const auto* real = std::get_if<double>(&value)) {
        field = {.type = FieldView::Type::kReal, .real = *real};
      } else if (const auto* text = std::get_if<std::string>(&value)) {
        field = {.type = FieldView::Type::kText, .bytes = *text};
      } else if (const auto* blob = std::get_if<Blob>(&value)) {
        field = {
            .type = FieldView::Type::kBlob,
            .bytes = std::string_view(reinterpret_cast<const char*>(blob->data()), blob->size())};
      }
    }
    TRY(fn(RowView(fields)));
  }
  return core::Ok();
}

namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

Result<std::unique_ptr<Database>> Open(const OpenOptions& options) {
  std::string_view url = options.url;
  if (StartsWith(url, "postgresql://") || StartsWith(url, "postgres://")) {
    std::unique_ptr<postgres::PostgresDatabase> database =
        TRY(postgres::PostgresDatabase::Open(std::string(url), options));
    return std::unique_ptr<Database>(std::move(database));
  }
  std::string_view path;
  if (StartsWith(url, "sqlite://")) {
    path = url.substr(9);
  } else if (StartsWith(url, "sqlite:")) {
    path = url.substr(7);
  } else if (url.find("://") == std::string_view::npos) {
    path = url;
  } else {
    return core::InvalidArgument("不支持的数据库地址（应为 SQLite 文件路径或 postgresql:// 地址）",
                                 "store.url");
  }
  std::unique_ptr<sqlite::SqliteDatabase> database =
      TRY(sqlite::SqliteDatabase::Open(std::string(path), options));
  return std::unique_ptr<Database>(std::move(database));
}

}  // namespace lvyuan::store
