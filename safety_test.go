package seance_test

import (
	"testing"

	"github.com/seancehq/seance"
)

func TestMoreSerious(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{seance.CategorySelfHarm, seance.CategoryEmergency, true},
		{seance.CategoryEmergency, seance.CategorySelfHarm, false},
		{seance.CategoryFinancial, "", true},
		{"", seance.CategoryFinancial, false},
		{"", "", false},
		{seance.CategoryMedical, seance.CategoryMedical, false},
		{"made-up", seance.CategoryMedical, false},
	} {
		if got := seance.MoreSerious(tt.a, tt.b); got != tt.want {
			t.Errorf("MoreSerious(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
	for _, c := range seance.Categories() {
		if seance.Crisis(c) != (c == seance.CategorySelfHarm || c == seance.CategoryEmergency) {
			t.Errorf("Crisis(%s)", c)
		}
	}
}
