-- +goose Up
-- When a séance last saw activity (creation, a join, a message), so that
-- idle séances can be ended; the partial indexes serve the lifecycle job's
-- two questions (the longest idle active séances, the oldest ended ones)
-- without reading every séance. The default covers nodes of the previous
-- version inserting séances during a rolling upgrade.
ALTER TABLE sessions ADD COLUMN last_active_at timestamptz NOT NULL DEFAULT now();
UPDATE sessions s SET last_active_at = GREATEST(
    s.created_at,
    (SELECT max(m.created_at) FROM messages m WHERE m.session_id = s.id),
    (SELECT max(p.joined_at) FROM participants p WHERE p.session_id = s.id)
);
CREATE INDEX sessions_idle ON sessions (last_active_at) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended ON sessions (ended_at) WHERE ended_at IS NOT NULL;

-- +goose Down
DROP INDEX sessions_ended;
DROP INDEX sessions_idle;
ALTER TABLE sessions DROP COLUMN last_active_at;
