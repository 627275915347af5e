package sqlite

import (
	"context"
	"database/sql"
)

// EnsureState returns the value under key, storing value first if there is none.
func (db *DB) EnsureState(ctx context.Context, key, value string) (string, error) {
	var got string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO server_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM server_state WHERE key = ?`, key).Scan(&got)
	})
	if err != nil {
		return "", wrap("ensure state", err)
	}
	return got, nil
}
