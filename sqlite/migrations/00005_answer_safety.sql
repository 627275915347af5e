-- +goose Up
-- What the spirit's guard found in the question an answer replies to: its
-- category, and for a crisis the help shown beside the board, as it was
-- shown then (an operator may change the help file later).
ALTER TABLE messages ADD COLUMN safety_category TEXT NULL;
ALTER TABLE messages ADD COLUMN safety_help_text TEXT NULL;
ALTER TABLE messages ADD COLUMN safety_help_url TEXT NULL;

-- +goose Down
ALTER TABLE messages DROP COLUMN safety_help_url;
ALTER TABLE messages DROP COLUMN safety_help_text;
ALTER TABLE messages DROP COLUMN safety_category;
