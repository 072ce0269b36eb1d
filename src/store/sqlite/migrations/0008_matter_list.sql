-- The matter list at volume (a unit that sees hundreds of thousands of
-- matters): counters by state, so that the list's `counts` are not a COUNT
-- over the unit's visibility rows on every request, and the indexes that
-- give each filter of the list an index range in list order
-- (updated_at, id descending).

-- How many matters a unit may see (a matter_visibility row), per kind and
-- state; unit_id 0 counts every matter (lists of those who see them all).
-- store/matters.cc changes a row in the same transaction as the visibility
-- row or matter it counts (AddParticipant, RemoveParticipant, InsertMatter,
-- UpdateMatter), so it always equals the COUNT it stands for. Rows that fall
-- to 0 stay. No foreign key: unit 0 is not a unit.
CREATE TABLE matter_counts (
  unit_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  n INTEGER NOT NULL CHECK (n >= 0),
  PRIMARY KEY (unit_id, kind, state)
);
INSERT INTO matter_counts (unit_id, kind, state, n)
  SELECT unit_id, kind, state, COUNT(*) FROM matter_visibility GROUP BY unit_id, kind, state;
INSERT INTO matter_counts (unit_id, kind, state, n)
  SELECT 0, kind, state, COUNT(*) FROM matters GROUP BY kind, state;

-- A unit's list of one kind (any state), of one state (any kind); the same
-- over every matter. (unit, kind, state, …) and (unit, …) are in 0006.
CREATE INDEX matter_visibility_kind_recent
  ON matter_visibility(unit_id, kind, updated_at, matter_id);
CREATE INDEX matter_visibility_state ON matter_visibility(unit_id, state, updated_at, matter_id);
CREATE INDEX matters_kind_recent ON matters(kind, updated_at, id);
CREATE INDEX matters_state ON matters(state, updated_at, id);

-- Lookups by matter that the keys above do not lead with: a matter's
-- visibility rows (state changes update them all), the matters a file is
-- attached to (may a unit read it); and open deadlines by reminder level and
-- due time (the reminder job: one range per level still to send, not a walk
-- over every deadline already reminded), so that a matter's own deadlines
-- are found by its key, not among every open deadline.
CREATE INDEX matter_visibility_matter ON matter_visibility(matter_id);
CREATE INDEX matter_files_evidence ON matter_files(evidence_id, matter_id);
DROP INDEX matter_deadlines_open;
CREATE INDEX matter_deadlines_open ON matter_deadlines(level, due_at) WHERE cleared_at IS NULL;
