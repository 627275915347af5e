-- +goose Up
-- A question has at most one answer, even when two nodes answer it (one of
-- them lost the spirit's lease mid-answer). The store checks first and
-- returns a clear refusal; the index is the guarantee behind the check.
CREATE UNIQUE INDEX messages_one_answer ON messages (session_id, reply_to) WHERE is_spirit AND reply_to IS NOT NULL;

-- +goose Down
DROP INDEX messages_one_answer;
