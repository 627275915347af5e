// Package token issues and checks the signed tokens of Séance (HS256 JWTs):
// the host token that lets a séance's creator end it, and later the
// participant tokens of joins. A token names exactly one séance.
package token

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seancehq/seance"
)

// Roles a token can carry.
const (
	RoleHost        = "host"
	RoleParticipant = "participant"
)

const issuer = "seance"

// Claims is what a valid token says.
type Claims struct {
	SessionID     string
	Role          string
	ParticipantID string // participant tokens only
}

type jwtClaims struct {
	Role          string `json:"role"`
	ParticipantID string `json:"pid,omitempty"`
	jwt.RegisteredClaims
}

// Issuer signs and verifies tokens with one secret.
type Issuer struct {
	key     []byte
	ttl     time.Duration
	roleTTL map[string]time.Duration
	now     func() time.Time
}

// MinSecretLen is the shortest secret accepted: HS256 wants at least 256 bits.
const MinSecretLen = 32

// Option adjusts an Issuer.
type Option func(*Issuer)

// WithRoleTTL gives the tokens of one role their own lifetime: a
// participant's token only needs to outlast a sitting, while the host's must
// still end the séance days later.
func WithRoleTTL(role string, ttl time.Duration) Option {
	return func(i *Issuer) { i.roleTTL[role] = ttl }
}

// NewIssuer returns an Issuer whose tokens live for ttl, unless an option
// says otherwise for their role. now is the clock.
func NewIssuer(secret []byte, ttl time.Duration, now func() time.Time, opts ...Option) (*Issuer, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("token: secret of %d bytes is too short (want at least %d)", len(secret), MinSecretLen)
	}
	i := &Issuer{key: secret, ttl: ttl, roleTTL: map[string]time.Duration{}, now: now}
	for _, o := range opts {
		o(i)
	}
	return i, nil
}

// Issue returns a signed token carrying c.
func (i *Issuer) Issue(c Claims) (string, error) {
	now := i.now()
	ttl, ok := i.roleTTL[c.Role]
	if !ok {
		ttl = i.ttl
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwtClaims{
		Role:          c.Role,
		ParticipantID: c.ParticipantID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   c.SessionID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	})
	s, err := t.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return s, nil
}

// Verify checks the signature and expiry of raw and returns its claims.
// Any failure is EUnauthorized: the caller did not prove who it is. The
// signature is compared in constant time (hmac.Equal, in the jwt library),
// so its bytes cannot be guessed one at a time from response times.
func (i *Issuer) Verify(raw string) (Claims, error) {
	var c jwtClaims
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return i.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(i.now),
	)
	if err != nil {
		msg := "Invalid token."
		if errors.Is(err, jwt.ErrTokenExpired) {
			msg = "Token expired."
		}
		return Claims{}, seance.Errorf(seance.EUnauthorized, "%s", msg)
	}
	if c.Subject == "" || c.Role == "" {
		return Claims{}, seance.Errorf(seance.EUnauthorized, "Invalid token.")
	}
	return Claims{SessionID: c.Subject, Role: c.Role, ParticipantID: c.ParticipantID}, nil
}

// Require checks that the claims allow role in the séance: EForbidden if
// the token is valid but for another séance or role.
func (c Claims) Require(sessionID, role string) error {
	if c.SessionID != sessionID || c.Role != role {
		return seance.Errorf(seance.EForbidden, "This token does not allow that in this séance.")
	}
	return nil
}
