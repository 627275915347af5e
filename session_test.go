package seance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/seancehq/seance"
)

type catalog map[string]bool

func (c catalog) HasSpirit(id string) bool { return c[id] }
func (c catalog) DefaultSpirit() string    { return "ghost" }

func TestNewSessionValidate(t *testing.T) {
	spirits := catalog{"ghost": true, "sibyl": true}
	now := time.Date(2026, 11, 1, 3, 0, 0, 999, time.FixedZone("X", 3600))
	tests := []struct {
		name      string
		in        seance.NewSession
		wantField string
		wantName  string
		wantUsers int
		wantSpirt string
	}{
		{"defaults", seance.NewSession{Name: "  circle  "}, "", "circle", 6, "ghost"},
		{"all set", seance.NewSession{Name: "c", MaxUsers: new(12), Spirit: new("sibyl")}, "", "c", 12, "sibyl"},
		{"min users", seance.NewSession{Name: "c", MaxUsers: new(2)}, "", "c", 2, "ghost"},
		{"100 runes", seance.NewSession{Name: strings.Repeat("é", 100)}, "", strings.Repeat("é", 100), 6, "ghost"},
		{"101 runes", seance.NewSession{Name: strings.Repeat("é", 101)}, "name", "", 0, ""},
		{"blank", seance.NewSession{Name: " \t "}, "name", "", 0, ""},
		{"invalid utf-8", seance.NewSession{Name: "a\xffb"}, "name", "", 0, ""},
		{"NUL", seance.NewSession{Name: "a\x00b"}, "name", "", 0, ""},
		{"newline inside", seance.NewSession{Name: "a\nb"}, "name", "", 0, ""},
		{"1 user", seance.NewSession{Name: "c", MaxUsers: new(1)}, "max_users", "", 0, ""},
		{"13 users", seance.NewSession{Name: "c", MaxUsers: new(13)}, "max_users", "", 0, ""},
		{"unknown spirit", seance.NewSession{Name: "c", Spirit: new("nope")}, "spirit", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.in.Validate(spirits, "id-1", now)
			if tt.wantField != "" {
				if seance.ErrorCode(err) != seance.EValidation || seance.ErrorDetails(err)["field"] != tt.wantField {
					t.Fatalf("err %v details %v, want VALIDATION_ERROR on %s", err, seance.ErrorDetails(err), tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tt.wantName || s.MaxUsers != tt.wantUsers || s.Spirit != tt.wantSpirt || s.ID != "id-1" || !s.IsActive() {
				t.Fatalf("got %+v", s)
			}
			if s.CreatedAt.Location() != time.UTC || s.CreatedAt.Nanosecond()%1000 != 0 {
				t.Fatalf("created_at %v is not UTC microseconds", s.CreatedAt)
			}
		})
	}
}

func TestErrorHelpers(t *testing.T) {
	e := seance.Errorf(seance.EValidation, "bad %s", "x").With("field", "name")
	if seance.ErrorCode(e) != seance.EValidation || seance.ErrorMessage(e) != "bad x" || seance.ErrorDetails(e)["field"] != "name" {
		t.Fatalf("helpers on %#v", e)
	}
	wrapped := &wrapErr{e}
	if seance.ErrorCode(wrapped) != seance.EValidation {
		t.Fatal("code lost through wrapping")
	}
	plain := errString("disk on fire")
	if seance.ErrorCode(plain) != seance.EInternal || seance.ErrorMessage(plain) == "disk on fire" || len(seance.ErrorDetails(plain)) != 0 {
		t.Fatal("an internal error is described to clients")
	}
}

type wrapErr struct{ err error }

func (w *wrapErr) Error() string { return "wrapped: " + w.err.Error() }
func (w *wrapErr) Unwrap() error { return w.err }

type errString string

func (e errString) Error() string { return string(e) }
