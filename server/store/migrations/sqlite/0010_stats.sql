-- Statistics (统计): who served a ticket, the daily archive (信息归档) of each hall's
-- figures, the wait target per hall and the state of its long-wait alert.

-- The clerk signed in at the window when the service started: the per-clerk figures.
ALTER TABLE tickets ADD COLUMN served_by text;

-- One row per hall and business day once that day is frozen: written in the same
-- transaction as the day's rows, so "frozen" means all of them, and a second writer
-- (a re-run, another process) finds it and writes nothing.
CREATE TABLE stats_days (
    hall_id       text NOT NULL REFERENCES halls (id),
    business_day  text NOT NULL,
    target_s      integer NOT NULL,         -- the wait target the day was measured against
    frozen_at     text NOT NULL,
    PRIMARY KEY (hall_id, business_day)
);

-- A frozen day's counts and sums per hall total (dim 'hall', key ''), service, window,
-- clerk and channel. Ranges add rows up; the minute histogram keeps percentiles.
CREATE TABLE stats_daily (
    hall_id        text NOT NULL,
    business_day   text NOT NULL,
    dim            text NOT NULL,
    key            text NOT NULL,
    issued         integer NOT NULL,
    served         integer NOT NULL,
    no_show        integer NOT NULL,
    cancelled      integer NOT NULL,
    waited         integer NOT NULL,
    wait_sum_s     integer NOT NULL,
    wait_max_s     integer NOT NULL,
    within_target  integer NOT NULL,
    service_sum_s  integer NOT NULL,
    hist           text NOT NULL,            -- counts per wait minute, comma separated
    -- ratings per level (r5 非常满意 .. r1 非常不满意), malicious ones left out
    r1             integer NOT NULL,
    r2             integer NOT NULL,
    r3             integer NOT NULL,
    r4             integer NOT NULL,
    r5             integer NOT NULL,
    malicious      integer NOT NULL,
    cases_done     integer NOT NULL,
    cases_on_time  integer NOT NULL,
    PRIMARY KEY (hall_id, business_day, dim, key),
    FOREIGN KEY (hall_id, business_day) REFERENCES stats_days (hall_id, business_day)
);

CREATE TABLE stats_targets (
    hall_id        text PRIMARY KEY REFERENCES halls (id),
    wait_target_s  integer NOT NULL CHECK (wait_target_s > 0),
    updated_at     text NOT NULL,
    updated_by     text
);

-- Whether the hall's longest wait is past its target, as last announced: the sweep
-- emits one event per crossing and one when it clears.
CREATE TABLE stats_alerts (
    hall_id        text PRIMARY KEY REFERENCES halls (id),
    active         integer NOT NULL DEFAULT 0,
    changed_at     text NOT NULL
);

-- Cases concluded on a day, for the on-time figure.
CREATE INDEX cases_decided ON cases (hall_id, decided_at) WHERE decided_at IS NOT NULL;
