package token_test

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/token"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func issuer(t *testing.T, now *time.Time) *token.Issuer {
	t.Helper()
	i, err := token.NewIssuer(secret, time.Hour, func() time.Time { return *now })
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestVerifyAndRequire(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	i := issuer(t, &now)
	host, err := i.Issue(token.Claims{SessionID: "s1", Role: token.RoleHost})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := token.NewIssuer([]byte(strings.Repeat("x", 32)), time.Hour, func() time.Time { return now })
	foreign, _ := other.Issue(token.Claims{SessionID: "s1", Role: token.RoleHost})
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "s1", "role": "host", "iss": "seance", "exp": now.Add(time.Hour).Unix()})
	unsigned, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	tampered := host[:len(host)-2] + "xx"

	tests := []struct {
		name      string
		raw       string
		sessionID string
		role      string
		advance   time.Duration
		want      string // error code, "" for success
	}{
		{"valid", host, "s1", token.RoleHost, 0, ""},
		{"other séance", host, "s2", token.RoleHost, 0, seance.EForbidden},
		{"other role", host, "s1", token.RoleParticipant, 0, seance.EForbidden},
		{"expired", host, "s1", token.RoleHost, 2 * time.Hour, seance.EUnauthorized},
		{"other secret", foreign, "s1", token.RoleHost, 0, seance.EUnauthorized},
		{"alg none", unsigned, "s1", token.RoleHost, 0, seance.EUnauthorized},
		{"tampered", tampered, "s1", token.RoleHost, 0, seance.EUnauthorized},
		{"garbage", "not.a.token", "s1", token.RoleHost, 0, seance.EUnauthorized},
		{"empty", "", "s1", token.RoleHost, 0, seance.EUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := now
			now = now.Add(tt.advance)
			defer func() { now = saved }()
			c, err := i.Verify(tt.raw)
			if err == nil {
				err = c.Require(tt.sessionID, tt.role)
			}
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Authorize: %v", err)
				}
				if c.SessionID != "s1" || c.Role != token.RoleHost {
					t.Fatalf("claims %+v", c)
				}
				return
			}
			if got := seance.ErrorCode(err); got != tt.want {
				t.Fatalf("error %v (code %s), want %s", err, got, tt.want)
			}
		})
	}
}

func TestShortSecretRefused(t *testing.T) {
	if _, err := token.NewIssuer([]byte("short"), time.Hour, time.Now); err == nil {
		t.Fatal("a 5-byte secret was accepted")
	}
}

// A participant's token lives as long as its role's TTL says, the host's as
// long as the issuer's.
func TestRoleTTL(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	i, err := token.NewIssuer(secret, 30*24*time.Hour, func() time.Time { return now },
		token.WithRoleTTL(token.RoleParticipant, 24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	host, _ := i.Issue(token.Claims{SessionID: "s1", Role: token.RoleHost})
	guest, _ := i.Issue(token.Claims{SessionID: "s1", Role: token.RoleParticipant, ParticipantID: "p1"})
	tests := []struct {
		name    string
		raw     string
		advance time.Duration
		valid   bool
	}{
		{"participant within a day", guest, 23 * time.Hour, true},
		{"participant after a day", guest, 25 * time.Hour, false},
		{"host after a day", host, 25 * time.Hour, true},
		{"host after 31 days", host, 31 * 24 * time.Hour, false},
	}
	start := now
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = start.Add(tt.advance)
			t.Cleanup(func() { now = start })
			if _, err := i.Verify(tt.raw); (err == nil) != tt.valid {
				t.Fatalf("Verify after %v: %v, want valid=%v", tt.advance, err, tt.valid)
			}
		})
	}
}
