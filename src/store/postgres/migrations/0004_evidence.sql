-- Evidence files (证据文件): the stored blobs, the evidence rows that give a
-- blob its provenance, and the uploads in progress.
-- The PostgreSQL twin of sqlite/migrations/0004_evidence.sql.
--
-- record_files has one row per distinct content (the blob store's address,
-- src/record/blob_store.h); evidence has one row per time a file was entered
-- as evidence, with who captured it, when, where and how, and the record event
-- that entered it. Both are append-only: triggers refuse UPDATE, DELETE and
-- TRUNCATE, as for the record itself (0003_record.sql). uploads is working
-- state and changes as bytes arrive.

CREATE TABLE record_files (
  sm3 TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL CHECK (size >= 0),
  media_type TEXT NOT NULL,
  stored_at BIGINT NOT NULL
);

-- captured_at and uploaded_at are unix milliseconds; location is a JSON
-- object {"text", "lat", "lng"} (strings) or ''. object_type/object_id name
-- what the file is attached to ('' when nothing yet). event_seq is the
-- evidence.upload event that entered the row. The application assigns id.
CREATE TABLE evidence (
  id BIGINT PRIMARY KEY,
  sm3 TEXT NOT NULL REFERENCES record_files(sm3),
  filename TEXT NOT NULL,
  source TEXT NOT NULL,
  captured_at BIGINT NOT NULL,
  captured_by TEXT NOT NULL DEFAULT '',
  device_id TEXT NOT NULL DEFAULT '',
  location TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  object_type TEXT NOT NULL DEFAULT '',
  object_id TEXT NOT NULL DEFAULT '',
  unit_id BIGINT NOT NULL REFERENCES units(id),
  uploaded_by BIGINT REFERENCES users(id),
  uploaded_at BIGINT NOT NULL,
  event_seq BIGINT NOT NULL REFERENCES record_events(seq),
  CHECK (captured_by <> '' OR device_id <> '')
);
CREATE INDEX evidence_object ON evidence(object_type, object_id, id);
CREATE INDEX evidence_unit ON evidence(unit_id, id);
CREATE INDEX evidence_sm3 ON evidence(sm3);

CREATE TRIGGER record_files_no_update BEFORE UPDATE ON record_files
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_files_no_delete BEFORE DELETE ON record_files
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_files_no_truncate BEFORE TRUNCATE ON record_files
  FOR EACH STATEMENT EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence
  FOR EACH STATEMENT EXECUTE FUNCTION lvyuan_refuse_change();

-- An upload in progress. id is also the blob store's temp file name;
-- metadata is the provenance given when it was opened (JSON object); received
-- is the number of bytes on disk as last recorded (the blob store re-counts
-- them when the upload resumes).
CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id),
  unit_id BIGINT NOT NULL REFERENCES units(id),
  declared_size BIGINT NOT NULL CHECK (declared_size >= 0),
  filename TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  received BIGINT NOT NULL DEFAULT 0 CHECK (received >= 0),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'aborted')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  evidence_id BIGINT REFERENCES evidence(id)
);
CREATE INDEX uploads_user ON uploads(user_id, state);
