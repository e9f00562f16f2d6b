-- Ratings (好差评): one per served ticket or collected case, on five levels (5 非常满意 ..
-- 1 非常不满意), from the window's rating pad or the phone; the follow-up each of the
-- bottom two opens (差评整改); and the pads paired with their windows.
-- The statistics read ratings by (hall_id, business_day): keep those columns.

CREATE TABLE ratings (
    id              text PRIMARY KEY,
    hall_id         text NOT NULL REFERENCES halls (id),
    ticket_id       text UNIQUE,              -- one rating per ticket ...
    case_id         text UNIQUE,              -- ... and per case
    service         text,
    window_id       text,
    clerk_id        text,
    channel         text NOT NULL CHECK (channel IN ('pad', 'phone')),
    level           integer NOT NULL CHECK (level BETWEEN 1 AND 5),
    reasons         text NOT NULL DEFAULT '[]',  -- JSON list of reason keys
    comment         text,                     -- sealed: the citizen's words may name people
    business_day    text NOT NULL,            -- the hall-local day of the service
    rated_at        text        NOT NULL,
    -- How it came: a pad rating after the finish's own prompt or after the clerk's
    -- 请评价 (NULL on the phone); and seconds from the end of service to the rating.
    prompted_by     text CHECK (prompted_by IN ('finish', 'reprompt')),
    delay_s         integer,
    malicious       integer NOT NULL DEFAULT 0,
    malicious_reason text,
    malicious_by    text,
    malicious_at    text       ,
    CHECK ((ticket_id IS NULL) <> (case_id IS NULL))
);
CREATE INDEX ratings_day ON ratings (hall_id, business_day);

CREATE TABLE rating_followups (
    id              text PRIMARY KEY,
    rating_id       text NOT NULL UNIQUE REFERENCES ratings (id),
    hall_id         text NOT NULL REFERENCES halls (id),
    state           text NOT NULL,            -- open | called_back | rectified | closed
    opened_at       text        NOT NULL,
    due_day         text NOT NULL,
    contact_enc     text,                     -- sealed phone to call back, if any:
                                              -- left with consent; cleared on close
    contact_masked  text,
    call_note       text,
    called_back_at  text       ,
    called_back_by  text,
    finding         text,
    rectification   text,
    rectified_at    text       ,
    rectified_by    text,
    response        text,                     -- what the citizen reads and is texted
    closed_at       text       ,
    closed_by       text
);
-- The supervisor's list: open ones by deadline, through an index of the open ones only.
CREATE INDEX rating_followups_open ON rating_followups (hall_id, due_day)
    WHERE state <> 'closed';
CREATE INDEX rating_followups_hall ON rating_followups (hall_id, opened_at);

-- A pad is trusted by a key issued once to an admin or supervisor and kept hashed here;
-- deleting the row revokes it. The last 请评价 of the window's clerk rides along.
CREATE TABLE rating_pads (
    window_id       text PRIMARY KEY REFERENCES windows (id) ON DELETE CASCADE,
    hall_id         text NOT NULL REFERENCES halls (id),
    key_hash        text NOT NULL,
    paired_by       text NOT NULL,
    paired_at       text        NOT NULL,
    prompt_ticket_id text,
    prompt_at       text       
);
