package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/safety"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/spirit/oracle"
)

// guardedOracle is the spirit a server without a model runs: the oracle
// behind the guard, with the built-in lexicon and help.
func guardedOracle() seance.Spirit {
	o := oracle.New(nil)
	return spirit.NewGuard(o, o, spirit.GuardOptions{
		Classifier: safety.New(),
		Help:       safety.DefaultHelp().For,
	})
}

type safetyView struct {
	Category string `json:"category"`
	Help     *struct {
		Text string  `json:"text"`
		URL  *string `json:"url"`
	} `json:"help"`
}

// safetyOf reads the safety field of a spirit_response, failing when the
// field is missing: it is null for a harmless question, never absent.
func safetyOf(t *testing.T, e event) *safetyView {
	t.Helper()
	var data map[string]json.RawMessage
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatal(err)
	}
	raw, ok := data["safety"]
	if !ok {
		t.Fatalf("spirit_response without safety: %s", e.Data)
	}
	var s *safetyView
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Every spirit_response carries safety, on every screen, live and replayed;
// a crisis carries the help, and history and transcripts keep it.
func TestSafetyOverWebSocket(t *testing.T) {
	ts := newServerWith(t, sqliteStore(t), func(o *depsOverride) { o.spirit = guardedOracle() })
	s := ts.create(t, `{"name":"late night","spirit":"poltergeist"}`)
	ada, _ := ts.joinAs(t, s.ID, "ada", "Ada")
	bram, _ := ts.joinAs(t, s.ID, "bram", "Bram")
	ada.expectNext("user_joined")

	questions := []struct {
		text     string
		category string
		help     bool
	}{
		{"Will the candles last the night?", "", false},
		{"Nobody would miss me if I was gone", seance.CategorySelfHarm, true},
		{"Should I drink bleach to cleanse myself?", seance.CategoryDangerous, false},
		{"My friend is unconscious and not breathing", seance.CategoryEmergency, true},
	}
	check := func(who string, e event, want struct {
		text     string
		category string
		help     bool
	}) {
		t.Helper()
		got := safetyOf(t, e)
		switch {
		case want.category == "" && got != nil:
			t.Errorf("%s: %q → safety %+v, want null", who, want.text, got)
		case want.category != "" && (got == nil || got.Category != want.category):
			t.Errorf("%s: %q → safety %+v, want %s", who, want.text, got, want.category)
		case want.help && (got.Help == nil || !strings.Contains(got.Help.Text, "112") || got.Help.URL == nil):
			t.Errorf("%s: %q → help %+v, want the built-in help", who, want.text, got.Help)
		case want.category != "" && !want.help && got.Help != nil:
			t.Errorf("%s: %q → help for %s", who, want.text, want.category)
		}
		if msg, _ := e.field(t, "message").(string); strings.HasPrefix(msg, "YES") && want.category != "" {
			t.Errorf("%s: %q → %q", who, want.text, msg)
		}
	}
	for _, q := range questions {
		ada.ask(q.text)
		check("Ada", ada.expect("spirit_response"), q)
		check("Bram", bram.expect("spirit_response"), q)
	}

	// A screen that joins later gets the same answers, safety and all.
	late, _, err := ts.dial(t, s.ID, "last_seq=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	late.sendJSON(map[string]string{"user_id": "cleo", "name": "Cleo"})
	late.skipJoins(late.expectNext("session_state"))
	for _, q := range questions {
		late.expect("message_received")
		check("Cleo (replay)", late.expect("spirit_response"), q)
	}

	// History: spirit messages carry safety when the question was flagged.
	r := ts.get(t, "/api/sessions/"+s.ID+"/history")
	var hist []struct {
		IsSpirit bool        `json:"is_spirit"`
		Safety   *safetyView `json:"safety"`
	}
	r.data(t, &hist)
	var cats []string
	for _, m := range hist {
		if m.IsSpirit && m.Safety != nil {
			cats = append(cats, m.Safety.Category)
		}
	}
	if strings.Join(cats, ",") != "self_harm,dangerous,emergency" {
		t.Errorf("history safety: %v", cats)
	}
	md := ts.get(t, "/api/sessions/"+s.ID+"/transcript")
	if md.status != http.StatusOK || strings.Count(string(md.raw), "_Help: ") != 2 {
		t.Errorf("transcript does not keep the help shown: %s", md.raw)
	}
}
