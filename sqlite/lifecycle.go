package sqlite

import (
	"context"
	"fmt"
	"time"
)

// EndIdleSessions ends the active séances idle since before idleBefore. One
// statement, and SQLite has one writer: no activity can slip in between
// choosing a séance and ending it. A join counts through the participant's
// joined_at rather than by touching the séance: identify-frame joins are the
// hottest write of a busy node, and a second UPDATE there halved how many
// joins a second it could take (10,000 joins in 10 s timed out).
func (db *DB) EndIdleSessions(ctx context.Context, idleBefore, at time.Time, limit int) ([]string, error) {
	rows, err := db.write.QueryContext(ctx,
		`UPDATE sessions SET ended_at = ?
		 WHERE id IN (SELECT id FROM sessions
		              WHERE ended_at IS NULL AND last_active_at < ?
		                AND NOT EXISTS (SELECT 1 FROM participants p
		                                WHERE p.session_id = sessions.id AND p.joined_at >= ?)
		              ORDER BY last_active_at LIMIT ?)
		 RETURNING id`,
		micros(at), micros(idleBefore), micros(idleBefore), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: end idle sessions: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: end idle sessions: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: end idle sessions: %w", err)
	}
	return ids, nil
}

// DeleteEndedBefore deletes séances that ended before t; their participants
// and messages go with them (ON DELETE CASCADE).
func (db *DB) DeleteEndedBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	res, err := db.write.ExecContext(ctx,
		`DELETE FROM sessions
		 WHERE id IN (SELECT id FROM sessions
		              WHERE ended_at IS NOT NULL AND ended_at < ?
		              ORDER BY ended_at LIMIT ?)`,
		micros(t), limit)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete ended sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete ended sessions: %w", err)
	}
	return int(n), nil
}
