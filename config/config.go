// Package config reads Séance's start-up configuration from the environment and
// from command-line flags, validating every value so that a bad setting stops the
// server with one line naming the variable instead of failing later, far from its
// cause.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seancehq/seance/safety"
)

// Rate is a budget of N events per Per. N == 0 means no limit.
type Rate struct {
	N   int
	Per time.Duration
}

// String renders r in the form the variables accept, so a logged rate can be
// pasted back into the environment.
func (r Rate) String() string {
	if r.N == 0 {
		return "0"
	}
	switch r.Per {
	case time.Second:
		return strconv.Itoa(r.N) + "/s"
	case time.Minute:
		return strconv.Itoa(r.N) + "/m"
	case time.Hour:
		return strconv.Itoa(r.N) + "/h"
	}
	return strconv.Itoa(r.N) + "/" + r.Per.String()
}

// Config is the validated configuration of one server process. Build it with
// Parse; a Config written by hand skips the validation.
type Config struct {
	Addr        string
	DatabaseURL string
	RedisURL    string
	JWTSecret   string
	CORSOrigins []string
	LogLevel    slog.Level
	LogFormat   string // "json" or "text"

	SpiritProvider string // "oracle", "openai", "anthropic" or "gemini"
	SpiritModel    string
	SpiritBaseURL  string
	SpiritAPIKey   string
	SpiritTimeout  time.Duration
	SpiritsDir     string

	// HelpFile is the operator's help text for a person in crisis
	// (SEANCE_HELP_FILE), read and checked into Help at start; empty
	// keeps the built-in help.
	HelpFile string
	Help     safety.HelpSet

	LimitCreate Rate
	LimitJoin   Rate
	LimitConns  int // 0 means no limit

	// LimitHTTPConns caps the open HTTP connections (WebSockets included)
	// of one client address; 0 means no limit.
	LimitHTTPConns int
	// BodyTimeout is how long a request body may take to arrive, from
	// when its handler starts.
	BodyTimeout time.Duration

	TrustedProxies []netip.Prefix

	SessionIdleTTL   time.Duration
	HistoryRetention time.Duration

	// NodeTTL is how long a node's presence records outlive its last
	// refresh in cluster mode; the spirit's lease lasts a third of it.
	NodeTTL time.Duration
}

// minJWTSecretLen is the shortest JWTSecret accepted: HS256 keys shorter than
// the hash output weaken the signature (RFC 7518, section 3.2).
const minJWTSecretLen = 32

// redactedMark stands in for a secret in logs and in printed configs.
const redactedMark = "[redacted]"

// urlPasswordMark matches what url.URL.Redacted writes, so every masked URL
// looks the same whichever part held the password.
const urlPasswordMark = "xxxxx"

// setting is one row of the contract's configuration table.
type setting struct {
	env   string // SEANCE_ADDR
	flag  string // addr
	def   string // the value used when neither the flag nor the variable says one
	help  string
	parse func(c *Config, v string) error
}

// settings is the contract's table, in its order: Parse reports the first bad
// value in this order, and later rows may read fields set by earlier ones (the
// model and API key depend on the provider). getenv is needed for the provider
// API-key fallbacks.
func settings(getenv func(string) string) []setting {
	return []setting{
		{"SEANCE_ADDR", "addr", ":8000", "listen address, host:port",
			func(c *Config, v string) (err error) { c.Addr, err = parseAddr(v); return }},
		{"SEANCE_DATABASE_URL", "database-url", "sqlite:seance.db", "sqlite:PATH, sqlite::memory: or postgres://user:pass@host/db",
			func(c *Config, v string) (err error) { c.DatabaseURL, err = parseDatabaseURL(v); return }},
		{"SEANCE_REDIS_URL", "redis-url", "", "redis:// or rediss:// URL; empty runs a single node",
			func(c *Config, v string) (err error) { c.RedisURL, err = parseRedisURL(v); return }},
		{"SEANCE_JWT_SECRET", "jwt-secret", "", fmt.Sprintf("token signing secret, at least %d bytes; empty keeps a generated one in the database (prefer the variable: flags show in ps)", minJWTSecretLen),
			func(c *Config, v string) (err error) { c.JWTSecret, err = parseJWTSecret(v); return }},
		{"SEANCE_CORS_ORIGINS", "cors-origins", "http://localhost:3000", "comma list of allowed origins (scheme://host[:port]) or *",
			func(c *Config, v string) (err error) { c.CORSOrigins, err = parseOrigins(v); return }},
		{"SEANCE_LOG_LEVEL", "log-level", "info", "debug, info, warn or error",
			func(c *Config, v string) (err error) { c.LogLevel, err = parseLogLevel(v); return }},
		{"SEANCE_LOG_FORMAT", "log-format", "json", "json or text",
			func(c *Config, v string) (err error) { c.LogFormat, err = parseLogFormat(v); return }},
		{"SEANCE_SPIRIT_PROVIDER", "spirit-provider", "oracle", "oracle (built-in, offline), openai, anthropic or gemini",
			func(c *Config, v string) (err error) { c.SpiritProvider, err = parseProvider(v); return }},
		{"SEANCE_SPIRIT_MODEL", "spirit-model", "", "model name; empty picks the provider's default",
			func(c *Config, v string) error {
				if v == "" {
					v = defaultModel(c.SpiritProvider)
				}
				c.SpiritModel = v
				return nil
			}},
		{"SEANCE_SPIRIT_BASE_URL", "spirit-base-url", "", "http(s) URL of the provider's API; empty uses the provider's own",
			func(c *Config, v string) (err error) { c.SpiritBaseURL, err = parseBaseURL(v); return }},
		{"SEANCE_SPIRIT_API_KEY", "spirit-api-key", "", "provider API key; empty falls back to OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY (prefer the variable: flags show in ps)",
			func(c *Config, v string) error {
				if v == "" {
					if name := apiKeyFallback(c.SpiritProvider); name != "" {
						v = getenv(name)
					}
				}
				c.SpiritAPIKey = v
				return nil
			}},
		{"SEANCE_SPIRIT_TIMEOUT", "spirit-timeout", "15s", "after it, the built-in spirit answers instead",
			func(c *Config, v string) (err error) { c.SpiritTimeout, err = parsePositiveDuration(v); return }},
		{"SEANCE_SPIRITS_DIR", "spirits-dir", "", "folder of custom persona files (SPIRIT.md)",
			func(c *Config, v string) error { c.SpiritsDir = v; return nil }},
		{"SEANCE_HELP_FILE", "help-file", "", "Markdown or JSON file: the help text and link shown to someone in crisis, for your region; empty is the built-in international help",
			func(c *Config, v string) (err error) {
				c.HelpFile, c.Help = v, safety.DefaultHelp()
				if v != "" {
					c.Help, err = safety.LoadHelp(v)
				}
				return err
			}},
		{"SEANCE_LIMIT_CREATE", "limit-create", "30/m", "séance creations per client address: N/s, N/m, N/h, or 0 for no limit",
			func(c *Config, v string) (err error) { c.LimitCreate, err = parseRate(v); return }},
		{"SEANCE_LIMIT_JOIN", "limit-join", "120/m", "joins per client address: N/s, N/m, N/h, or 0 for no limit",
			func(c *Config, v string) (err error) { c.LimitJoin, err = parseRate(v); return }},
		{"SEANCE_LIMIT_CONNS", "limit-conns", "64", "open WebSocket connections per client address, 0 for no limit",
			func(c *Config, v string) (err error) { c.LimitConns, err = parseConns(v); return }},
		{"SEANCE_LIMIT_HTTP_CONNS", "limit-http-conns", "256", "open HTTP connections (WebSockets included) per client address, 0 for no limit; connections from trusted proxies are not counted",
			func(c *Config, v string) (err error) { c.LimitHTTPConns, err = parseConns(v); return }},
		{"SEANCE_BODY_TIMEOUT", "body-timeout", "10s", "a request body must arrive within this (1s to 10m), or the request gets 408 and its connection closes",
			func(c *Config, v string) (err error) { c.BodyTimeout, err = parseBodyTimeout(v); return }},
		{"SEANCE_TRUSTED_PROXIES", "trusted-proxies", "", "comma list of CIDRs (a bare IP is one address) whose X-Forwarded-For gives the client address",
			func(c *Config, v string) (err error) { c.TrustedProxies, err = parseProxies(v); return }},
		{"SEANCE_SESSION_IDLE_TTL", "session-idle-ttl", "24h", "an idle séance ends after this",
			func(c *Config, v string) (err error) { c.SessionIdleTTL, err = parsePositiveDuration(v); return }},
		{"SEANCE_HISTORY_RETENTION", "history-retention", "720h", "ended séances and their messages are deleted after this",
			func(c *Config, v string) (err error) { c.HistoryRetention, err = parsePositiveDuration(v); return }},
		{"SEANCE_NODE_TTL", "node-ttl", "30s", "cluster mode: a node that stops (crash, network) stops counting after this; its séances' questions move to another node after a third of it",
			func(c *Config, v string) (err error) { c.NodeTTL, err = parseNodeTTL(v); return }},
	}
}

// Parse reads the configuration from the environment, through getenv, and from
// the flags in args (the arguments after the program or subcommand name); a
// flag given, even empty, overrides its variable, and an empty value means the
// default. Help and flag-syntax complaints go to usage; -h and --help return
// flag.ErrHelp. Every other error is one line naming the variable (and the
// flag, when the value came from one).
func Parse(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	table := settings(getenv)
	if usage == nil {
		usage = io.Discard
	}

	fs := flag.NewFlagSet("seance", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.Usage = func() { printUsage(usage, table) }
	// Flags only collect raw strings; validation waits until after fs.Parse so
	// that flag and environment share one parser per variable and the first bad
	// value is reported in the table's order, not the command line's.
	given := make(map[string]string, len(table))
	for _, s := range table {
		fs.Func(s.flag, s.help, func(v string) error {
			given[s.flag] = v
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q (every setting is a --flag or an environment variable)", fs.Arg(0))
	}

	var c Config
	for _, s := range table {
		v, source := getenv(s.env), s.env
		if fv, ok := given[s.flag]; ok {
			v, source = fv, "--"+s.flag+" ("+s.env+")"
		}
		if v == "" {
			v = s.def
		}
		if err := s.parse(&c, v); err != nil {
			return Config{}, fmt.Errorf("%s: %w", source, err)
		}
	}
	return c, nil
}

func printUsage(w io.Writer, table []setting) {
	fmt.Fprintf(w, "Usage: seance [flags]\n\n")
	fmt.Fprintf(w, "Every setting is an environment variable; the flag beside it overrides it.\n\n")
	for _, s := range table {
		def := ""
		if s.def != "" {
			def = fmt.Sprintf(" (default %q)", s.def)
		}
		fmt.Fprintf(w, "  --%s, %s%s\n    \t%s\n", s.flag, s.env, def, s.help)
	}
}

// DatabaseKind returns "sqlite" or "postgres", the store the URL selects.
func (c Config) DatabaseKind() string {
	if isSQLite(c.DatabaseURL) {
		return "sqlite"
	}
	return "postgres"
}

// SQLitePath returns the path after "sqlite:" (":memory:" for an in-memory
// database), or "" when the database is not SQLite.
func (c Config) SQLitePath() string {
	if !isSQLite(c.DatabaseURL) {
		return ""
	}
	return c.DatabaseURL[len("sqlite:"):]
}

// LogValue lists every field for the start-up log line. Secrets are replaced
// and URL passwords masked here, in one place, so no caller can leak them by
// logging the whole config.
func (c Config) LogValue() slog.Value {
	proxies := make([]string, len(c.TrustedProxies))
	for i, p := range c.TrustedProxies {
		proxies[i] = p.String()
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.String("redis_url", redactURL(c.RedisURL)),
		slog.String("jwt_secret", redactSecret(c.JWTSecret)),
		slog.Any("cors_origins", append([]string(nil), c.CORSOrigins...)),
		slog.String("log_level", strings.ToLower(c.LogLevel.String())),
		slog.String("log_format", c.LogFormat),
		slog.String("spirit_provider", c.SpiritProvider),
		slog.String("spirit_model", c.SpiritModel),
		slog.String("spirit_base_url", redactURL(c.SpiritBaseURL)),
		slog.String("spirit_api_key", redactSecret(c.SpiritAPIKey)),
		// Durations as strings: the JSON handler would write nanoseconds.
		slog.String("spirit_timeout", c.SpiritTimeout.String()),
		slog.String("spirits_dir", c.SpiritsDir),
		slog.String("help_file", c.HelpFile),
		// The links say which help is in use; the texts are long.
		slog.Any("help", map[string]string{"self_harm": c.Help.SelfHarm.URL, "emergency": c.Help.Emergency.URL}),
		slog.String("limit_create", c.LimitCreate.String()),
		slog.String("limit_join", c.LimitJoin.String()),
		slog.Int("limit_conns", c.LimitConns),
		slog.Int("limit_http_conns", c.LimitHTTPConns),
		slog.String("body_timeout", c.BodyTimeout.String()),
		slog.Any("trusted_proxies", proxies),
		slog.String("session_idle_ttl", c.SessionIdleTTL.String()),
		slog.String("history_retention", c.HistoryRetention.String()),
		slog.String("node_ttl", c.NodeTTL.String()),
	)
}

// String renders the redacted form, so that printing a Config with fmt or the
// log package cannot leak the secrets LogValue hides.
func (c Config) String() string { return c.LogValue().String() }

// GoString covers %#v, which would otherwise print the fields verbatim.
func (c Config) GoString() string { return "config.Config" + c.String() }

// Logger builds the logger the configuration asks for, writing to w.
func (c Config) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func redactSecret(s string) string {
	if s == "" {
		return ""
	}
	return redactedMark
}

// redactURL masks the password of a URL, both in its user info and in query
// parameters (pgx reads password= and sslpassword= from the query).
func redactURL(raw string) string {
	if raw == "" || isSQLite(raw) {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Without a parse we cannot tell where a password would be.
		return redactedMark
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, _, hasValue := strings.Cut(p, "=")
			if key, err := url.QueryUnescape(k); err == nil {
				k = key
			}
			if hasValue && sensitiveParam(k) {
				parts[i] = url.QueryEscape(k) + "=" + urlPasswordMark
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.Redacted()
}

func sensitiveParam(key string) bool {
	key = strings.ToLower(key)
	for _, s := range []string{"pass", "secret", "token", "key"} {
		if strings.Contains(key, s) {
			return true
		}
	}
	return false
}

func isSQLite(s string) bool {
	return len(s) >= len("sqlite:") && strings.EqualFold(s[:len("sqlite:")], "sqlite:")
}

func parseAddr(v string) (string, error) {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", fmt.Errorf("invalid address %q (want host:port, e.g. :8000)", v)
	}
	if _, err := parsePort(port); err != nil {
		return "", fmt.Errorf("invalid port in %q (want a number 0-65535)", v)
	}
	return v, nil
}

func parsePort(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("not a number")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > 65535 {
		return 0, errors.New("out of range")
	}
	return n, nil
}

func parseDatabaseURL(v string) (string, error) {
	const want = "(want sqlite:PATH or postgres://user:pass@host/db)"
	if isSQLite(v) {
		if len(v) == len("sqlite:") {
			return "", fmt.Errorf("empty SQLite path %s", want)
		}
		return v, nil
	}
	u, err := url.Parse(v)
	if err != nil {
		// The parse error quotes the URL, password included.
		return "", fmt.Errorf("not a valid URL %s", want)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", fmt.Errorf("unsupported database %q %s", redactURL(v), want)
	}
	if u.Host == "" {
		return "", fmt.Errorf("no host in %q %s", redactURL(v), want)
	}
	return v, nil
}

// parseNodeTTL accepts 3 s to 10 min: below, a busy node's refresh could
// come late and its members blink out; above, a dead node's members haunt
// the séance for longer than anyone would wait.
func parseNodeTTL(v string) (time.Duration, error) {
	d, err := parsePositiveDuration(v)
	if err != nil {
		return 0, err
	}
	if d < 3*time.Second || d > 10*time.Minute {
		return 0, fmt.Errorf("%s is out of range (want 3s to 10m)", d)
	}
	return d, nil
}

// parseBodyTimeout accepts 1 s to 10 min: below, a slow mobile link could
// not send a séance's name; above, a client trickling its body holds a
// connection for as long as it likes.
func parseBodyTimeout(v string) (time.Duration, error) {
	d, err := parsePositiveDuration(v)
	if err != nil {
		return 0, err
	}
	if d < time.Second || d > 10*time.Minute {
		return 0, fmt.Errorf("%s is out of range (want 1s to 10m)", d)
	}
	return d, nil
}

func parseRedisURL(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	const want = "(want redis://[:password@]host:port[/db] or rediss://…)"
	u, err := url.Parse(v)
	if err != nil {
		return "", fmt.Errorf("not a valid URL %s", want)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return "", fmt.Errorf("unsupported scheme in %q %s", redactURL(v), want)
	}
	if u.Host == "" {
		return "", fmt.Errorf("no host in %q %s", redactURL(v), want)
	}
	return v, nil
}

func parseJWTSecret(v string) (string, error) {
	if v != "" && len(v) < minJWTSecretLen {
		// The value itself is never echoed: it is a secret, even a short one.
		return "", fmt.Errorf("secret is %d bytes, must be at least %d bytes (or empty to generate one)", len(v), minJWTSecretLen)
	}
	return v, nil
}

func parseOrigins(v string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(v, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		origin, err := parseOrigin(o)
		if err != nil {
			return nil, err
		}
		out = append(out, origin)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no origins in %q (want e.g. http://localhost:3000, or *)", v)
	}
	return out, nil
}

// parseOrigin accepts exactly what a browser sends in an Origin header, because
// anything else (a trailing slash, a path) could never match one and would
// silently block every request.
func parseOrigin(o string) (string, error) {
	if o == "*" {
		return o, nil
	}
	bad := func(why string) error {
		return fmt.Errorf("invalid origin %q: %s (want scheme://host[:port], e.g. https://example.com)", o, why)
	}
	u, err := url.Parse(o)
	if err != nil {
		return "", bad("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", bad("scheme must be http or https")
	}
	if u.User != nil {
		return "", bad("user info not allowed")
	}
	if u.Hostname() == "" {
		return "", bad("no host")
	}
	if strings.Contains(u.Host, "*") {
		return "", bad("wildcards are only allowed as the whole origin *")
	}
	if port := u.Port(); port != "" || strings.HasSuffix(u.Host, ":") {
		if _, err := parsePort(port); err != nil {
			return "", bad("invalid port")
		}
	}
	// Browsers send the scheme and host in lower case; compare in that form.
	origin := u.Scheme + "://" + strings.ToLower(u.Host)
	if !strings.EqualFold(origin, o) {
		return "", bad("no path, query or fragment allowed")
	}
	return origin, nil
}

func parseLogLevel(v string) (slog.Level, error) {
	switch strings.ToLower(v) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("invalid level %q (want debug, info, warn or error)", v)
}

func parseLogFormat(v string) (string, error) {
	switch strings.ToLower(v) {
	case "json":
		return "json", nil
	case "text":
		return "text", nil
	}
	return "", fmt.Errorf("invalid format %q (want json or text)", v)
}

func parseProvider(v string) (string, error) {
	switch p := strings.ToLower(v); p {
	case "oracle", "openai", "anthropic", "gemini":
		return p, nil
	}
	return "", fmt.Errorf("unknown provider %q (want oracle, openai, anthropic or gemini)", v)
}

func defaultModel(provider string) string {
	switch provider {
	case "openai":
		return "gpt-4o-mini"
	case "anthropic":
		return "claude-haiku-4-5"
	case "gemini":
		return "gemini-2.5-flash"
	}
	return ""
}

// apiKeyFallback names the variable each vendor's own tools read, so a key
// already in the environment works without repeating it.
func apiKeyFallback(provider string) string {
	switch provider {
	case "openai":
		return "OPENAI_API_KEY"
	case "anthropic":
		return "ANTHROPIC_API_KEY"
	case "gemini":
		return "GEMINI_API_KEY"
	}
	return ""
}

func parseBaseURL(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	const want = "(want an http or https URL, e.g. http://localhost:11434/v1)"
	u, err := url.Parse(v)
	if err != nil {
		return "", fmt.Errorf("not a valid URL %s", want)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("unsupported scheme in %q %s", redactURL(v), want)
	}
	if u.Host == "" {
		return "", fmt.Errorf("no host in %q %s", redactURL(v), want)
	}
	return v, nil
}

func parsePositiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 15s)", v)
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive (want e.g. 15s)", v)
	}
	return d, nil
}

func parseRate(v string) (Rate, error) {
	if v == "0" {
		return Rate{}, nil
	}
	bad := fmt.Errorf("invalid rate %q (want N/s, N/m or N/h with N ≥ 1, or 0 for no limit)", v)
	num, unit, ok := strings.Cut(v, "/")
	if !ok || num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return Rate{}, bad
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return Rate{}, bad
	}
	switch unit {
	case "s":
		return Rate{N: n, Per: time.Second}, nil
	case "m":
		return Rate{N: n, Per: time.Minute}, nil
	case "h":
		return Rate{N: n, Per: time.Hour}, nil
	}
	return Rate{}, bad
}

func parseConns(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("invalid count %q (want a whole number ≥ 0, 0 for no limit)", v)
	}
	return n, nil
}

func parseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := parsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("invalid CIDR or IP %q (want e.g. 10.0.0.0/8, 192.168.1.1 or fd00::/8)", s)
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if a.Zone() != "" {
			return netip.Prefix{}, errors.New("zones not allowed")
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	// 10.1.2.3/8 means the network 10.0.0.0/8, as net.ParseCIDR reads it.
	return p.Masked(), nil
}
