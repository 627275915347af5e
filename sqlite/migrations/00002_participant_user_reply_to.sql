-- +goose Up
-- A reconnecting client joins again under the same user_id; the unique index
-- is what lets EnsureParticipant upsert instead of adding a second seat.
CREATE UNIQUE INDEX participants_session_user ON participants(session_id, user_id);

-- PendingQuestions looks up, for each question, a spirit message replying to it.
CREATE INDEX messages_session_reply_to ON messages(session_id, reply_to);

-- +goose Down
DROP INDEX messages_session_reply_to;
DROP INDEX participants_session_user;
