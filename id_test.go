package seance_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
)

func TestValidID(t *testing.T) {
	const id = "3f2b8c1e-9d4a-4b6e-8f00-a1b2c3d4e5f6"
	tests := []struct {
		id   string
		want bool
	}{
		{id, true},
		{strings.ToUpper(id), false},
		{"3F2b8c1e-9d4a-4b6e-8f00-a1b2c3d4e5f6", false},
		{strings.ReplaceAll(id, "-", ""), false},
		{"{" + id + "}", false},
		{"urn:uuid:" + id, false},
		{" " + id, false},
		{id + "\n", false},
		{id[:35], false},
		{"3f2b8c1e-9d4a-4b6e-8f00-a1b2c3d4e5fg", false},
		{"3f2b8c1e+9d4a-4b6e-8f00-a1b2c3d4e5f6", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := seance.ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

// Exactly the strings a UUID parser reads and writes back unchanged are
// valid: one spelling per séance.
func FuzzValidID(f *testing.F) {
	for _, s := range []string{"3f2b8c1e-9d4a-4b6e-8f00-a1b2c3d4e5f6", "3F2B8C1E-9D4A-4B6E-8F00-A1B2C3D4E5F6",
		"urn:uuid:3f2b8c1e-9d4a-4b6e-8f00-a1b2c3d4e5f6", "{3f2b8c1e-9d4a-4b6e-8f00-a1b2c3d4e5f6}", "3f2b8c1e9d4a4b6e8f00a1b2c3d4e5f6", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := uuid.Parse(s)
		canonical := err == nil && u.String() == s
		if got := seance.ValidID(s); got != canonical {
			t.Fatalf("ValidID(%q) = %v; parsed and written back unchanged: %v", s, got, canonical)
		}
	})
}
