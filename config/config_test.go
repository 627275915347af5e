package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/seancehq/seance/safety"
)

// env turns a map into a getenv, so tests never touch the process environment.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func mustParse(t *testing.T, args []string, vars map[string]string) Config {
	t.Helper()
	c, err := Parse(args, env(vars), io.Discard)
	if err != nil {
		t.Fatalf("Parse(%q, %v): %v", args, vars, err)
	}
	return c
}

// parseErr returns the error Parse gives, failing unless there is one and it is
// a single line that starts with the expected source.
func parseErr(t *testing.T, args []string, vars map[string]string, prefix string) string {
	t.Helper()
	_, err := Parse(args, env(vars), io.Discard)
	if err == nil {
		t.Fatalf("Parse(%q, %v): no error, want one starting %q", args, vars, prefix)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if !strings.HasPrefix(msg, prefix) {
		t.Errorf("error %q does not start with %q", msg, prefix)
	}
	return msg
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	got := mustParse(t, nil, nil)
	want := Config{
		Addr:             ":8000",
		DatabaseURL:      "sqlite:seance.db",
		CORSOrigins:      []string{"http://localhost:3000"},
		LogLevel:         slog.LevelInfo,
		LogFormat:        "json",
		SpiritProvider:   "oracle",
		SpiritTimeout:    15 * time.Second,
		LimitCreate:      Rate{N: 30, Per: time.Minute},
		LimitJoin:        Rate{N: 120, Per: time.Minute},
		LimitConns:       64,
		LimitHTTPConns:   256,
		BodyTimeout:      10 * time.Second,
		SessionIdleTTL:   24 * time.Hour,
		HistoryRetention: 720 * time.Hour,
		NodeTTL:          30 * time.Second,
		Help:             safety.DefaultHelp(),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %#v\nwant %#v", fields(got), fields(want))
	}
	if got.DatabaseKind() != "sqlite" || got.SQLitePath() != "seance.db" {
		t.Errorf("default database: kind %q path %q", got.DatabaseKind(), got.SQLitePath())
	}
}

// fields prints a Config field by field, bypassing its redacting GoString so a
// failing test shows what differs.
func fields(c Config) string {
	type plain Config
	return fmt.Sprintf("%+v", plain(c))
}

func TestParseNeverReadsProcessEnvironment(t *testing.T) {
	t.Setenv("SEANCE_ADDR", "not an address")
	t.Setenv("OPENAI_API_KEY", "sk-from-process")
	c := mustParse(t, nil, map[string]string{"SEANCE_SPIRIT_PROVIDER": "openai"})
	if c.Addr != ":8000" || c.SpiritAPIKey != "" {
		t.Errorf("process environment leaked in: addr %q key %q", c.Addr, c.SpiritAPIKey)
	}
}

// secret32 is the shortest JWT secret accepted.
const secret32 = "0123456789abcdef0123456789abcdef"

// TestVariables checks each variable's accepted and rejected values. A case
// with want set must parse to it; one with errHas must fail with a one-line
// error naming the variable and containing errHas.
func TestVariables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env    string
		value  string
		get    func(Config) any
		want   any
		errHas string
	}{
		// SEANCE_ADDR
		{env: "SEANCE_ADDR", value: ":9000", get: addr, want: ":9000"},
		{env: "SEANCE_ADDR", value: "127.0.0.1:0", get: addr, want: "127.0.0.1:0"},
		{env: "SEANCE_ADDR", value: "[::1]:65535", get: addr, want: "[::1]:65535"},
		{env: "SEANCE_ADDR", value: "localhost:8080", get: addr, want: "localhost:8080"},
		{env: "SEANCE_ADDR", value: "8000", errHas: `invalid address "8000" (want host:port`},
		{env: "SEANCE_ADDR", value: "localhost", errHas: "want host:port"},
		{env: "SEANCE_ADDR", value: ":http", errHas: "invalid port"},
		{env: "SEANCE_ADDR", value: ":65536", errHas: "invalid port"},
		{env: "SEANCE_ADDR", value: ":-1", errHas: "invalid port"},
		{env: "SEANCE_ADDR", value: "localhost:", errHas: "invalid port"},
		{env: "SEANCE_ADDR", value: "::1:80", errHas: "want host:port"},

		// SEANCE_DATABASE_URL
		{env: "SEANCE_DATABASE_URL", value: "sqlite:/var/lib/seance/db.sqlite", get: dbURL, want: "sqlite:/var/lib/seance/db.sqlite"},
		{env: "SEANCE_DATABASE_URL", value: "sqlite::memory:", get: dbURL, want: "sqlite::memory:"},
		{env: "SEANCE_DATABASE_URL", value: "postgres://u:p@db:5432/seance?sslmode=disable", get: dbURL, want: "postgres://u:p@db:5432/seance?sslmode=disable"},
		{env: "SEANCE_DATABASE_URL", value: "postgresql://db/seance", get: dbURL, want: "postgresql://db/seance"},
		{env: "SEANCE_DATABASE_URL", value: "sqlite:", errHas: "empty SQLite path"},
		{env: "SEANCE_DATABASE_URL", value: "seance.db", errHas: "want sqlite:PATH or postgres://"},
		{env: "SEANCE_DATABASE_URL", value: "mysql://u:hunter2@db/seance", errHas: `unsupported database "mysql://u:xxxxx@db/seance"`},
		{env: "SEANCE_DATABASE_URL", value: "postgres:///seance", errHas: "no host"},
		{env: "SEANCE_DATABASE_URL", value: "postgres://u:hunter2@db:port/x", errHas: "not a valid URL"},

		// SEANCE_REDIS_URL
		{env: "SEANCE_REDIS_URL", value: "redis://localhost:6379/0", get: redisURL, want: "redis://localhost:6379/0"},
		{env: "SEANCE_REDIS_URL", value: "rediss://:pw@cache:6380", get: redisURL, want: "rediss://:pw@cache:6380"},
		{env: "SEANCE_REDIS_URL", value: "localhost:6379", errHas: "unsupported scheme"},
		{env: "SEANCE_REDIS_URL", value: "http://cache:6379", errHas: "unsupported scheme"},
		{env: "SEANCE_REDIS_URL", value: "redis://", errHas: "no host"},
		{env: "SEANCE_REDIS_URL", value: "redis://:hunter2@", errHas: `no host in "redis://:xxxxx@"`},

		// SEANCE_JWT_SECRET
		{env: "SEANCE_JWT_SECRET", value: secret32, get: jwt, want: secret32},
		{env: "SEANCE_JWT_SECRET", value: "short", errHas: "must be at least 32 bytes"},
		{env: "SEANCE_JWT_SECRET", value: secret32[:31], errHas: "31 bytes, must be at least 32 bytes"},

		// SEANCE_CORS_ORIGINS
		{env: "SEANCE_CORS_ORIGINS", value: "*", get: cors, want: []string{"*"}},
		{env: "SEANCE_CORS_ORIGINS", value: " https://a.example , http://localhost:3000,", get: cors, want: []string{"https://a.example", "http://localhost:3000"}},
		{env: "SEANCE_CORS_ORIGINS", value: "HTTPS://App.Example.COM:8443", get: cors, want: []string{"https://app.example.com:8443"}},
		{env: "SEANCE_CORS_ORIGINS", value: "http://[::1]:3000", get: cors, want: []string{"http://[::1]:3000"}},
		{env: "SEANCE_CORS_ORIGINS", value: ",", errHas: "no origins"},
		{env: "SEANCE_CORS_ORIGINS", value: " , ", errHas: "no origins"},
		{env: "SEANCE_CORS_ORIGINS", value: "http://localhost:3000/", errHas: `invalid origin "http://localhost:3000/": no path`},
		{env: "SEANCE_CORS_ORIGINS", value: "https://a.example/app", errHas: "no path"},
		{env: "SEANCE_CORS_ORIGINS", value: "https://a.example?x=1", errHas: "no path, query"},
		{env: "SEANCE_CORS_ORIGINS", value: "https://a.example#top", errHas: "no path, query or fragment"},
		{env: "SEANCE_CORS_ORIGINS", value: "localhost:3000", errHas: "scheme must be http or https"},
		{env: "SEANCE_CORS_ORIGINS", value: "ftp://a.example", errHas: "scheme must be http or https"},
		{env: "SEANCE_CORS_ORIGINS", value: "a.example", errHas: "scheme must be http or https"},
		{env: "SEANCE_CORS_ORIGINS", value: "https://", errHas: "no host"},
		{env: "SEANCE_CORS_ORIGINS", value: "https://u@a.example", errHas: "user info"},
		{env: "SEANCE_CORS_ORIGINS", value: "https://*.a.example", errHas: "wildcards"},
		{env: "SEANCE_CORS_ORIGINS", value: "https://a.example:99999", errHas: "invalid port"},
		{env: "SEANCE_CORS_ORIGINS", value: "https://a.example:", errHas: "invalid port"},
		{env: "SEANCE_CORS_ORIGINS", value: "https://ok.example,https://bad.example/", errHas: `"https://bad.example/"`},

		// SEANCE_LOG_LEVEL
		{env: "SEANCE_LOG_LEVEL", value: "debug", get: level, want: slog.LevelDebug},
		{env: "SEANCE_LOG_LEVEL", value: "INFO", get: level, want: slog.LevelInfo},
		{env: "SEANCE_LOG_LEVEL", value: "Warn", get: level, want: slog.LevelWarn},
		{env: "SEANCE_LOG_LEVEL", value: "error", get: level, want: slog.LevelError},
		{env: "SEANCE_LOG_LEVEL", value: "warning", errHas: `invalid level "warning" (want debug, info, warn or error)`},
		{env: "SEANCE_LOG_LEVEL", value: "debug+2", errHas: "invalid level"},

		// SEANCE_LOG_FORMAT
		{env: "SEANCE_LOG_FORMAT", value: "text", get: format, want: "text"},
		{env: "SEANCE_LOG_FORMAT", value: "JSON", get: format, want: "json"},
		{env: "SEANCE_LOG_FORMAT", value: "logfmt", errHas: `invalid format "logfmt" (want json or text)`},

		// SEANCE_SPIRIT_PROVIDER
		{env: "SEANCE_SPIRIT_PROVIDER", value: "oracle", get: provider, want: "oracle"},
		{env: "SEANCE_SPIRIT_PROVIDER", value: "openai", get: provider, want: "openai"},
		{env: "SEANCE_SPIRIT_PROVIDER", value: "Anthropic", get: provider, want: "anthropic"},
		{env: "SEANCE_SPIRIT_PROVIDER", value: "gemini", get: provider, want: "gemini"},
		{env: "SEANCE_SPIRIT_PROVIDER", value: "ollama", errHas: `unknown provider "ollama"`},

		// SEANCE_SPIRIT_MODEL: any value; defaults are per provider (TestModelDefaults).
		{env: "SEANCE_SPIRIT_MODEL", value: "llama3.1:8b", get: model, want: "llama3.1:8b"},

		// SEANCE_SPIRIT_BASE_URL
		{env: "SEANCE_SPIRIT_BASE_URL", value: "http://localhost:11434/v1", get: baseURL, want: "http://localhost:11434/v1"},
		{env: "SEANCE_SPIRIT_BASE_URL", value: "https://api.example.com", get: baseURL, want: "https://api.example.com"},
		{env: "SEANCE_SPIRIT_BASE_URL", value: "localhost:11434", errHas: "unsupported scheme"},
		{env: "SEANCE_SPIRIT_BASE_URL", value: "ws://x", errHas: "want an http or https URL"},
		{env: "SEANCE_SPIRIT_BASE_URL", value: "https://", errHas: "no host"},
		{env: "SEANCE_SPIRIT_BASE_URL", value: "http://a b", errHas: "not a valid URL"},

		// SEANCE_SPIRIT_API_KEY: any value; fallbacks in TestAPIKeyFallback.
		{env: "SEANCE_SPIRIT_API_KEY", value: "sk-test", get: apiKey, want: "sk-test"},

		// SEANCE_SPIRIT_TIMEOUT
		{env: "SEANCE_SPIRIT_TIMEOUT", value: "2s", get: timeout, want: 2 * time.Second},
		{env: "SEANCE_SPIRIT_TIMEOUT", value: "1m30s", get: timeout, want: 90 * time.Second},
		{env: "SEANCE_SPIRIT_TIMEOUT", value: "abc", errHas: `invalid duration "abc" (want e.g. 15s)`},
		{env: "SEANCE_SPIRIT_TIMEOUT", value: "15", errHas: "invalid duration"},
		{env: "SEANCE_SPIRIT_TIMEOUT", value: "0s", errHas: "must be positive"},
		{env: "SEANCE_SPIRIT_TIMEOUT", value: "-1s", errHas: "must be positive"},

		// SEANCE_SPIRITS_DIR
		{env: "SEANCE_SPIRITS_DIR", value: "/etc/seance/spirits", get: spiritsDir, want: "/etc/seance/spirits"},

		// SEANCE_LIMIT_CREATE / SEANCE_LIMIT_JOIN (rate syntax in TestParseRate)
		{env: "SEANCE_LIMIT_CREATE", value: "5/s", get: limitCreate, want: Rate{5, time.Second}},
		{env: "SEANCE_LIMIT_CREATE", value: "0", get: limitCreate, want: Rate{}},
		{env: "SEANCE_LIMIT_CREATE", value: "30", errHas: `invalid rate "30"`},
		{env: "SEANCE_LIMIT_JOIN", value: "1000/h", get: limitJoin, want: Rate{1000, time.Hour}},
		{env: "SEANCE_LIMIT_JOIN", value: "0", get: limitJoin, want: Rate{}},
		{env: "SEANCE_LIMIT_JOIN", value: "-1/m", errHas: "invalid rate"},

		// SEANCE_LIMIT_CONNS
		{env: "SEANCE_LIMIT_CONNS", value: "0", get: conns, want: 0},
		{env: "SEANCE_LIMIT_CONNS", value: "1000", get: conns, want: 1000},
		{env: "SEANCE_LIMIT_CONNS", value: "-1", errHas: `invalid count "-1"`},
		{env: "SEANCE_LIMIT_CONNS", value: "+5", errHas: "invalid count"},
		{env: "SEANCE_LIMIT_CONNS", value: "ten", errHas: "invalid count"},
		{env: "SEANCE_LIMIT_CONNS", value: "99999999999999999999", errHas: "invalid count"},

		// SEANCE_LIMIT_HTTP_CONNS
		{env: "SEANCE_LIMIT_HTTP_CONNS", value: "0", get: httpConns, want: 0},
		{env: "SEANCE_LIMIT_HTTP_CONNS", value: "3", get: httpConns, want: 3},
		{env: "SEANCE_LIMIT_HTTP_CONNS", value: "-1", errHas: `invalid count "-1"`},
		{env: "SEANCE_LIMIT_HTTP_CONNS", value: "many", errHas: "invalid count"},

		// SEANCE_BODY_TIMEOUT
		{env: "SEANCE_BODY_TIMEOUT", value: "1s", get: bodyTimeout, want: time.Second},
		{env: "SEANCE_BODY_TIMEOUT", value: "10m", get: bodyTimeout, want: 10 * time.Minute},
		{env: "SEANCE_BODY_TIMEOUT", value: "999ms", errHas: "out of range (want 1s to 10m)"},
		{env: "SEANCE_BODY_TIMEOUT", value: "11m", errHas: "out of range"},
		{env: "SEANCE_BODY_TIMEOUT", value: "0", errHas: "must be positive"},
		{env: "SEANCE_BODY_TIMEOUT", value: "10", errHas: `invalid duration "10"`},

		// SEANCE_TRUSTED_PROXIES
		{env: "SEANCE_TRUSTED_PROXIES", value: "10.0.0.0/8", get: proxies, want: prefixes("10.0.0.0/8")},
		{env: "SEANCE_TRUSTED_PROXIES", value: " 10.0.0.0/8, 192.168.1.1 ,fd00::/8,::1,", get: proxies, want: prefixes("10.0.0.0/8", "192.168.1.1/32", "fd00::/8", "::1/128")},
		{env: "SEANCE_TRUSTED_PROXIES", value: "10.1.2.3/8", get: proxies, want: prefixes("10.0.0.0/8")},
		{env: "SEANCE_TRUSTED_PROXIES", value: "10.0.0.0/33", errHas: `invalid CIDR or IP "10.0.0.0/33"`},
		{env: "SEANCE_TRUSTED_PROXIES", value: "10.0.0.0/8,proxy.internal", errHas: `"proxy.internal"`},
		{env: "SEANCE_TRUSTED_PROXIES", value: "fe80::1%eth0", errHas: "invalid CIDR or IP"},

		// SEANCE_SESSION_IDLE_TTL / SEANCE_HISTORY_RETENTION
		{env: "SEANCE_SESSION_IDLE_TTL", value: "30m", get: idle, want: 30 * time.Minute},
		{env: "SEANCE_SESSION_IDLE_TTL", value: "0", errHas: "must be positive"},
		{env: "SEANCE_SESSION_IDLE_TTL", value: "1d", errHas: `invalid duration "1d"`},
		{env: "SEANCE_HISTORY_RETENTION", value: "168h", get: retention, want: 168 * time.Hour},
		{env: "SEANCE_HISTORY_RETENTION", value: "-720h", errHas: "must be positive"},
		{env: "SEANCE_HISTORY_RETENTION", value: "forever", errHas: "invalid duration"},

		// SEANCE_NODE_TTL
		{env: "SEANCE_NODE_TTL", value: "3s", get: nodeTTL, want: 3 * time.Second},
		{env: "SEANCE_NODE_TTL", value: "2s", errHas: "out of range"},
		{env: "SEANCE_NODE_TTL", value: "1h", errHas: "out of range"},
		{env: "SEANCE_NODE_TTL", value: "soon", errHas: "invalid duration"},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{tt.env: tt.value}
			if tt.errHas != "" {
				msg := parseErr(t, nil, vars, tt.env+": ")
				if !strings.Contains(msg, tt.errHas) {
					t.Errorf("error %q does not contain %q", msg, tt.errHas)
				}
				return
			}
			if got := tt.get(mustParse(t, nil, vars)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func addr(c Config) any        { return c.Addr }
func dbURL(c Config) any       { return c.DatabaseURL }
func redisURL(c Config) any    { return c.RedisURL }
func jwt(c Config) any         { return c.JWTSecret }
func cors(c Config) any        { return c.CORSOrigins }
func level(c Config) any       { return c.LogLevel }
func format(c Config) any      { return c.LogFormat }
func provider(c Config) any    { return c.SpiritProvider }
func model(c Config) any       { return c.SpiritModel }
func baseURL(c Config) any     { return c.SpiritBaseURL }
func apiKey(c Config) any      { return c.SpiritAPIKey }
func timeout(c Config) any     { return c.SpiritTimeout }
func spiritsDir(c Config) any  { return c.SpiritsDir }
func limitCreate(c Config) any { return c.LimitCreate }
func limitJoin(c Config) any   { return c.LimitJoin }
func conns(c Config) any       { return c.LimitConns }
func httpConns(c Config) any   { return c.LimitHTTPConns }
func bodyTimeout(c Config) any { return c.BodyTimeout }
func proxies(c Config) any     { return c.TrustedProxies }
func idle(c Config) any        { return c.SessionIdleTTL }
func retention(c Config) any   { return c.HistoryRetention }
func nodeTTL(c Config) any     { return c.NodeTTL }

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func TestJWTSecretNeverInError(t *testing.T) {
	t.Parallel()
	const short = "hunter2-is-my-secret"
	for _, args := range [][]string{nil, {"--jwt-secret", short}} {
		_, err := Parse(args, env(map[string]string{"SEANCE_JWT_SECRET": short}), io.Discard)
		if err == nil || strings.Contains(err.Error(), short) {
			t.Errorf("args %q: error %v should reject the secret without quoting it", args, err)
		}
	}
}

func TestModelDefaults(t *testing.T) {
	t.Parallel()
	for provider, want := range map[string]string{
		"oracle":    "",
		"openai":    "gpt-4o-mini",
		"anthropic": "claude-haiku-4-5",
		"gemini":    "gemini-2.5-flash",
	} {
		c := mustParse(t, nil, map[string]string{"SEANCE_SPIRIT_PROVIDER": provider})
		if c.SpiritModel != want {
			t.Errorf("provider %s: model %q, want %q", provider, c.SpiritModel, want)
		}
		c = mustParse(t, nil, map[string]string{"SEANCE_SPIRIT_PROVIDER": provider, "SEANCE_SPIRIT_MODEL": "custom"})
		if c.SpiritModel != "custom" {
			t.Errorf("provider %s: explicit model replaced by %q", provider, c.SpiritModel)
		}
	}
}

func TestAPIKeyFallback(t *testing.T) {
	t.Parallel()
	vendorKeys := map[string]string{
		"OPENAI_API_KEY":    "sk-openai",
		"ANTHROPIC_API_KEY": "sk-anthropic",
		"GEMINI_API_KEY":    "sk-gemini",
	}
	tests := []struct {
		provider string
		own      string   // SEANCE_SPIRIT_API_KEY
		args     []string // flags
		want     string
	}{
		{provider: "openai", want: "sk-openai"},
		{provider: "anthropic", want: "sk-anthropic"},
		{provider: "gemini", want: "sk-gemini"},
		{provider: "oracle", want: ""},
		{provider: "openai", own: "sk-own", want: "sk-own"},
		{provider: "gemini", own: "sk-own", want: "sk-own"},
		{provider: "anthropic", own: "sk-own", args: []string{"--spirit-api-key=sk-flag"}, want: "sk-flag"},
		// An empty flag means "not set here", so the vendor variable still applies.
		{provider: "anthropic", own: "sk-own", args: []string{"--spirit-api-key="}, want: "sk-anthropic"},
		// The provider may come from a flag; the fallback follows it.
		{provider: "openai", args: []string{"--spirit-provider", "gemini"}, want: "sk-gemini"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%q", tt.provider, tt.own, tt.args), func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"SEANCE_SPIRIT_PROVIDER": tt.provider, "SEANCE_SPIRIT_API_KEY": tt.own}
			for k, v := range vendorKeys {
				vars[k] = v
			}
			if got := mustParse(t, tt.args, vars).SpiritAPIKey; got != tt.want {
				t.Errorf("key %q, want %q", got, tt.want)
			}
		})
	}
	// Only the chosen provider's variable counts.
	c := mustParse(t, nil, map[string]string{"SEANCE_SPIRIT_PROVIDER": "anthropic", "OPENAI_API_KEY": "sk-openai"})
	if c.SpiritAPIKey != "" {
		t.Errorf("anthropic picked up another vendor's key %q", c.SpiritAPIKey)
	}
}

// TestFlagsOverrideEnvironment gives every variable one value in the
// environment and another by flag, and checks that the flag wins.
func TestFlagsOverrideEnvironment(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"SEANCE_ADDR":               ":1111",
		"SEANCE_DATABASE_URL":       "sqlite:env.db",
		"SEANCE_REDIS_URL":          "redis://env:6379",
		"SEANCE_JWT_SECRET":         strings.Repeat("e", 32),
		"SEANCE_CORS_ORIGINS":       "https://env.example",
		"SEANCE_LOG_LEVEL":          "error",
		"SEANCE_LOG_FORMAT":         "json",
		"SEANCE_SPIRIT_PROVIDER":    "openai",
		"SEANCE_SPIRIT_MODEL":       "env-model",
		"SEANCE_SPIRIT_BASE_URL":    "http://env:1",
		"SEANCE_SPIRIT_API_KEY":     "env-key",
		"SEANCE_SPIRIT_TIMEOUT":     "1s",
		"SEANCE_SPIRITS_DIR":        "/env",
		"SEANCE_LIMIT_CREATE":       "1/s",
		"SEANCE_LIMIT_JOIN":         "1/s",
		"SEANCE_LIMIT_CONNS":        "1",
		"SEANCE_LIMIT_HTTP_CONNS":   "2",
		"SEANCE_BODY_TIMEOUT":       "2s",
		"SEANCE_TRUSTED_PROXIES":    "10.0.0.0/8",
		"SEANCE_SESSION_IDLE_TTL":   "1h",
		"SEANCE_HISTORY_RETENTION":  "2h",
		"ANTHROPIC_API_KEY":         "vendor-key",
		"SEANCE_UNRELATED_VARIABLE": "ignored",
	}
	args := []string{
		"--addr", ":2222",
		"--database-url=postgres://flag/seance",
		"--redis-url", "rediss://flag:6380",
		"--jwt-secret", strings.Repeat("f", 40),
		"--cors-origins", "*",
		"--log-level", "debug",
		"-log-format", "text", // one dash works too, as with any flag package
		"--spirit-provider", "anthropic",
		"--spirit-model", "flag-model",
		"--spirit-base-url", "https://flag",
		"--spirit-api-key", "flag-key",
		"--spirit-timeout", "3s",
		"--spirits-dir", "/flag",
		"--limit-create", "0",
		"--limit-join", "7/h",
		"--limit-conns", "0",
		"--limit-http-conns", "0",
		"--body-timeout", "30s",
		"--trusted-proxies", "::1",
		"--session-idle-ttl", "5m",
		"--history-retention", "6h",
		"--node-ttl", "9s",
	}
	got := mustParse(t, args, vars)
	want := Config{
		Addr:             ":2222",
		DatabaseURL:      "postgres://flag/seance",
		RedisURL:         "rediss://flag:6380",
		JWTSecret:        strings.Repeat("f", 40),
		CORSOrigins:      []string{"*"},
		LogLevel:         slog.LevelDebug,
		LogFormat:        "text",
		SpiritProvider:   "anthropic",
		SpiritModel:      "flag-model",
		SpiritBaseURL:    "https://flag",
		SpiritAPIKey:     "flag-key",
		SpiritTimeout:    3 * time.Second,
		SpiritsDir:       "/flag",
		LimitCreate:      Rate{},
		LimitJoin:        Rate{7, time.Hour},
		LimitConns:       0,
		LimitHTTPConns:   0,
		BodyTimeout:      30 * time.Second,
		TrustedProxies:   prefixes("::1/128"),
		SessionIdleTTL:   5 * time.Minute,
		HistoryRetention: 6 * time.Hour,
		NodeTTL:          9 * time.Second,
		Help:             safety.DefaultHelp(),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("flags did not win:\n got %s\nwant %s", fields(got), fields(want))
	}
}

func TestEmptyFlagMeansDefault(t *testing.T) {
	t.Parallel()
	c := mustParse(t, []string{"--addr=", "--redis-url="}, map[string]string{
		"SEANCE_ADDR":      ":1111",
		"SEANCE_REDIS_URL": "redis://env:6379",
	})
	if c.Addr != ":8000" || c.RedisURL != "" {
		t.Errorf("empty flags: addr %q redis %q, want the defaults", c.Addr, c.RedisURL)
	}
}

func TestFlagErrorNamesFlagAndVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args   []string
		vars   map[string]string
		prefix string
	}{
		{[]string{"--addr", "nope"}, nil, "--addr (SEANCE_ADDR): "},
		{[]string{"--spirit-timeout=abc"}, nil, `--spirit-timeout (SEANCE_SPIRIT_TIMEOUT): invalid duration "abc" (want e.g. 15s)`},
		{[]string{"--limit-join", "3/d"}, nil, "--limit-join (SEANCE_LIMIT_JOIN): invalid rate"},
		// A valid flag hides a bad variable: it is never read.
		{[]string{"--log-level", "bogus"}, map[string]string{"SEANCE_ADDR": "bad"}, "SEANCE_ADDR: "},
	}
	for _, tt := range tests {
		parseErr(t, tt.args, tt.vars, tt.prefix)
	}
	c := mustParse(t, []string{"--addr", ":1"}, map[string]string{"SEANCE_ADDR": "bad"})
	if c.Addr != ":1" {
		t.Errorf("addr %q", c.Addr)
	}
}

// TestFirstErrorInTableOrder sets every variable to a bad value and removes
// them one at a time from the front: the error must always name the first
// remaining one, whatever order the flags came in.
func TestFirstErrorInTableOrder(t *testing.T) {
	t.Parallel()
	bad := []struct{ env, value string }{
		{"SEANCE_ADDR", "x"},
		{"SEANCE_DATABASE_URL", "x"},
		{"SEANCE_REDIS_URL", "x"},
		{"SEANCE_JWT_SECRET", "x"},
		{"SEANCE_CORS_ORIGINS", "x"},
		{"SEANCE_LOG_LEVEL", "x"},
		{"SEANCE_LOG_FORMAT", "x"},
		{"SEANCE_SPIRIT_PROVIDER", "x"},
		{"SEANCE_SPIRIT_BASE_URL", "x"},
		{"SEANCE_SPIRIT_TIMEOUT", "x"},
		{"SEANCE_LIMIT_CREATE", "x"},
		{"SEANCE_LIMIT_JOIN", "x"},
		{"SEANCE_LIMIT_CONNS", "x"},
		{"SEANCE_TRUSTED_PROXIES", "x"},
		{"SEANCE_SESSION_IDLE_TTL", "x"},
		{"SEANCE_HISTORY_RETENTION", "x"},
	}
	for i := range bad {
		vars := map[string]string{}
		for _, b := range bad[i:] {
			vars[b.env] = b.value
		}
		parseErr(t, nil, vars, bad[i].env+": ")
	}
	// Flags in reverse order still report in the table's order.
	parseErr(t, []string{"--history-retention", "x", "--log-format", "x", "--addr", ":1"}, nil, "--log-format (SEANCE_LOG_FORMAT): ")
}

func TestCommandLineErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args   []string
		errHas string
	}{
		{[]string{"serve"}, `unexpected argument "serve"`},
		{[]string{"--addr", ":1", "extra"}, `unexpected argument "extra"`},
		{[]string{"--no-such-flag"}, "flag provided but not defined"},
		{[]string{"--addr"}, "flag needs an argument"},
	}
	for _, tt := range tests {
		var usage bytes.Buffer
		_, err := Parse(tt.args, env(nil), &usage)
		if err == nil || !strings.Contains(err.Error(), tt.errHas) || strings.Contains(err.Error(), "\n") {
			t.Errorf("args %q: error %v, want one line containing %q", tt.args, err, tt.errHas)
		}
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-h", "--help", "-help"} {
		var usage bytes.Buffer
		_, err := Parse([]string{arg}, env(map[string]string{"SEANCE_JWT_SECRET": secret32}), &usage)
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s: error %v, want flag.ErrHelp", arg, err)
		}
		text := usage.String()
		for _, s := range settings(env(nil)) {
			if !strings.Contains(text, "--"+s.flag+",") || !strings.Contains(text, s.env) {
				t.Errorf("%s: usage lacks --%s / %s:\n%s", arg, s.flag, s.env, text)
			}
		}
		if strings.Contains(text, secret32) {
			t.Errorf("%s: usage shows the environment's secret", arg)
		}
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Rate
		ok   bool
	}{
		{"0", Rate{}, true},
		{"1/s", Rate{1, time.Second}, true},
		{"30/m", Rate{30, time.Minute}, true},
		{"120/m", Rate{120, time.Minute}, true},
		{"5000/h", Rate{5000, time.Hour}, true},
		{"007/m", Rate{7, time.Minute}, true},
		{"", Rate{}, false},
		{"00", Rate{}, false},
		{"0/m", Rate{}, false},
		{"-1/m", Rate{}, false},
		{"+1/m", Rate{}, false},
		{"1.5/m", Rate{}, false},
		{"30", Rate{}, false},
		{"30/", Rate{}, false},
		{"/m", Rate{}, false},
		{"30/min", Rate{}, false},
		{"30/M", Rate{}, false},
		{"30/d", Rate{}, false},
		{"30/m/s", Rate{}, false},
		{" 30/m", Rate{}, false},
		{"99999999999999999999/s", Rate{}, false},
	}
	for _, tt := range tests {
		got, err := parseRate(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("parseRate(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok {
			if r, err := parseRate(got.String()); err != nil || r != got {
				t.Errorf("%q: String %q does not parse back: %v, %v", tt.in, got.String(), r, err)
			}
		}
	}
}

func TestRateString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r    Rate
		want string
	}{
		{Rate{}, "0"},
		{Rate{N: 0, Per: time.Minute}, "0"},
		{Rate{30, time.Minute}, "30/m"},
		{Rate{2, time.Second}, "2/s"},
		{Rate{9, time.Hour}, "9/h"},
		{Rate{5, 10 * time.Second}, "5/10s"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestDatabaseKind(t *testing.T) {
	t.Parallel()
	tests := []struct{ url, kind, path string }{
		{"sqlite:seance.db", "sqlite", "seance.db"},
		{"sqlite:/data/x.db", "sqlite", "/data/x.db"},
		{"sqlite::memory:", "sqlite", ":memory:"},
		{"postgres://u:p@db/seance", "postgres", ""},
		{"postgresql://db/seance", "postgres", ""},
	}
	for _, tt := range tests {
		c := mustParse(t, []string{"--database-url", tt.url}, nil)
		if c.DatabaseKind() != tt.kind || c.SQLitePath() != tt.path {
			t.Errorf("%s: kind %q path %q, want %q %q", tt.url, c.DatabaseKind(), c.SQLitePath(), tt.kind, tt.path)
		}
	}
}

// secretConfig has a secret in every place one can hide.
func secretConfig(t *testing.T) Config {
	t.Helper()
	return mustParse(t, nil, map[string]string{
		"SEANCE_DATABASE_URL":    "postgres://seance:pg-hunter2@db:5432/seance?sslmode=require&password=pg-query-hunter2&sslpassword=pg-ssl-hunter2",
		"SEANCE_REDIS_URL":       "rediss://default:redis-hunter2@cache:6380/0",
		"SEANCE_JWT_SECRET":      "jwt-hunter2-jwt-hunter2-jwt-hunter2",
		"SEANCE_SPIRIT_PROVIDER": "anthropic",
		"SEANCE_SPIRIT_BASE_URL": "https://proxy:base-hunter2@llm.example/v1?api_key=base-query-hunter2",
		"ANTHROPIC_API_KEY":      "sk-ant-hunter2",
		"SEANCE_TRUSTED_PROXIES": "10.0.0.0/8",
	})
}

func assertNoSecrets(t *testing.T, where, out string) {
	t.Helper()
	if strings.Contains(out, "hunter2") {
		t.Errorf("%s leaks a secret:\n%s", where, out)
	}
}

func TestLogValueHidesSecrets(t *testing.T) {
	t.Parallel()
	c := secretConfig(t)

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	assertNoSecrets(t, "JSON log", buf.String())

	var line struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	got := line.Config
	wantFields := map[string]any{
		"addr":              ":8000",
		"database_url":      "postgres://seance:xxxxx@db:5432/seance?sslmode=require&password=xxxxx&sslpassword=xxxxx",
		"redis_url":         "rediss://default:xxxxx@cache:6380/0",
		"jwt_secret":        "[redacted]",
		"cors_origins":      []any{"http://localhost:3000"},
		"log_level":         "info",
		"log_format":        "json",
		"spirit_provider":   "anthropic",
		"spirit_model":      "claude-haiku-4-5",
		"spirit_base_url":   "https://proxy:xxxxx@llm.example/v1?api_key=xxxxx",
		"spirit_api_key":    "[redacted]",
		"spirit_timeout":    "15s",
		"spirits_dir":       "",
		"help_file":         "",
		"help":              map[string]any{"self_harm": "https://findahelpline.com", "emergency": "https://en.wikipedia.org/wiki/List_of_emergency_telephone_numbers"},
		"limit_create":      "30/m",
		"limit_join":        "120/m",
		"limit_conns":       float64(64),
		"limit_http_conns":  float64(256),
		"body_timeout":      "10s",
		"trusted_proxies":   []any{"10.0.0.0/8"},
		"session_idle_ttl":  "24h0m0s",
		"history_retention": "720h0m0s",
		"node_ttl":          "30s",
	}
	if !reflect.DeepEqual(got, wantFields) {
		t.Errorf("logged config:\n got %v\nwant %v", got, wantFields)
	}
	// Every field of Config must be logged: a new field needs a line in LogValue.
	if n := reflect.TypeFor[Config]().NumField(); len(got) != n {
		t.Errorf("LogValue has %d attributes, Config has %d fields", len(got), n)
	}

	buf.Reset()
	slog.New(slog.NewTextHandler(&buf, nil)).Info("starting", "config", c)
	assertNoSecrets(t, "text log", buf.String())

	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assertNoSecrets(t, "fmt "+verb, fmt.Sprintf(verb, c))
	}
}

func TestLogValueEmptySecrets(t *testing.T) {
	t.Parallel()
	attrs := map[string]string{}
	for _, a := range mustParse(t, nil, nil).LogValue().Group() {
		attrs[a.Key] = a.Value.String()
	}
	for _, k := range []string{"jwt_secret", "spirit_api_key", "redis_url", "spirit_base_url"} {
		if attrs[k] != "" {
			t.Errorf("%s = %q, want empty when unset", k, attrs[k])
		}
	}
	if attrs["database_url"] != "sqlite:seance.db" {
		t.Errorf("database_url = %q", attrs["database_url"])
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"sqlite:seance.db", "sqlite:seance.db"},
		{"postgres://db/seance", "postgres://db/seance"},
		{"postgres://user@db/seance", "postgres://user@db/seance"},
		{"postgres://user:pw@db/seance", "postgres://user:xxxxx@db/seance"},
		{"redis://:pw@cache:6379", "redis://:xxxxx@cache:6379"},
		{"postgres://db/x?Password=pw&sslmode=disable", "postgres://db/x?Password=xxxxx&sslmode=disable"},
		{"postgres://db/x?token=t&auth_secret=s&apikey=k", "postgres://db/x?token=xxxxx&auth_secret=xxxxx&apikey=xxxxx"},
		{"postgres://u:pw@db:bad/x", "[redacted]"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLogger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vars       map[string]string
		wantPrefix string
		debugShown bool
		infoShown  bool
	}{
		{nil, "{", false, true},
		{map[string]string{"SEANCE_LOG_FORMAT": "text"}, "time=", false, true},
		{map[string]string{"SEANCE_LOG_LEVEL": "debug"}, "{", true, true},
		{map[string]string{"SEANCE_LOG_LEVEL": "warn", "SEANCE_LOG_FORMAT": "text"}, "time=", false, false},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log := mustParse(t, nil, tt.vars).Logger(&buf)
		log.Debug("d-line")
		log.Info("i-line")
		log.Error("e-line")
		out := buf.String()
		if !strings.HasPrefix(out, tt.wantPrefix) {
			t.Errorf("%v: output %q does not start with %q", tt.vars, out, tt.wantPrefix)
		}
		if strings.Contains(out, "d-line") != tt.debugShown || strings.Contains(out, "i-line") != tt.infoShown || !strings.Contains(out, "e-line") {
			t.Errorf("%v: wrong levels in %q", tt.vars, out)
		}
	}
}

// SEANCE_HELP_FILE is read and checked at start: a region's own help is in
// Config.Help, a bad file stops the server with one line naming the
// variable.
func TestHelpFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "help.md")
	if err := os.WriteFile(good, []byte("# self_harm\nSamaritans: call 116 123, free, day or night. [samaritans.org](https://www.samaritans.org)\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := mustParse(t, nil, map[string]string{"SEANCE_HELP_FILE": good})
	if c.HelpFile != good || c.Help.SelfHarm.URL != "https://www.samaritans.org" || c.Help.Emergency != safety.DefaultHelp().Emergency {
		t.Errorf("help from %s: %+v", good, c.Help)
	}
	c = mustParse(t, []string{"--help-file", good}, nil)
	if c.Help.SelfHarm.Text != "Samaritans: call 116 123, free, day or night. samaritans.org" {
		t.Errorf("help from the flag: %+v", c.Help.SelfHarm)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"text": "Call us.", "url": "ftp://x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	msg := parseErr(t, nil, map[string]string{"SEANCE_HELP_FILE": bad}, "SEANCE_HELP_FILE: ")
	if !strings.Contains(msg, "must be an http(s) address") {
		t.Errorf("error %q does not say what is wrong", msg)
	}
	parseErr(t, nil, map[string]string{"SEANCE_HELP_FILE": filepath.Join(dir, "missing.md")}, "SEANCE_HELP_FILE: ")
}
