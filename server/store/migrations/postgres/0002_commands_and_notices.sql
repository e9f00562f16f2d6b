-- Console commands already run, so a retried one is not run twice.
CREATE TABLE window_commands (
    window_id   text NOT NULL,
    command_id  text NOT NULL,
    ticket_id   text,
    at          timestamptz NOT NULL,
    PRIMARY KEY (window_id, command_id)
);
CREATE INDEX window_commands_at ON window_commands (at);

-- Information push: notices shown on idle hall screens.
CREATE TABLE notices (
    id          text PRIMARY KEY,
    hall_id     text NOT NULL REFERENCES halls (id),
    kind        text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    position    integer NOT NULL DEFAULT 0,
    active      integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX notices_by_hall ON notices (hall_id, position);
