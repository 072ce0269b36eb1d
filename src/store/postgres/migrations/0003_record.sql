-- The whole-process record (全过程记录): events, the stored nodes of their
-- Merkle tree, and signed checkpoints. docs/record-format.md describes what
-- is hashed. Every table here is append-only: triggers refuse UPDATE, DELETE
-- and TRUNCATE, and nothing in the product removes a row.
-- The PostgreSQL twin of sqlite/migrations/0003_record.sql.
--
-- The issue-3 audit_log moves onto the record: its entries were not hashed,
-- so they cannot become part of a verifiable log after the fact; the table
-- is dropped (pre-release deployments only held demo entries).

DROP TABLE audit_log;

-- One event per state change (and per sign-in outcome, refusal, read of a
-- record). seq is the 1-based position in the log: leaf index seq - 1; the
-- application assigns it.
-- changes, files and detail hold canonical JSON (record-format.md).
CREATE TABLE record_events (
  seq BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor_user_id BIGINT,
  actor_username TEXT NOT NULL DEFAULT '',
  actor_unit_id BIGINT,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL DEFAULT '',
  object_id TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL,
  changes TEXT NOT NULL DEFAULT '{}',
  files TEXT NOT NULL DEFAULT '[]',
  client_ip TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '{}',
  leaf_hash BYTEA NOT NULL
);
CREATE INDEX record_events_at ON record_events(at);
CREATE INDEX record_events_object ON record_events(object_type, object_id, seq);
CREATE INDEX record_events_actor ON record_events(actor_username, seq);
CREATE INDEX record_events_unit ON record_events(actor_unit_id, seq);
CREATE INDEX record_events_request ON record_events(request_id);

-- Hashes of the perfect subtrees of 2^level leaves (level >= 1) starting at
-- leaf idx * 2^level; level 0 is record_events.leaf_hash. A tree of n
-- leaves has fewer than n of these; each append adds amortised one.
CREATE TABLE record_nodes (
  level BIGINT NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  PRIMARY KEY (level, idx)
);

-- Signed tree heads. body is the exact signed text (record-format.md).
CREATE TABLE record_checkpoints (
  size BIGINT PRIMARY KEY,
  root BYTEA NOT NULL,
  at BIGINT NOT NULL,
  body TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature BYTEA NOT NULL
);

-- Witness cosignatures of checkpoints.
CREATE TABLE record_cosignatures (
  size BIGINT NOT NULL,
  witness TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature BYTEA NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (size, witness)
);

-- lvyuan_refuse_change() is defined in 0002_accounts.sql.
CREATE TRIGGER record_events_no_update BEFORE UPDATE ON record_events
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_events_no_delete BEFORE DELETE ON record_events
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_events_no_truncate BEFORE TRUNCATE ON record_events
  FOR EACH STATEMENT EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_nodes_no_update BEFORE UPDATE ON record_nodes
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_nodes_no_delete BEFORE DELETE ON record_nodes
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_nodes_no_truncate BEFORE TRUNCATE ON record_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_checkpoints_no_update BEFORE UPDATE ON record_checkpoints
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_checkpoints_no_delete BEFORE DELETE ON record_checkpoints
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_checkpoints_no_truncate BEFORE TRUNCATE ON record_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_cosignatures_no_update BEFORE UPDATE ON record_cosignatures
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_cosignatures_no_delete BEFORE DELETE ON record_cosignatures
  FOR EACH ROW EXECUTE FUNCTION lvyuan_refuse_change();
CREATE TRIGGER record_cosignatures_no_truncate BEFORE TRUNCATE ON record_cosignatures
  FOR EACH STATEMENT EXECUTE FUNCTION lvyuan_refuse_change();
