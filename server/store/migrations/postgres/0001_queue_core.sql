-- The queue core: halls, services, windows, tickets, the event log, staff.

CREATE TABLE halls (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    tz          text NOT NULL,
    hours       jsonb NOT NULL,         -- weekly schedule
    calendar    jsonb NOT NULL,         -- {date: working?} exceptions
    created_at  timestamptz NOT NULL
);

-- One row per hall: the stream's epoch and the last seq handed out. Locked by
-- every transaction that appends events, so seq order is commit order.
CREATE TABLE hall_streams (
    hall_id   text PRIMARY KEY REFERENCES halls (id),
    epoch     text NOT NULL,
    last_seq  bigint NOT NULL DEFAULT 0
);

CREATE TABLE services (
    hall_id        text NOT NULL REFERENCES halls (id),
    code           text NOT NULL,
    name           text NOT NULL,
    name_en        text NOT NULL,
    avg_service_s  integer NOT NULL,
    PRIMARY KEY (hall_id, code)
);

CREATE TABLE users (
    id             text PRIMARY KEY,
    username       text NOT NULL UNIQUE,
    display_name   text NOT NULL,
    role           text NOT NULL,
    hall_id        text REFERENCES halls (id),
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL
);

CREATE TABLE windows (
    id                 text PRIMARY KEY,
    hall_id            text NOT NULL REFERENCES halls (id),
    number             integer NOT NULL,
    name               text NOT NULL,
    state              text NOT NULL,
    current_ticket_id  text,
    clerk_id           text REFERENCES users (id),
    pause_reason       text,
    priority_streak    integer NOT NULL DEFAULT 0,
    appointment_streak integer NOT NULL DEFAULT 0,
    UNIQUE (hall_id, number)
);

CREATE TABLE window_services (
    window_id     text NOT NULL REFERENCES windows (id),
    hall_id       text NOT NULL,
    service_code  text NOT NULL,
    PRIMARY KEY (window_id, service_code),
    FOREIGN KEY (hall_id, service_code) REFERENCES services (hall_id, code)
);

CREATE TABLE ticket_counters (
    hall_id       text NOT NULL,
    service_code  text NOT NULL,
    business_day  date NOT NULL,
    last          integer NOT NULL,
    PRIMARY KEY (hall_id, service_code, business_day)
);

CREATE TABLE tickets (
    id                 text PRIMARY KEY,
    hall_id            text NOT NULL,
    service            text NOT NULL,
    number             text NOT NULL,
    seq_no             integer NOT NULL,
    slot_at            timestamptz,
    business_day       date NOT NULL,
    kind               text NOT NULL,
    channel            text NOT NULL,
    state              text NOT NULL,
    priority           smallint NOT NULL,
    issued_at          timestamptz NOT NULL,
    queue_at           timestamptz NOT NULL,
    token_hash         text NOT NULL,
    window_id          text,
    target_window_id   text,
    recall_count       integer NOT NULL DEFAULT 0,
    transfer_count     integer NOT NULL DEFAULT 0,
    called_at          timestamptz,
    started_at         timestamptz,
    finished_at        timestamptz,
    id_fingerprint     text,
    id_masked          text,
    name_masked        text,
    phone_masked       text,
    note               text,
    FOREIGN KEY (hall_id, service) REFERENCES services (hall_id, code),
    CONSTRAINT tickets_number_unique UNIQUE (hall_id, business_day, number)
);

-- The only tickets dispatch looks at: its cost follows the queue, not the day's history.
CREATE INDEX tickets_waiting ON tickets (hall_id, priority, queue_at, seq_no)
    WHERE state = 'waiting';
CREATE INDEX tickets_waiting_by_service ON tickets (hall_id, service, priority)
    WHERE state = 'waiting';
CREATE INDEX tickets_waiting_targeted ON tickets (target_window_id, priority, queue_at, seq_no)
    WHERE state = 'waiting' AND target_window_id IS NOT NULL;
CREATE UNIQUE INDEX tickets_one_active_per_id ON tickets (hall_id, service, business_day, id_fingerprint)
    WHERE state IN ('waiting', 'called', 'serving') AND id_fingerprint IS NOT NULL;
CREATE INDEX tickets_stale ON tickets (hall_id, business_day)
    WHERE state IN ('waiting', 'no_show');
CREATE INDEX tickets_done ON tickets (hall_id, service, finished_at)
    WHERE state = 'done';
CREATE INDEX tickets_by_window ON tickets (window_id, business_day);

CREATE TABLE events (
    hall_id  text NOT NULL,
    seq      bigint NOT NULL,
    type     text NOT NULL,
    data     jsonb NOT NULL,
    at       timestamptz NOT NULL,
    PRIMARY KEY (hall_id, seq)
);
