#include "store/evidence.h"

#include <array>

#include "store/sql_values.h"

namespace lvyuan::store {
namespace {

constexpr std::string_view kEvidenceSelect =
    "SELECT e.id, e.sm3, f.sha256, f.size, f.media_type, e.filename, e.source, e.captured_at, "
    "e.captured_by, e.device_id, e.location, e.description, e.object_type, e.object_id, "
    "e.unit_id, e.uploaded_by, e.uploaded_at, e.event_seq "
    "FROM evidence e JOIN record_files f ON f.sm3 = e.sm3";

EvidenceRecord EvidenceFromRow(const Row& r) {
  EvidenceRecord e;
  e.id = r.Int(0);
  e.sm3 = r.Text(1);
  e.sha256 = r.Text(2);
  e.size = r.Int(3);
  e.media_type = r.Text(4);
  e.filename = r.Text(5);
  e.source = r.Text(6);
  e.captured_at = r.Int(7);
  e.captured_by = r.Text(8);
  e.device_id = r.Text(9);
  e.location = r.Text(10);
  e.description = r.Text(11);
  e.object_type = r.Text(12);
  e.object_id = r.Text(13);
  e.unit_id = r.Int(14);
  e.uploaded_by = r.OptInt(15);
  e.uploaded_at = r.Int(16);
  e.event_seq = r.Int(17);
  return e;
}

constexpr std::string_view kUploadSelect =
    "SELECT id, user_id, unit_id, declared_size, filename, metadata, received, state, "
    "created_at, updated_at, evidence_id FROM uploads";

UploadState ParseState(const std::string& s) {
  if (s == "done") return UploadState::kDone;
  if (s == "aborted") return UploadState::kAborted;
  return UploadState::kOpen;
}

UploadRecord UploadFromRow(const Row& r) {
  UploadRecord u;
  u.id = r.Text(0);
  u.user_id = r.Int(1);
  u.unit_id = r.Int(2);
  u.declared_size = r.Int(3);
  u.filename = r.Text(4);
  u.metadata = r.Text(5);
  u.received = r.Int(6);
  u.state = ParseState(r.Text(7));
  u.created_at = r.Int(8);
  u.updated_at = r.Int(9);
  u.evidence_id = r.OptInt(10);
  return u;
}

}  // namespace

std::string_view UploadStateName(UploadState state) {
  switch (state) {
    case UploadState::kOpen:
      return "open";
    case UploadState::kDone:
      return "done";
    case UploadState::kAborted:
      return "aborted";
  }
  return "open";
}

Result<bool> InsertFileIfAbsent(Conn& conn, const FileRecord& f) {
  std::array<Value, 5> p{f.sm3, f.sha256, f.size, f.media_type, f.stored_at};
  auto changed = TRY(conn.Exec(
      "INSERT INTO record_files (sm3, sha256, size, media_type, stored_at) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT (sm3) DO NOTHING",
      p));
  return changed > 0;
}

Result<std::optional<FileRecord>> FindFile(Conn& conn, std::string_view sm3) {
  std::array<Value, 1> p{std::string(sm3)};
  auto row = TRY(conn.QueryOne(
      "SELECT sm3, sha256, size, media_type, stored_at FROM record_files WHERE sm3 = ?", p));
  if (!row) return std::optional<FileRecord>();
  return std::optional<FileRecord>(FileRecord{.sm3 = row->Text(0),
                                              .sha256 = row->Text(1),
                                              .size = row->Int(2),
                                              .media_type = row->Text(3),
                                              .stored_at = row->Int(4)});
}

Result<std::int64_t> CountFiles(Conn& conn) {
  auto row = TRY(conn.QueryOne("SELECT COUNT(*) FROM record_files"));
  return row ? row->Int(0) : 0;
}

Result<std::int64_t> NextEvidenceId(Conn& conn) {
  auto row = TRY(conn.QueryOne("SELECT COALESCE(MAX(id), 0) + 1 FROM evidence"));
  return row ? row->Int(0) : 1;
}

Status InsertEvidence(Conn& conn, const EvidenceRecord& e) {
  std::vector<Value> p{e.id,
                       e.sm3,
                       e.filename,
                       e.source,
                       e.captured_at,
                       e.captured_by,
                       e.device_id,
                       e.location,
                       e.description,
                       e.object_type,
                       e.object_id,
                       e.unit_id,
                       sql::OptInt(e.uploaded_by),
                       e.uploaded_at,
                       e.event_seq};
  TRY(conn.Exec(
      "INSERT INTO evidence (id, sm3, filename, source, captured_at, captured_by, device_id, "
      "location, description, object_type, object_id, unit_id, uploaded_by, uploaded_at, "
      "event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      p));
  return core::Ok();
}

Result<std::optional<EvidenceRecord>> FindEvidence(Conn& conn, std::int64_t id) {
  std::array<Value, 1> p{id};
  auto row = TRY(conn.QueryOne(std::string(kEvidenceSelect) + " WHERE e.id = ?", p));
  if (!row) return std::optional<EvidenceRecord>();
  return std::optional<EvidenceRecord>(EvidenceFromRow(*row));
}

Result<std::vector<EvidenceRecord>> ListEvidence(Conn& conn, const EvidenceFilter& f) {
  std::string q = std::string(kEvidenceSelect) + " WHERE 1 = 1";
  std::vector<Value> p;
  auto add = [&](const char* clause, Value v) {
    q += clause;
    p.push_back(std::move(v));
  };
  if (f.before_id > 0) add(" AND e.id < ?", f.before_id);
  if (!f.object_type.empty()) add(" AND e.object_type = ?", f.object_type);
  if (!f.object_id.empty()) add(" AND e.object_id = ?", f.object_id);
  if (f.only_unit_id) add(" AND e.unit_id = ?", *f.only_unit_id);
  add(" ORDER BY e.id DESC LIMIT ?", static_cast<std::int64_t>(f.limit));
  auto rows = TRY(conn.Query(q, p));
  std::vector<EvidenceRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(EvidenceFromRow(r));
  return out;
}

Result<std::int64_t> CountEvidenceOfFile(Conn& conn, std::string_view sm3) {
  std::array<Value, 1> p{std::string(sm3)};
  auto row = TRY(conn.QueryOne("SELECT COUNT(*) FROM evidence WHERE sm3 = ?", p));
  return row ? row->Int(0) : 0;
}

Status InsertUpload(Conn& conn, const UploadRecord& u) {
  std::vector<Value> p{u.id,
                       u.user_id,
                       u.unit_id,
                       u.declared_size,
                       u.filename,
                       u.metadata,
                       u.received,
                       std::string(UploadStateName(u.state)),
                       u.created_at,
                       u.updated_at,
                       sql::OptInt(u.evidence_id)};
  TRY(conn.Exec(
      "INSERT INTO uploads (id, user_id, unit_id, declared_size, filename, metadata, received, "
      "state, created_at, updated_at, evidence_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      p));
  return core::Ok();
}

Result<std::optional<UploadRecord>> FindUpload(Conn& conn, std::string_view id) {
  std::array<Value, 1> p{std::string(id)};
  auto row = TRY(conn.QueryOne(std::string(kUploadSelect) + " WHERE id = ?", p));
  if (!row) return std::optional<UploadRecord>();
  return std::optional<UploadRecord>(UploadFromRow(*row));
}

Result<bool> SetUploadReceived(Conn& conn, std::string_view id, std::int64_t received,
                               std::int64_t now) {
  std::array<Value, 3> p{received, now, std::string(id)};
  auto changed = TRY(conn.Exec(
      "UPDATE uploads SET received = ?, updated_at = ? WHERE id = ? AND state = 'open'", p));
  return changed > 0;
}

Result<bool> CloseUpload(Conn& conn, std::string_view id, UploadState state, std::int64_t received,
                         std::optional<std::int64_t> evidence_id, std::int64_t now) {
  std::array<Value, 5> p{std::string(UploadStateName(state)), received, sql::OptInt(evidence_id),
                         now, std::string(id)};
  auto changed =
      TRY(conn.Exec("UPDATE uploads SET state = ?, received = ?, evidence_id = ?, updated_at = ? "
                    "WHERE id = ? AND state = 'open'",
                    p));
  return changed > 0;
}

}  // namespace lvyuan::store
