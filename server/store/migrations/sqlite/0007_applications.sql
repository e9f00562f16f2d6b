-- Online application (网上申报): a signed-in citizen's application with its uploaded
-- materials, pre-reviewed (预审) by an intake clerk into a case or returned with the
-- one-time list of what is missing. Files are kept under their SHA-256.

CREATE TABLE applications (
    id              text PRIMARY KEY,
    hall_id         text NOT NULL,
    matter          text NOT NULL,
    reference       text NOT NULL UNIQUE,     -- 预审编号, shown to the citizen
    state           text NOT NULL,            -- draft | submitted | returned | accepted | withdrawn
    owner_fp        text NOT NULL,            -- the citizen's phone fingerprint
    id_fingerprint  text NOT NULL,
    id_masked       text NOT NULL,
    name_masked     text NOT NULL,
    phone_masked    text,
    personal_enc    text NOT NULL,            -- sealed JSON: name, ID number, phone, address
    created_at      text NOT NULL,
    submitted_at    text,
    reviewed_at     text,
    reviewer_id     text,
    case_id         text,
    missing         text NOT NULL DEFAULT '[]',
    note            text,
    FOREIGN KEY (hall_id, matter) REFERENCES matters (hall_id, code)
);
CREATE INDEX applications_owner ON applications (owner_fp, created_at);
-- The pre-review queue only: flat however many applications are done.
CREATE INDEX applications_waiting ON applications (hall_id, submitted_at) WHERE state = 'submitted';

CREATE TABLE application_files (
    application_id  text NOT NULL REFERENCES applications (id),
    material        text NOT NULL,
    digest          text NOT NULL,
    name            text NOT NULL,
    size            integer NOT NULL,
    content_type    text NOT NULL,
    uploaded_at     text NOT NULL,
    PRIMARY KEY (application_id, material, digest)
);

ALTER TABLE cases ADD COLUMN application_id text;

-- The bytes themselves live in a directory beside the database (server/files/store.py).
