-- +goose Up
-- A question has at most one answer, even when two nodes answer it (one of
-- them lost the spirit's lease mid-answer). The store turns a second answer
-- into a clear refusal (seance.ErrAnswered), which the node takes as "already
-- answered".
CREATE UNIQUE INDEX messages_one_answer ON messages(session_id, reply_to) WHERE is_spirit AND reply_to IS NOT NULL;

-- +goose Down
DROP INDEX messages_one_answer;
