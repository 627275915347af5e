package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/config"
	"github.com/seancehq/seance/httpapi"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/inmem"
	"github.com/seancehq/seance/lifecycle"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/netpoll"
	"github.com/seancehq/seance/postgres"
	"github.com/seancehq/seance/ratelimit"
	"github.com/seancehq/seance/redis"
	"github.com/seancehq/seance/safety"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/sqlite"
	"github.com/seancehq/seance/token"
	"github.com/seancehq/seance/web"
)

// Timeouts of the HTTP server and of shutting it down.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
	shutdownTimeout   = 20 * time.Second
	// A host token ends its séance, maybe days later; a participant's only
	// needs to outlast a sitting (the UI joins again when it is refused).
	hostTokenTTL        = 30 * 24 * time.Hour
	participantTokenTTL = 24 * time.Hour
)

// serve runs the server until ctx is cancelled (SIGTERM), then shuts down in
// the reverse order of start-up: stop accepting, finish in-flight requests,
// stop the lifecycle job, flush and close WebSockets, close the database.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr)
	log.Info("starting", "version", version(), "config", cfg)

	// The safety classifier takes longer to build than the rest of the
	// start together: it is built beside it, and the first question waits
	// for it if it must.
	classifier := safety.NewInBackground()

	// This server's own registry: nothing reaches the process-wide default
	// one, so several servers in one process (the tests) count apart.
	reg := prometheus.NewRegistry()
	meter := metrics.New(reg, version())

	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()

	secret, err := jwtSecret(ctx, cfg, store)
	if err != nil {
		return err
	}
	tokens, err := token.NewIssuer(secret, hostTokenTTL, time.Now, token.WithRoleTTL(token.RoleParticipant, participantTokenTTL))
	if err != nil {
		return fmt.Errorf("jwt secret: %w", err)
	}

	spirits, problems := newCatalog(cfg)
	for _, p := range problems {
		log.Warn("persona file skipped", "problem", p.Error())
	}
	answerer, err := newSpirit(cfg, spirits, classifier, log, meter)
	if err != nil {
		return fmt.Errorf("spirit: %w", err)
	}
	log.Info("spirit ready", "provider", cfg.SpiritProvider, "model", cfg.SpiritModel, "personas", len(spirits.Personas()))

	cl, err := openBroker(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer cl.close()
	rooms := hub.New(hub.Config{
		Store:           store,
		Broker:          cl.broker,
		Spirit:          answerer,
		Persona:         spirits.Persona,
		Logger:          log,
		Now:             time.Now,
		NewID:           uuid.NewString,
		Timings:         spirit.LetterTimings,
		Metrics:         meter,
		HeartbeatEvery:  cl.heartbeat,
		LeaseRenewEvery: cl.leaseRenew,
	})

	// Idle séances end and old ones are deleted, by one node at a time.
	stopLifecycle := lifecycle.New(lifecycle.Config{
		Store:     store,
		Rooms:     rooms,
		IdleTTL:   cfg.SessionIdleTTL,
		Retention: cfg.HistoryRetention,
		Now:       time.Now,
		Logger:    log,
		Metrics:   meter,
	}).Start(ctx)
	defer stopLifecycle()

	// Idle WebSockets wait in one epoll, not in a goroutine each.
	poller, err := netpoll.New()
	if errors.Is(err, netpoll.ErrUnsupported) {
		poller = nil
	} else if err != nil {
		return fmt.Errorf("netpoll: %w", err)
	}
	if poller != nil {
		defer poller.Close()
	}

	ui, err := web.New()
	if err != nil {
		return fmt.Errorf("web ui: %w", err)
	}

	api := httpapi.New(httpapi.Deps{
		UI:          ui,
		Poller:      poller,
		Store:       store,
		Rooms:       rooms,
		Tokens:      tokens,
		Spirits:     spirits,
		Logger:      log,
		CORSOrigins: cfg.CORSOrigins,
		Version:     version(),
		Now:         time.Now,
		NewID:       uuid.NewString,
		Metrics:     meter,

		CreateLimit:    cl.limit("create:", cfg.LimitCreate),
		JoinLimit:      cl.limit("join:", cfg.LimitJoin),
		ConnLimit:      ratelimit.NewConcurrency(cfg.LimitConns),
		Broker:         cl.health,
		TrustedProxies: cfg.TrustedProxies,
		BodyTimeout:    cfg.BodyTimeout,
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	ln = httpapi.LimitConns(ln, cfg.LimitHTTPConns, cfg.TrustedProxies, meter)
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "database", cfg.DatabaseKind(), "node", cl.node)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	// Before the hub: a pass ending a séance tells its room.
	stopLifecycle()
	// WebSockets are not the HTTP server's any more (hijacked): the hub
	// flushes what each client is owed and closes it with 1001.
	log.Info("shutting down: closing WebSocket connections")
	rooms.Shutdown(sctx)
	log.Info("stopped")
	return nil
}

// cluster is the broker this node shares séances through, and the timings
// that go with it.
type cluster struct {
	node       string
	broker     hub.Broker
	shared     ratelimit.Counter // nil: the limits are this node's
	health     httpapi.Pinger    // nil: nothing beside the database to check
	heartbeat  time.Duration
	leaseRenew time.Duration
	log        *slog.Logger
	close      func()
}

// openBroker connects to Redis when SEANCE_REDIS_URL names one: several
// nodes then serve the same séances. Otherwise the node is alone.
func openBroker(ctx context.Context, cfg config.Config, log *slog.Logger) (cluster, error) {
	if cfg.RedisURL == "" {
		return cluster{node: "single", broker: inmem.NewBroker(), close: func() {}}, nil
	}
	redis.RouteClientLogs(log)
	node := uuid.NewString()
	// The lease is a third of the presence expiry, and each is renewed
	// three times within its life: a dead node's questions move within
	// about NodeTTL/3 + NodeTTL/3, its members stop counting within NodeTTL.
	lease := cfg.NodeTTL / 3
	b, err := redis.New(ctx, cfg.RedisURL, redis.Options{
		NodeID: node, TTL: cfg.NodeTTL, LeaseTTL: lease, Now: time.Now, Logger: log,
	})
	if err != nil {
		return cluster{}, fmt.Errorf("redis: %w", err)
	}
	log.Info("cluster mode", "node", node, "node_ttl", cfg.NodeTTL.String())
	return cluster{
		node: node, broker: b, shared: b, health: b, log: log,
		heartbeat: cfg.NodeTTL / 3, leaseRenew: lease / 3,
		close: func() {
			if err := b.Close(); err != nil {
				log.Warn("close redis", "err", err)
			}
		},
	}, nil
}

// limit is a per-address budget: shared by the nodes in cluster mode.
func (c cluster) limit(prefix string, r config.Rate) httpapi.Limit {
	if c.shared == nil {
		return ratelimit.New(r.N, r.Per, time.Now)
	}
	return ratelimit.NewShared(c.shared, prefix, r.N, r.Per, c.log)
}

// openStore opens (and migrates) the database the configuration names.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (seance.Store, error) {
	switch cfg.DatabaseKind() {
	case "postgres":
		db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.WithLogger(log))
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		return db, nil
	default:
		db, err := sqlite.Open(ctx, cfg.SQLitePath())
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		return db, nil
	}
}

// jwtSecret is the configured secret, or else one generated on first start
// and kept in the database, so tokens survive restarts and every node that
// shares the database signs alike.
func jwtSecret(ctx context.Context, cfg config.Config, store seance.Store) ([]byte, error) {
	if cfg.JWTSecret != "" {
		return []byte(cfg.JWTSecret), nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("generate jwt secret: %w", err)
	}
	s, err := store.EnsureState(ctx, "jwt_secret", hex.EncodeToString(b[:]))
	if err != nil {
		return nil, fmt.Errorf("jwt secret: %w", err)
	}
	return []byte(s), nil
}

// migrate brings the schema up to date: opening a store migrates it.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, cfg.Logger(stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	_, err = fmt.Fprintf(stdout, "%s database is up to date\n", cfg.DatabaseKind())
	return err
}
