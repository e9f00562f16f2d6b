-- One-window intake (一窗受理): the matters catalog, cases with their gapless
-- 受理编号, one task per approving department, each case's timeline, and a
-- stream per department for its officers' live inbox.

CREATE TABLE matters (
    hall_id         text NOT NULL REFERENCES halls (id),
    code            text NOT NULL,
    name            text NOT NULL,
    initials        text NOT NULL,            -- pinyin initials of the name, for search
    spec            text NOT NULL,            -- the rest, as JSON (departments, materials ...)
    enabled         integer NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (hall_id, code)
);

CREATE TABLE case_counters (
    hall_id         text NOT NULL REFERENCES halls (id),
    business_day    date NOT NULL,
    last            integer NOT NULL,
    PRIMARY KEY (hall_id, business_day)
);

CREATE TABLE cases (
    id              text PRIMARY KEY,
    hall_id         text NOT NULL REFERENCES halls (id),
    number          text NOT NULL UNIQUE,     -- 受理编号
    matter          text NOT NULL,
    state           text NOT NULL,
    business_day    date NOT NULL,
    channel         text NOT NULL,            -- window | online
    created_at      timestamptz NOT NULL,
    id_fingerprint  text NOT NULL,
    id_masked       text NOT NULL,
    name_masked     text NOT NULL,
    phone_masked    text,
    personal_enc    text NOT NULL,            -- sealed JSON: name, ID number, phone, address
    owner_fp        text,                     -- the applicant phone's fingerprint: "my cases"
    collector_fingerprint text,
    collector_masked text,
    checklist       text NOT NULL,            -- JSON {material key: received|missing|waived}
    missing         text NOT NULL,            -- JSON [material keys] of the one-time notice
    promised_days   integer NOT NULL,
    legal_days      integer NOT NULL,
    ticket_id       text,
    window_id       text,
    clerk_id        text,
    accepted_at     timestamptz,
    accepted_day    date,
    due_day         date,                     -- as of the last change; the views recompute
    decided_at      timestamptz,
    closed_at       timestamptz,
    reasons         text,
    outcome         text,                     -- approved | approved_with_waiver | rejected
    tracking_no     text,
    alert           text NOT NULL DEFAULT 'green',
    FOREIGN KEY (hall_id, matter) REFERENCES matters (hall_id, code)
);
CREATE INDEX cases_person ON cases (id_fingerprint, state);
CREATE INDEX cases_owner ON cases (owner_fp) WHERE owner_fp IS NOT NULL;
CREATE INDEX cases_collector ON cases (collector_fingerprint) WHERE collector_fingerprint IS NOT NULL;
-- The live cases only: the views over them stay flat however large the archive grows.
CREATE INDEX cases_live ON cases (hall_id, state, due_day) WHERE state <> 'archived';

CREATE TABLE case_tasks (
    id              text PRIMARY KEY,
    case_id         text NOT NULL REFERENCES cases (id),
    hall_id         text NOT NULL,
    department      text NOT NULL REFERENCES departments (id),
    lead            integer NOT NULL,
    state           text NOT NULL,
    created_at      timestamptz NOT NULL,
    officer_id      text,
    officer_name    text,
    decided_at      timestamptz,
    note            text,
    stops           text NOT NULL DEFAULT '[]',  -- JSON [[start day, end day or null]]
    due_day         date,
    alert           text NOT NULL DEFAULT 'green'
);
CREATE INDEX case_tasks_case ON case_tasks (case_id);
CREATE INDEX case_tasks_open ON case_tasks (department, due_day)
    WHERE state IN ('pending', 'claimed', 'supplement', 'suspended');
CREATE INDEX case_tasks_done ON case_tasks (department, decided_at)
    WHERE state IN ('approved', 'rejected');

CREATE TABLE case_log (
    case_id         text NOT NULL REFERENCES cases (id),
    seq             integer NOT NULL,
    at              timestamptz NOT NULL,
    action          text NOT NULL,
    from_state      text,
    to_state        text,
    actor_id        text,
    actor_name      text,
    department      text,
    note            text,
    internal        integer NOT NULL DEFAULT 0,  -- officers' notes: never on public views
    PRIMARY KEY (case_id, seq)
);

-- A department's stream lives beside the halls' (same seq and epoch rules), so its
-- topic resumes like any other: the stream key is 'dept:' || department id.
ALTER TABLE hall_streams DROP CONSTRAINT hall_streams_hall_id_fkey;
INSERT INTO hall_streams (hall_id, epoch, last_seq)
    SELECT 'dept:' || id, md5(random()::text), 0 FROM departments;
