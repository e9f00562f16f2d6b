-- Citizens' own channels: phone sign-in, the contact a ticket carries for
-- notifications, and the notification outbox.

-- Per hall: whether a ticket's issue is confirmed by SMS, how many people ahead
-- trigger the "come back to the hall" notice (0: never), and the hash of the PIN
-- a hall guide types at the kiosk to give the green channel to other groups.
ALTER TABLE halls ADD COLUMN notify_issued boolean NOT NULL DEFAULT false;
ALTER TABLE halls ADD COLUMN advance_notice integer NOT NULL DEFAULT 3;
ALTER TABLE halls ADD COLUMN green_pin_hash text;

-- A citizen is a phone number: kept encrypted (AES-GCM), found by a keyed fingerprint.
CREATE TABLE citizens (
    id              text PRIMARY KEY,
    phone_fp        text NOT NULL UNIQUE,
    phone_enc       text NOT NULL,
    created_at      timestamptz NOT NULL,
    signed_in_at    timestamptz,
    -- Signing out ends every token issued before this moment.
    signed_out_at   timestamptz
);

-- The one live sign-in code per phone; wrong tries count against it.
CREATE TABLE sign_in_codes (
    phone_fp        text PRIMARY KEY,
    code_hash       text NOT NULL,
    tries           integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);

-- The phone a ticket is followed on: encrypted, deleted at the end of its business day.
CREATE TABLE ticket_contacts (
    ticket_id       text PRIMARY KEY REFERENCES tickets (id),
    hall_id         text NOT NULL,
    business_day    date NOT NULL,
    phone_fp        text NOT NULL,
    phone_enc       text NOT NULL,
    lang            text NOT NULL DEFAULT 'zh',
    advance_sent    boolean NOT NULL DEFAULT false
);
CREATE INDEX ticket_contacts_phone ON ticket_contacts (phone_fp, business_day);
CREATE INDEX ticket_contacts_day ON ticket_contacts (hall_id, business_day);

-- The transactional outbox: written with the change that causes the message; a
-- worker in each process claims due rows (SKIP LOCKED), sends, and marks them.
CREATE TABLE outbox (
    id              text PRIMARY KEY,
    idem_key        text NOT NULL UNIQUE,
    hall_id         text,
    channel         text NOT NULL,            -- sms | email | log
    recipient_enc   text NOT NULL,            -- encrypted; blanked once sent or failed
    template        text NOT NULL,
    lang            text NOT NULL,
    params          text NOT NULL,            -- JSON, masked data only
    state           text NOT NULL,            -- pending | sent | failed
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    next_at         timestamptz NOT NULL,
    claimed_until_at timestamptz,
    sent_at         timestamptz,
    last_error      text
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE state = 'pending';
