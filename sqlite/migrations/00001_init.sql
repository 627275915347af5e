-- +goose Up
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    max_users  INTEGER NOT NULL,
    spirit     TEXT NOT NULL,
    created_at INTEGER NOT NULL, -- unix microseconds, UTC
    ended_at   INTEGER,
    last_seq   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE participants (
    n          INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    joined_at  INTEGER NOT NULL,
    removed_at INTEGER
) STRICT;
CREATE INDEX participants_session ON participants(session_id, n);

CREATE TABLE messages (
    id             TEXT PRIMARY KEY,
    session_id     TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    user_id        TEXT NOT NULL,
    user_name      TEXT NOT NULL,
    message        TEXT NOT NULL,
    is_spirit      INTEGER NOT NULL DEFAULT 0,
    reply_to       TEXT,
    letter_timings TEXT, -- JSON array of milliseconds
    created_at     INTEGER NOT NULL,
    UNIQUE (session_id, seq)
) STRICT;

CREATE TABLE server_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE server_state;
DROP TABLE messages;
DROP TABLE participants;
DROP TABLE sessions;
