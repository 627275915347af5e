package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/seancehq/seance"
)

// canonicalID returns id when it is spelled canonically (seance.ValidID),
// or false: another spelling of the same UUID names nothing, or it would
// open a second room, rate limit and presence for the same séance.
func canonicalID(id string) (string, bool) {
	return id, seance.ValidID(id)
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func optMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromOptMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

type scanner interface{ Scan(dest ...any) error }

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// wrap adds context to infrastructure errors and lets domain errors through
// as they are, so their codes reach the client.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *seance.Error
	if errors.As(err, &e) || errors.Is(err, seance.ErrAnswered) {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
