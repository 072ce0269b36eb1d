-- Matters (事项): every tracked procedure — clue, transfer, criminal transfer,
-- consultation, meeting, notice, and later cases, writs and restoration plans —
-- is a row of one table, its kind's definition in workflows/<kind>.json. The
-- columns are what lists, permissions and statistics need; the kind's own
-- fields are the JSON object in `fields`. Changes are made by the procedure
-- engine, one record event each (the record, 0003, is the history; these
-- tables are the current state).
--
-- Times are unix milliseconds; amounts are integer fen (分).

-- A unit's abbreviation for matter numbers (湖环 in 湖环移〔2026〕12号); empty
-- until an administrator sets it (numbers then use the unit's name).
ALTER TABLE units ADD COLUMN abbreviation TEXT NOT NULL DEFAULT '';

-- 行政相对人: a company by its unified social credit code, or a person by
-- their resident ID number, kept sealed (SM4-CTR + HMAC-SM3, crypto/
-- field_cipher.h) with a keyed blind index for look-ups and the masked form
-- for display. One row per subject: the unique keys de-duplicate.
CREATE TABLE subjects (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('company', 'person')),
  name TEXT NOT NULL,
  credit_code TEXT,
  id_number_sealed TEXT,
  id_number_index TEXT,
  id_number_masked TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CONSTRAINT subjects_credit_code_unique UNIQUE (credit_code),
  CONSTRAINT subjects_id_number_unique UNIQUE (id_number_index),
  CHECK ((kind = 'company' AND credit_code IS NOT NULL AND id_number_index IS NULL) OR
         (kind = 'person' AND id_number_index IS NOT NULL AND id_number_sealed IS NOT NULL AND
          credit_code IS NULL))
);
CREATE INDEX subjects_name ON subjects(name);

-- The per-unit, per-kind, per-year number sequence (湖环移〔2026〕12号).
CREATE TABLE matter_numbers (
  unit_id INTEGER NOT NULL REFERENCES units(id),
  kind TEXT NOT NULL,
  year INTEGER NOT NULL,
  last INTEGER NOT NULL CHECK (last > 0),
  PRIMARY KEY (unit_id, kind, year)
);

-- next_deadline_at is the earliest open deadline (matter_deadlines), kept
-- here for the list's overdue filter; version counts changes for optimistic
-- concurrency (If-Match).
CREATE TABLE matters (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  number TEXT NOT NULL,
  title TEXT NOT NULL,
  state TEXT NOT NULL,
  owner_unit_id INTEGER NOT NULL REFERENCES units(id),
  region_code TEXT NOT NULL DEFAULT '',
  domain TEXT NOT NULL DEFAULT '',
  subject_id INTEGER REFERENCES subjects(id),
  amount_fen INTEGER,
  fields TEXT NOT NULL DEFAULT '{}',
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  next_deadline_at INTEGER,
  version INTEGER NOT NULL DEFAULT 1 CHECK (version > 0),
  CONSTRAINT matters_number_unique UNIQUE (owner_unit_id, kind, number)
);
CREATE INDEX matters_recent ON matters(updated_at, id);
CREATE INDEX matters_kind ON matters(kind, state, updated_at, id);
CREATE INDEX matters_subject ON matters(subject_id, id);
CREATE INDEX matters_deadline ON matters(next_deadline_at);

-- Which units take part in a matter and how: owner, recipient, copied,
-- supervisor, party, witness, or shared (may read, nothing more).
CREATE TABLE matter_participants (
  matter_id INTEGER NOT NULL REFERENCES matters(id),
  unit_id INTEGER NOT NULL REFERENCES units(id),
  relation TEXT NOT NULL CHECK (relation IN ('owner', 'recipient', 'copied', 'supervisor',
                                             'party', 'witness', 'shared')),
  added_at INTEGER NOT NULL,
  PRIMARY KEY (matter_id, unit_id, relation)
);
CREATE INDEX matter_participants_unit ON matter_participants(unit_id, matter_id);

-- Derived from matter_participants and matters (store/matters.cc keeps it
-- in step in the same transaction): one row per unit that may see a matter,
-- with copies of the list's sort and filter keys, so that a unit's list is
-- an index range however many matters the deployment holds.
CREATE TABLE matter_visibility (
  unit_id INTEGER NOT NULL REFERENCES units(id),
  matter_id INTEGER NOT NULL REFERENCES matters(id),
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (unit_id, matter_id)
);
CREATE INDEX matter_visibility_recent ON matter_visibility(unit_id, updated_at, matter_id);
CREATE INDEX matter_visibility_kind ON matter_visibility(unit_id, kind, state, updated_at, matter_id);

-- Links between matters: a clue to the transfer it led to, a transfer to the
-- recipient's own matter, a criminal transfer to the supervision opened on it.
CREATE TABLE matter_links (
  from_matter_id INTEGER NOT NULL REFERENCES matters(id),
  to_matter_id INTEGER NOT NULL REFERENCES matters(id),
  relation TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (from_matter_id, to_matter_id, relation),
  CHECK (from_matter_id <> to_matter_id)
);
CREATE INDEX matter_links_to ON matter_links(to_matter_id);

-- Evidence files attached to a matter (evidence, 0004), by the field they
-- were given in.
CREATE TABLE matter_files (
  matter_id INTEGER NOT NULL REFERENCES matters(id),
  evidence_id INTEGER NOT NULL REFERENCES evidence(id),
  field TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (matter_id, evidence_id, field)
);

-- A matter's deadlines (时限): named in the kind's definition, started by an
-- action, due at due_at, open until the action that meets it or the state
-- that ends it clears it. level is what reminders have been sent
-- (0 none, 1 due soon, 2 overdue).
CREATE TABLE matter_deadlines (
  matter_id INTEGER NOT NULL REFERENCES matters(id),
  name TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  limit_name TEXT NOT NULL DEFAULT '',
  cleared_at INTEGER,
  level INTEGER NOT NULL DEFAULT 0 CHECK (level IN (0, 1, 2)),
  PRIMARY KEY (matter_id, name)
);
CREATE INDEX matter_deadlines_open ON matter_deadlines(cleared_at, due_at);

-- Notifications (消息) to a user: kind names the template, matter_id what it
-- is about; read_at is set when the user has seen it.
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL,
  matter_id INTEGER REFERENCES matters(id),
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  read_at INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id, read_at, id);
