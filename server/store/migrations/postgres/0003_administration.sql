-- Administration: departments, service channels and quotas, staff scope and state,
-- revocable sign-in sessions, and the hash-chained audit trail.

ALTER TABLE halls ADD COLUMN region_code text;

ALTER TABLE services ADD COLUMN channels text NOT NULL DEFAULT 'kiosk,phone,window';
ALTER TABLE services ADD COLUMN daily_quota integer;
-- Tickets keep pointing at a deleted service, so its row stays, marked retired.
ALTER TABLE services ADD COLUMN retired integer NOT NULL DEFAULT 0;

CREATE TABLE departments (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    name_en     text NOT NULL DEFAULT '',
    kind        text NOT NULL,            -- front (a counter) | back (back-office approval)
    created_at  timestamptz NOT NULL
);
CREATE TABLE department_halls (
    department_id  text NOT NULL REFERENCES departments (id),
    hall_id        text NOT NULL REFERENCES halls (id),
    PRIMARY KEY (department_id, hall_id)
);

ALTER TABLE windows ADD COLUMN department_id text REFERENCES departments (id);

ALTER TABLE users ADD COLUMN department_id text REFERENCES departments (id);
ALTER TABLE users ADD COLUMN enabled integer NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN must_change_password integer NOT NULL DEFAULT 0;

-- One row per sign-in: a token names its session, so signing out revokes it.
CREATE TABLE staff_sessions (
    id          text PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX staff_sessions_live ON staff_sessions (user_id) WHERE revoked_at IS NULL;

-- The audit trail: one chain per hall ('*' for actions outside any hall). Each
-- row carries the keyed hash of the previous one; the head row is locked by the
-- writer, so seq is gapless and the chain has one order.
CREATE TABLE audit_heads (
    chain      text PRIMARY KEY,
    last_seq   bigint NOT NULL,
    last_hash  text NOT NULL
);
CREATE TABLE audit_log (
    chain       text NOT NULL,
    seq         bigint NOT NULL,
    at          timestamptz NOT NULL,
    actor_id    text,
    actor_name  text,
    role        text,
    action      text NOT NULL,
    target      text,
    client      text,
    user_agent  text,
    detail      text NOT NULL,            -- exact JSON text: it is what the hash covers
    prev_hash   text NOT NULL,
    hash        text NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX audit_log_at ON audit_log (at);
-- The newest row of a chain older than a cut-off, for the retention purge: one probe.
CREATE INDEX audit_log_chain_at ON audit_log (chain, at);
CREATE INDEX audit_log_actor ON audit_log (actor_name, at);
