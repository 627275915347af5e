-- +goose Up
CREATE TABLE sessions (
    id         uuid        PRIMARY KEY,
    name       text        NOT NULL,
    max_users  int         NOT NULL,
    spirit     text        NOT NULL,
    created_at timestamptz NOT NULL,
    ended_at   timestamptz NULL,
    -- Bumped under the row lock by every append, so it is both the
    -- sequence generator of the séance and its LastSeq.
    last_seq   bigint      NOT NULL DEFAULT 0
);

CREATE TABLE participants (
    -- Identity column only to keep joining order: uuids do not sort by time
    -- and joined_at may tie.
    n          bigint      GENERATED ALWAYS AS IDENTITY,
    id         uuid        PRIMARY KEY,
    session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id    text        NOT NULL,
    name       text        NOT NULL,
    joined_at  timestamptz NOT NULL,
    removed_at timestamptz NULL
);

CREATE INDEX participants_session_n ON participants (session_id, n);

CREATE TABLE messages (
    id             uuid        PRIMARY KEY,
    session_id     uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq            bigint      NOT NULL,
    user_id        text        NOT NULL,
    user_name      text        NOT NULL,
    message        text        NOT NULL,
    is_spirit      boolean     NOT NULL DEFAULT false,
    reply_to       uuid        NULL,
    letter_timings jsonb       NULL,
    created_at     timestamptz NOT NULL,
    -- Also the index that serves history paging (session_id, seq > n).
    UNIQUE (session_id, seq)
);

CREATE TABLE server_state (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- +goose Down
DROP TABLE server_state;
DROP TABLE messages;
DROP TABLE participants;
DROP TABLE sessions;
