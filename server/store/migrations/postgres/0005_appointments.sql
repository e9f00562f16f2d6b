-- Online appointments (网上预约): per-service booking rules, the bookings, and a
-- per-slot count that enforces capacity in one statement.

-- JSON booking rules (slot length, capacity, spans, horizon, check-in, no-show
-- rule, reminder time); NULL: the service is not bookable.
ALTER TABLE services ADD COLUMN booking text;

CREATE TABLE appointments (
    id              text PRIMARY KEY,
    hall_id         text NOT NULL,
    service         text NOT NULL,
    code            text NOT NULL UNIQUE,     -- the booking code the citizen shows
    slot_start_at   timestamptz NOT NULL,
    slot_end_at     timestamptz NOT NULL,
    slot_day        date NOT NULL,            -- the slot's local date
    state           text NOT NULL,            -- booked | checked_in | late | cancelled | no_show
    id_fingerprint  text NOT NULL,
    id_masked       text NOT NULL,
    name_masked     text,
    phone_masked    text,
    phone_enc       text,                     -- sealed; blanked once the appointment ends
    email_enc       text,
    owner_fp        text,                     -- the signed-in citizen's phone fingerprint
    booked_by       text,                     -- a clerk's user id, when booked for a citizen
    ticket_id       text,
    created_at      timestamptz NOT NULL,
    checked_in_at   timestamptz,
    ended_at        timestamptz,
    cancel_reason   text,
    reminded        integer NOT NULL DEFAULT 0,
    lang            text NOT NULL DEFAULT 'zh',
    FOREIGN KEY (hall_id, service) REFERENCES services (hall_id, code)
);
-- One active booking per ID number and service: decided by the database.
CREATE UNIQUE INDEX appointments_one_active
    ON appointments (hall_id, service, id_fingerprint) WHERE state = 'booked';
CREATE INDEX appointments_day ON appointments (hall_id, slot_day, state);
CREATE INDEX appointments_person ON appointments (hall_id, id_fingerprint, state, slot_day);
CREATE INDEX appointments_owner ON appointments (owner_fp, slot_day);

-- Booked places per slot: taken with one conditional upsert, so capacity holds
-- however many processes book at once; listing slots reads this, not the bookings.
CREATE TABLE slot_counts (
    hall_id         text NOT NULL,
    service         text NOT NULL,
    slot_start_at   timestamptz NOT NULL,
    booked          integer NOT NULL,
    PRIMARY KEY (hall_id, service, slot_start_at)
);
