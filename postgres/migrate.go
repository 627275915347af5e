package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies the migrations the database has not seen yet. It is safe to
// call again (nothing is left to do) and from several nodes at once: a
// PostgreSQL advisory lock lets one node migrate while the others wait, and
// they find nothing left to do when they get the lock.
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.migrate(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

func (db *DB) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("migration files: %w", err)
	}
	// goose polls the advisory lock; the default 5 s period would make every
	// node but the first wait at least that long at a fleet-wide start.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	// Closing sqlDB does not close the pool; it only lets go of the
	// connections goose borrowed from it.
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	defer sqlDB.Close()

	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(db.logger),
	)
	if err != nil {
		return fmt.Errorf("goose: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("up: %w", err)
	}
	for _, r := range results {
		db.logger.InfoContext(ctx, "postgres: applied migration",
			"version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}
