-- +goose Up
-- When a séance last saw activity (creation, a join, a message), so that
-- idle séances can be ended; the partial indexes serve the lifecycle job's
-- two questions (the longest idle active séances, the oldest ended ones)
-- without reading every séance.
ALTER TABLE sessions ADD COLUMN last_active_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_active_at = max(
    created_at,
    coalesce((SELECT max(m.created_at) FROM messages m WHERE m.session_id = sessions.id), 0),
    coalesce((SELECT max(p.joined_at) FROM participants p WHERE p.session_id = sessions.id), 0)
);
CREATE INDEX sessions_idle ON sessions(last_active_at) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended ON sessions(ended_at) WHERE ended_at IS NOT NULL;

-- +goose Down
DROP INDEX sessions_ended;
DROP INDEX sessions_idle;
ALTER TABLE sessions DROP COLUMN last_active_at;
