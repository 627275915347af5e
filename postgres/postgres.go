// Package postgres is the PostgreSQL implementation of seance.Store, for
// deployments where several server nodes share one database.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seancehq/seance"
)

const (
	// connectTimeout bounds the start-up ping so that a wrong host or a
	// firewall fails the start-up promptly instead of hanging it.
	connectTimeout = 5 * time.Second
	// pingTimeout keeps health checks cheap: a database that needs longer
	// than this to answer SELECT 1 is not healthy.
	pingTimeout = 2 * time.Second
)

// DB is a seance.Store backed by a PostgreSQL connection pool. It is safe for
// concurrent use.
type DB struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

var _ seance.Store = (*DB)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	logger *slog.Logger
}

// WithLogger makes Open and Migrate report what they did (migrations applied)
// to l. Without it nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// defaultMaxConns is the pool size unless the URL sets pool_max_conns.
const defaultMaxConns = 16

// Open connects to the database at connString (a postgres:// URL or a key=value
// connection string), checks that it answers and brings its schema up to date.
// Errors never contain the password.

func Open(ctx context.Context, connString string, opts ...Option) (*DB, error) {
	o := options{logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}

	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx redacts what it recognises as a password; malformed input is
		// exactly where that can miss, so scrub what we can find ourselves.
		return nil, scrub(fmt.Errorf("postgres: parse database URL: %w", err), urlSecrets(connString)...)
	}
	secret := cfg.ConnConfig.Password
	where := describe(cfg)
	// pgx's default (the number of CPUs, at least 4) suits CPU-bound work;
	// a node's writes wait on commits, for many séances at once, and a
	// question waiting for a free connection waits under its room's lock.
	// pool_max_conns in the URL still decides.
	if !strings.Contains(connString, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, scrub(fmt.Errorf("postgres: open %s: %w", where, err), secret)
	}
	pingCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("no answer within %v: %w", connectTimeout, err)
		}
		return nil, scrub(fmt.Errorf("postgres: connect to %s: %w", where, err), secret)
	}

	db := &DB{pool: pool, logger: o.logger}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, scrub(fmt.Errorf("postgres: migrate %s: %w", where, err), secret)
	}
	return db, nil
}

// Close closes the pool, waiting for connections in use to be released.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that a connection can be had and that the server runs queries,
// not merely that it accepts connections (it may be in recovery or out of
// connection slots for ordinary users).
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	var one int
	if err := db.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("postgres: ping query: %w", err)
	}
	return nil
}

// healthWriteKey is the server_state row PingWrite rewrites.
const healthWriteKey = "health.write"

// PingWrite rewrites a row of server_state: a server in recovery, a
// database set read-only or a full disk still answer SELECT 1, not this.
func (db *DB) PingWrite(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if _, err := db.pool.Exec(ctx,
		`INSERT INTO server_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
		healthWriteKey, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("postgres: write check: %w", err)
	}
	return nil
}

// describe names the database for error messages from the parsed config
// rather than from the URL, which may carry the password in its user info or
// in a password= parameter.
func describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// urlSecrets returns the passwords a connection URL spells out, for scrubbing
// errors about a URL that pgx could not parse.
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var secrets []string
	if pw, ok := u.User.Password(); ok {
		secrets = append(secrets, pw)
	}
	if q, err := url.ParseQuery(u.RawQuery); err == nil {
		secrets = append(secrets, q["password"]...)
	}
	return secrets
}

// scrubbedError hides secrets from the message of err while keeping err in the
// chain, so that errors.Is and errors.As still see through it.
type scrubbedError struct {
	err     error
	secrets []string
}

func (e *scrubbedError) Error() string {
	msg := e.err.Error()
	for _, s := range e.secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
		// The URL form of a password may be what got echoed.
		if esc := url.QueryEscape(s); esc != s {
			msg = strings.ReplaceAll(msg, esc, "xxxxx")
		}
		if esc := url.PathEscape(s); esc != s {
			msg = strings.ReplaceAll(msg, esc, "xxxxx")
		}
	}
	return msg
}

func (e *scrubbedError) Unwrap() error { return e.err }

func scrub(err error, secrets ...string) error {
	var keep []string
	for _, s := range secrets {
		if s != "" {
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return err
	}
	return &scrubbedError{err: err, secrets: keep}
}
