// Package redis is the hub.Broker of many server nodes sharing one Redis:
// events go through pub/sub, and presence, the spirit's lease and rate
// limits are kept in Redis keys changed by Lua scripts, so that each change
// is atomic and costs one round trip.
//
// Every key of a séance carries the séance id as a Redis Cluster hash tag,
// so that one séance's keys, and the scripts touching several of them, stay
// in one slot. Every key written has an expiry: a séance whose nodes are
// all gone leaves nothing behind.
package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/seancehq/seance/hub"
)

const (
	// connectTimeout bounds the start-up ping so that a wrong host fails
	// the start-up promptly instead of hanging it.
	connectTimeout = 5 * time.Second
	// pingTimeout keeps health checks cheap.
	pingTimeout = 2 * time.Second
)

// Options configures a Broker.
type Options struct {
	// NodeID names this process among the nodes; it must be unique per
	// process (two processes with one id would take each other's presence
	// records and leases for their own). It may not contain '|' or a
	// newline, which separate it from what follows in records and payloads.
	NodeID string
	// Prefix starts every key and channel name; default "seance:".
	Prefix string
	// TTL is how long a node's presence records outlive its last Enter or
	// Refresh; default 30s. Nodes must refresh more often than that.
	TTL time.Duration
	// LeaseTTL is how long the spirit's lease outlives its last renewal;
	// default 10s.
	LeaseTTL time.Duration
	// Now is the clock of presence expiry and rate limits; default
	// time.Now. The nodes' clocks are compared with each other, so they
	// must be kept in step (NTP) far closer than TTL.
	Now func() time.Time
	// Logger receives what the broker drops (malformed payloads) and the
	// pub/sub connection's troubles; nil logs nothing.
	Logger *slog.Logger
}

// Broker is a hub.Broker shared through Redis. It is safe for concurrent
// use; Close releases it.
type Broker struct {
	rdb      *goredis.Client
	ps       *goredis.PubSub
	node     string
	prefix   string
	ttl      time.Duration
	leaseTTL time.Duration
	now      func() time.Time
	log      *slog.Logger
	scripts  scripts
	secrets  []string
	seq      atomic.Uint64 // makes rate-limit entries of one millisecond distinct

	mu   sync.RWMutex
	subs map[string]map[*subscription]struct{} // channel → local subscribers
	wake chan struct{}                         // the local channel set changed

	outbox   chan outgoing
	stopping chan struct{}         // closed by Close: send what is queued, then stop
	sent     chan struct{}         // closed when the outbox is sent
	sendErr  atomic.Pointer[error] // the last batch's failure, nil once one succeeds
	missed   map[string]bool       // channels of failed batches; the send goroutine's own

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

var _ hub.Broker = (*Broker)(nil)

// New connects to the Redis at rawURL (redis:// or rediss://) and checks
// that it answers. Errors never contain the URL's password.
func New(ctx context.Context, rawURL string, opts Options) (*Broker, error) {
	if opts.NodeID == "" {
		return nil, errors.New("redis: a node id is required")
	}
	if strings.ContainsAny(opts.NodeID, "|\n") {
		return nil, fmt.Errorf("redis: node id %q contains '|' or a newline", opts.NodeID)
	}
	if opts.Prefix == "" {
		opts.Prefix = "seance:"
	}
	if opts.TTL <= 0 {
		opts.TTL = 30 * time.Second
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}

	secrets := urlSecrets(rawURL)
	ro, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, parseError(err, secrets)
	}
	secrets = append(secrets, ro.Password)
	// A command is already tried again (MaxRetries), each try dialing
	// anew; go-redis's own retries of each dial multiply the wait of every
	// operation while Redis is away, a wait the hub spends holding a
	// room's events.
	ro.DialerRetries = 1
	where := describe(ro)

	rdb := goredis.NewClient(ro)
	pingCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		_ = rdb.Close()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("no answer within %v: %w", connectTimeout, err)
		}
		return nil, scrub(fmt.Errorf("redis: connect to %s: %w", where, err), secrets...)
	}

	runCtx, stop := context.WithCancel(context.Background())
	b := &Broker{
		rdb:      rdb,
		node:     opts.NodeID,
		prefix:   opts.Prefix,
		ttl:      opts.TTL,
		leaseTTL: opts.LeaseTTL,
		now:      opts.Now,
		log:      opts.Logger.With("broker", "redis", "node", opts.NodeID),
		scripts:  newScripts(),
		secrets:  secrets,
		subs:     map[string]map[*subscription]struct{}{},
		wake:     make(chan struct{}, 1),
		outbox:   make(chan outgoing, outboxLen),
		missed:   map[string]bool{},
		stopping: make(chan struct{}),
		sent:     make(chan struct{}),
		cancel:   stop,
	}
	go func() {
		defer close(b.sent)
		b.send()
	}()
	// One PubSub connection carries every séance this node subscribes to;
	// go-redis redials it and resubscribes by itself, and the subscription
	// confirmations it passes on are what tells the rooms to resync.
	b.ps = rdb.Subscribe(runCtx)
	msgs := b.ps.ChannelWithSubscriptions()
	b.wg.Add(2)
	go func() {
		defer b.wg.Done()
		b.receive(msgs)
	}()
	go func() {
		defer b.wg.Done()
		b.syncSubscriptions(runCtx)
	}()
	return b, nil
}

// Close stops receiving events and closes the connections. This node's
// presence records and lease are left to expire: a node closing on its way
// down has already left its séances, or is taken for dead like any other.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		// What the node said last (a séance ended, members left) still
		// reaches the others.
		close(b.stopping)
		<-b.sent
		b.cancel()
		psErr := b.ps.Close()
		b.wg.Wait()
		b.closeErr = errors.Join(psErr, b.rdb.Close())
		if b.closeErr != nil {
			b.closeErr = b.wrap("close", b.closeErr)
		}
	})
	return b.closeErr
}

// Ping checks that Redis answers, for health checks.
func (b *Broker) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := b.rdb.Ping(ctx).Err(); err != nil {
		return b.wrap("ping", err)
	}
	return nil
}

// key names one of a séance's keys; the braces are the hash tag.
func (b *Broker) key(sessionID, what string) string {
	return b.prefix + "{" + sessionID + "}:" + what
}

// channel is the séance's pub/sub channel.
func (b *Broker) channel(sessionID string) string { return b.key(sessionID, "events") }

// wrap says which operation failed, keeping err in the chain.
func (b *Broker) wrap(op string, err error) error {
	return scrub(fmt.Errorf("redis: %s: %w", op, err), b.secrets...)
}

// describe names the server for error messages from the parsed options
// rather than from the URL, which may carry the password.
func describe(o *goredis.Options) string {
	scheme := "redis"
	if o.TLSConfig != nil {
		scheme = "rediss"
	}
	return fmt.Sprintf("%s://%s/%d", scheme, o.Addr, o.DB)
}

// urlSecrets returns what in raw may be a password, found without a full
// parse because the URLs that fail to parse are those whose errors quote
// them.
func urlSecrets(raw string) []string {
	var secrets []string
	if u, err := url.Parse(raw); err == nil {
		if pw, ok := u.User.Password(); ok {
			secrets = append(secrets, pw)
		}
		if q, err := url.ParseQuery(u.RawQuery); err == nil {
			secrets = append(secrets, q["password"]...)
		}
	}
	rest := raw
	if _, after, ok := strings.Cut(rest, "://"); ok {
		rest = after
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		userinfo := rest[:at]
		if _, pw, ok := strings.Cut(userinfo, ":"); ok {
			secrets = append(secrets, pw)
			if dec, err := url.PathUnescape(pw); err == nil {
				secrets = append(secrets, dec)
			}
		} else {
			// redis://password@host is how some clients spell it.
			secrets = append(secrets, userinfo)
		}
	}
	return secrets
}

// parseError reports a URL that does not parse. net/url quotes the whole
// URL in its errors, so only the reason is kept; an escape error quotes a
// piece of the URL that may be a piece of the password, so it is not kept
// either.
func parseError(err error, secrets []string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		var ee url.EscapeError
		if errors.As(ue.Err, &ee) {
			return errors.New("redis: parse URL: invalid percent-escape")
		}
		err = ue.Err
	}
	return errors.New(scrubString("redis: parse URL: "+strings.TrimPrefix(err.Error(), "redis: "), secrets))
}

// scrubbedError hides secrets from the message of err while keeping err in
// the chain, so that errors.Is and errors.As still see through it.
type scrubbedError struct {
	err     error
	secrets []string
}

func (e *scrubbedError) Error() string { return scrubString(e.err.Error(), e.secrets) }
func (e *scrubbedError) Unwrap() error { return e.err }

func scrubString(msg string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return msg
}

// scrub returns err, its message scrubbed of secrets when there are any.
func scrub(err error, secrets ...string) error {
	for _, s := range secrets {
		if s != "" {
			return &scrubbedError{err: err, secrets: secrets}
		}
	}
	return err
}

// clientLog passes go-redis's own messages (failed dials, pool troubles) to
// a slog.Logger, so that they reach the node's structured log.
type clientLog struct{ log *slog.Logger }

func (l clientLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}

// RouteClientLogs sends go-redis's messages to log. go-redis has one logger
// per process, so only the program's composition root should call this.
func RouteClientLogs(log *slog.Logger) { goredis.SetLogger(clientLog{log: log}) }
