#include "store/record.h"

#include <array>

#include "store/sql_values.h"

namespace lvyuan::store {
namespace {

#define LVYUAN_EVENT_COLUMNS                                                                \
  "seq, at, actor_user_id, actor_username, actor_unit_id, action, object_type, object_id, " \
  "outcome, changes, files, client_ip, request_id, detail, leaf_hash"
constexpr const char* kEventColumns = LVYUAN_EVENT_COLUMNS;
constexpr const char* kInsertEvent = "INSERT INTO record_events (" LVYUAN_EVENT_COLUMNS
                                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kScanEvents =
    "SELECT " LVYUAN_EVENT_COLUMNS " FROM record_events WHERE seq > ? ORDER BY seq LIMIT ?";
#undef LVYUAN_EVENT_COLUMNS

EventRecord EventFromRow(const Row& r) {
  EventRecord e;
  e.seq = r.Int(0);
  e.at = r.Int(1);
  e.actor_user_id = r.OptInt(2);
  e.actor_username = r.Text(3);
  e.actor_unit_id = r.OptInt(4);
  e.action = r.Text(5);
  e.object_type = r.Text(6);
  e.object_id = r.Text(7);
  e.outcome = r.Text(8);
  e.changes = r.Text(9);
  e.files = r.Text(10);
  e.client_ip = r.Text(11);
  e.request_id = r.Text(12);
  e.detail = r.Text(13);
  e.leaf_hash = r.Bytes(14);
  return e;
}

Result<std::vector<EventRecord>> EventsOf(Result<std::vector<Row>> rows) {
  if (!rows.ok()) return rows.error();
  std::vector<EventRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(EventFromRow(r));
  return out;
}

constexpr const char* kCheckpointColumns = "size, root, at, body, key_id, signature";

CheckpointRecord CheckpointFromRow(const Row& r) {
  return {.size = r.Int(0),
          .root = r.Bytes(1),
          .at = r.Int(2),
          .body = r.Text(3),
          .key_id = r.Text(4),
          .signature = r.Bytes(5)};
}

Result<std::optional<CheckpointRecord>> OneCheckpoint(Result<std::optional<Row>> row) {
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<CheckpointRecord>();
  return std::optional<CheckpointRecord>(CheckpointFromRow(**row));
}

}  // namespace

Status AppendEvent(Conn& conn, const EventRecord& e) {
  std::vector<Value> p{e.seq,
                       e.at,
                       sql::OptInt(e.actor_user_id),
                       e.actor_username,
                       sql::OptInt(e.actor_unit_id),
                       e.action,
                       e.object_type,
                       e.object_id,
                       e.outcome,
                       e.changes,
                       e.files,
                       e.client_ip,
                       e.request_id,
                       e.detail,
                       e.leaf_hash};
  TRY(conn.Exec(kInsertEvent, p));
  return core::Ok();
}

EventView ViewOf(const EventRecord& e) {
  return {.seq = e.seq,
          .at = e.at,
          .actor_user_id = e.actor_user_id,
          .actor_username = e.actor_username,
          .actor_unit_id = e.actor_unit_id,
          .action = e.action,
          .object_type = e.object_type,
          .object_id = e.object_id,
          .outcome = e.outcome,
          .changes = e.changes,
          .files = e.files,
          .client_ip = e.client_ip,
          .request_id = e.request_id,
          .detail = e.detail,
          .leaf_hash = e.leaf_hash};
}

Result<std::optional<std::pair<std::int64_t, Blob>>> LastEvent(Conn& conn) {
  // Streamed: run before every append, so no Row is built for it.
  std::optional<std::pair<std::int64_t, Blob>> last;
  TRY(conn.QueryEach("SELECT seq, leaf_hash FROM record_events ORDER BY seq DESC LIMIT 1", {},
                     [&last](const RowView& r) {
                       const auto hash = r.Bytes(1);
                       last.emplace(r.Int(0), Blob(hash.begin(), hash.end()));
                       return core::Ok();
                     }));
  return last;
}

Result<std::optional<EventRecord>> FindEvent(Conn& conn, std::int64_t seq) {
  std::array<Value, 1> p{seq};
  auto row = TRY(conn.QueryOne(
      std::string("SELECT ") + kEventColumns + " FROM record_events WHERE seq = ?", p));
  if (!row) return std::optional<EventRecord>();
  return std::optional<EventRecord>(EventFromRow(*row));
}

Result<std::vector<EventRecord>> ListEvents(Conn& conn, const EventFilter& f) {
  std::string q = std::string("SELECT ") + kEventColumns + " FROM record_events WHERE 1 = 1";
  std::vector<Value> p;
  auto add = [&](const char* clause, Value v) {
    q += clause;
    p.push_back(std::move(v));
  };
  if (f.before_seq > 0) add(" AND seq < ?", f.before_seq);
  if (!f.action_prefix.empty()) {
    add(" AND action LIKE ? ESCAPE '\\'", sql::PrefixPattern(f.action_prefix));
  }
  if (!f.action.empty()) add(" AND action = ?", f.action);
  if (!f.actor_username.empty()) add(" AND actor_username = ?", f.actor_username);
  if (f.actor_unit_id) add(" AND actor_unit_id = ?", *f.actor_unit_id);
  if (!f.outcome.empty()) add(" AND outcome = ?", f.outcome);
  if (!f.object_type.empty()) add(" AND object_type = ?", f.object_type);
  if (!f.object_id.empty()) add(" AND object_id = ?", f.object_id);
  if (!f.request_id.empty()) add(" AND request_id = ?", f.request_id);
  if (f.from_ms) add(" AND at >= ?", *f.from_ms);
  if (f.to_ms) add(" AND at < ?", *f.to_ms);
  add(" ORDER BY seq DESC LIMIT ?", static_cast<std::int64_t>(f.limit));
  return EventsOf(conn.Query(q, p));
}

Result<std::vector<EventRecord>> ScanEvents(Conn& conn, std::int64_t after_seq, int limit) {
  std::array<Value, 2> p{after_seq, static_cast<std::int64_t>(limit)};
  return EventsOf(conn.Query(kScanEvents, p));
}

Status ScanEventViews(Conn& conn, std::int64_t after_seq, int limit,
                      const std::function<Status(const EventView&)>& fn) {
  std::array<Value, 2> p{after_seq, static_cast<std::int64_t>(limit)};
  return conn.QueryEach(kScanEvents, p, [&fn](const RowView& r) {
    return fn({.seq = r.Int(0),
               .at = r.Int(1),
               .actor_user_id = r.OptInt(2),
               .actor_username = r.Text(3),
               .actor_unit_id = r.OptInt(4),
               .action = r.Text(5),
               .object_type = r.Text(6),
               .object_id = r.Text(7),
               .outcome = r.Text(8),
               .changes = r.Text(9),
               .files = r.Text(10),
               .client_ip = r.Text(11),
               .request_id = r.Text(12),
               .detail = r.Text(13),
               .leaf_hash = r.Bytes(14)});
  });
}

Result<std::optional<Blob>> FindLeafHash(Conn& conn, std::int64_t index) {
  std::array<Value, 1> p{index + 1};
  auto row = TRY(conn.QueryOne("SELECT leaf_hash FROM record_events WHERE seq = ?", p));
  if (!row) return std::optional<Blob>();
  return std::optional<Blob>(row->Bytes(0));
}

Result<std::optional<Blob>> FindNode(Conn& conn, int level, std::int64_t idx) {
  std::array<Value, 2> p{static_cast<std::int64_t>(level), idx};
  auto row = TRY(conn.QueryOne("SELECT hash FROM record_nodes WHERE level = ? AND idx = ?", p));
  if (!row) return std::optional<Blob>();
  return std::optional<Blob>(row->Bytes(0));
}

Status PutNode(Conn& conn, int level, std::int64_t idx, const Blob& hash) {
  std::array<Value, 3> p{static_cast<std::int64_t>(level), idx, hash};
  TRY(conn.Exec("INSERT INTO record_nodes (level, idx, hash) VALUES (?, ?, ?)", p));
  return core::Ok();
}

Result<std::vector<std::pair<std::int64_t, Blob>>> ListNodes(Conn& conn, int level,
                                                             std::int64_t from, std::int64_t to) {
  std::array<Value, 3> p{static_cast<std::int64_t>(level), from, to};
  auto rows = TRY(conn.Query(
      "SELECT idx, hash FROM record_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
      p));
  std::vector<std::pair<std::int64_t, Blob>> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.emplace_back(r.Int(0), r.Bytes(1));
  return out;
}

Status ScanNodes(Conn& conn, int level, std::int64_t from, std::int64_t to,
                 const std::function<Status(std::int64_t, std::span<const std::uint8_t>)>& fn) {
  std::array<Value, 3> p{static_cast<std::int64_t>(level), from, to};
  return conn.QueryEach(
      "SELECT idx, hash FROM record_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx", p,
      [&fn](const RowView& r) { return fn(r.Int(0), r.Bytes(1)); });
}

Status PutCheckpoint(Conn& conn, const CheckpointRecord& c) {
  std::array<Value, 6> p{c.size, c.root, c.at, c.body, c.key_id, c.signature};
  TRY(conn.Exec(std::string("INSERT INTO record_checkpoints (") + kCheckpointColumns +
                    ") VALUES (?, ?, ?, ?, ?, ?)",
                p));
  return core::Ok();
}

Result<std::optional<CheckpointRecord>> LatestCheckpoint(Conn& conn) {
  return OneCheckpoint(conn.QueryOne(std::string("SELECT ") + kCheckpointColumns +
                                     " FROM record_checkpoints ORDER BY size DESC LIMIT 1"));
}

Result<std::optional<CheckpointRecord>> FindCheckpoint(Conn& conn, std::int64_t size) {
  std::array<Value, 1> p{size};
  return OneCheckpoint(conn.QueryOne(
      std::string("SELECT ") + kCheckpointColumns + " FROM record_checkpoints WHERE size = ?", p));
}

Result<std::vector<CheckpointRecord>> ListCheckpoints(Conn& conn, std::int64_t after_size,
                                                      int limit) {
  std::array<Value, 2> p{after_size, static_cast<std::int64_t>(limit)};
  auto rows = TRY(conn.Query(std::string("SELECT ") + kCheckpointColumns +
                                 " FROM record_checkpoints WHERE size > ? ORDER BY size LIMIT ?",
                             p));
  std::vector<CheckpointRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(CheckpointFromRow(r));
  return out;
}

namespace {

constexpr const char* kStoredFileSelect =
    "SELECT f.sm3, f.sha256, f.size, "
    "(SELECT MIN(e.event_seq) FROM evidence e WHERE e.sm3 = f.sm3) FROM record_files f ";

StoredFile StoredFileFromRow(const Row& r) {
  return {.sm3 = r.Text(0),
          .sha256 = r.Text(1),
          .size = r.Int(2),
          .first_event_seq = r.OptInt(3).value_or(0)};
}

}  // namespace

Result<std::vector<StoredFile>> ListStoredFiles(Conn& conn, std::string_view after_sm3, int limit) {
  std::array<Value, 2> p{std::string(after_sm3), static_cast<std::int64_t>(limit)};
  auto rows =
      TRY(conn.Query(std::string(kStoredFileSelect) + "WHERE f.sm3 > ? ORDER BY f.sm3 LIMIT ?", p));
  std::vector<StoredFile> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(StoredFileFromRow(r));
  return out;
}

Result<std::optional<StoredFile>> FindStoredFile(Conn& conn, std::string_view sm3) {
  std::array<Value, 1> p{std::string(sm3)};
  auto row = TRY(conn.QueryOne(std::string(kStoredFileSelect) + "WHERE f.sm3 = ?", p));
  if (!row) return std::optional<StoredFile>();
  return std::optional<StoredFile>(StoredFileFromRow(*row));
}

Status PutCosignature(Conn& conn, const CosignatureRecord& c) {
  std::array<Value, 5> p{c.size, c.witness, c.key_id, c.signature, c.at};
  TRY(
      conn.Exec("INSERT INTO record_cosignatures (size, witness, key_id, signature, at) "
                "VALUES (?, ?, ?, ?, ?)",
                p));
  return core::Ok();
}

Result<std::vector<CosignatureRecord>> ListCosignatures(Conn& conn, std::int64_t size) {
  std::array<Value, 1> p{size};
  auto rows = TRY(conn.Query(
      "SELECT size, witness, key_id, signature, at FROM record_cosignatures WHERE size = ? "
      "ORDER BY witness",
      p));
  std::vector<CosignatureRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({.size = r.Int(0),
                   .witness = r.Text(1),
                   .key_id = r.Text(2),
                   .signature = r.Bytes(3),
                   .at = r.Int(4)});
  }
  return out;
}

}  // namespace lvyuan::store
