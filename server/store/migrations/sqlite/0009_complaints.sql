-- Complaints (投诉): filed by citizens on the phone or at a kiosk, numbered per hall per
-- business day without gaps, worked by the hall's supervisors step by step. The contact
-- (name, phone) and the texts (complaint, finding, answer) are sealed; the query code
-- (random, given at filing) is kept only as a keyed fingerprint bound to the number.

CREATE TABLE complaint_counters (
    hall_id         text NOT NULL REFERENCES halls (id),
    business_day    text NOT NULL,
    last            integer NOT NULL,
    PRIMARY KEY (hall_id, business_day)
);

CREATE TABLE complaints (
    id              text PRIMARY KEY,
    hall_id         text NOT NULL REFERENCES halls (id),
    number          text NOT NULL UNIQUE,     -- TS-<region>-<YYYYMMDD>-<NNNN>
    business_day    text NOT NULL,
    channel         text NOT NULL,            -- phone | kiosk
    subject         text NOT NULL,            -- window | clerk | matter | hall
    subject_id      text,
    subject_label   text NOT NULL,
    body_enc        text NOT NULL,            -- the complaint's text, sealed
    name_masked     text,
    phone_masked    text,
    contact_enc     text,                     -- sealed JSON {name, phone}; NULL: none left
    secret_fp       text NOT NULL,            -- fingerprint of the query secret
    state           text NOT NULL,
    steps           text NOT NULL,            -- JSON {state: {at, by_id, by_name}}
    assignee_id     text,
    assignee_name   text,
    finding_enc     text,                     -- the investigation, sealed: staff only
    answer_enc      text,                     -- told to the citizen, sealed
    filed_at        text        NOT NULL,
    due_day         text NOT NULL             -- the answer is due by the end of this day
);
CREATE INDEX complaints_hall_day ON complaints (hall_id, business_day);
-- The open ones (not yet answered): the supervisors' list stays flat as the archive grows.
CREATE INDEX complaints_open ON complaints (hall_id, due_day)
    WHERE state IN ('intake', 'assigned', 'investigated');
