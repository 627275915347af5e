package wire_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/wire"
)

func TestDecode(t *testing.T) {
	ghosts := func(n int) string { return strings.Repeat("👻", n) }
	long := strings.Repeat("u", 10000)
	for _, tt := range []struct {
		name  string
		in    string
		want  wire.ClientFrame
		code  string // the error's contract code, when an error is wanted
		field string // the error's details.field, when it names one
	}{
		// The [orig] identify frame.
		{name: "identify", in: `{"user_id":"u1","name":"Ada"}`, want: wire.ClientFrame{Kind: wire.KindIdentify, UserID: "u1", Name: "Ada"}},
		{name: "identify trimmed", in: "  {\"user_id\":\"  u1 \",\"name\":\"\\t Ada  \"}\n", want: wire.ClientFrame{Kind: wire.KindIdentify, UserID: "u1", Name: "Ada"}},
		{name: "identify without user_id", in: `{"name":"Ada"}`, want: wire.ClientFrame{Kind: wire.KindIdentify, Name: "Ada"}},
		{name: "identify null user_id", in: `{"user_id":null,"name":"Ada"}`, want: wire.ClientFrame{Kind: wire.KindIdentify, Name: "Ada"}},
		{name: "identify extra fields", in: `{"user_id":"u1","name":"Ada","avatar":{"x":1}}`, want: wire.ClientFrame{Kind: wire.KindIdentify, UserID: "u1", Name: "Ada"}},
		{name: "identify without name", in: `{"user_id":"u1"}`, code: seance.EValidation, field: "name"},
		{name: "identify null name", in: `{"user_id":"u1","name":null}`, code: seance.EValidation, field: "name"},
		{name: "identify numeric user_id", in: `{"user_id":5,"name":"Ada"}`, code: seance.EValidation, field: "user_id"},
		{name: "identify object user_id", in: `{"user_id":{},"name":"Ada"}`, code: seance.EValidation, field: "user_id"},
		{name: "identify numeric name", in: `{"user_id":"u1","name":5}`, code: seance.EValidation, field: "name"},
		{name: "user_id of 64", in: `{"user_id":"` + strings.Repeat("é", 64) + `","name":"Ada"}`, want: wire.ClientFrame{Kind: wire.KindIdentify, UserID: strings.Repeat("é", 64), Name: "Ada"}},
		{name: "user_id of 65", in: `{"user_id":"` + strings.Repeat("é", 65) + `","name":"Ada"}`, code: seance.EValidation, field: "user_id"},
		{name: "huge user_id", in: `{"user_id":"` + long + `","name":"Ada"}`, code: seance.EValidation, field: "user_id"},

		// Names: 1 to 50 characters after trimming, characters being runes.
		{name: "name of 0", in: `{"user_id":"u","name":""}`, code: seance.EValidation, field: "name"},
		{name: "name of spaces", in: `{"user_id":"u","name":"   "}`, code: seance.EValidation, field: "name"},
		{name: "name of 1 emoji", in: `{"user_id":"u","name":"👻"}`, want: wire.ClientFrame{Kind: wire.KindIdentify, UserID: "u", Name: "👻"}},
		{name: "name of 50 emoji", in: `{"user_id":"u","name":"` + ghosts(50) + `"}`, want: wire.ClientFrame{Kind: wire.KindIdentify, UserID: "u", Name: ghosts(50)}},
		{name: "name of 50 emoji padded", in: `{"user_id":"u","name":"  ` + ghosts(50) + ` "}`, want: wire.ClientFrame{Kind: wire.KindIdentify, UserID: "u", Name: ghosts(50)}},
		{name: "name of 51 emoji", in: `{"user_id":"u","name":"` + ghosts(51) + `"}`, code: seance.EValidation, field: "name"},
		{name: "name of 50 ascii", in: `{"user_id":"u","name":"` + strings.Repeat("a", 50) + `"}`, want: wire.ClientFrame{Kind: wire.KindIdentify, UserID: "u", Name: strings.Repeat("a", 50)}},
		{name: "name of 51 ascii", in: `{"user_id":"u","name":"` + strings.Repeat("a", 51) + `"}`, code: seance.EValidation, field: "name"},
		{name: "name escaped", in: `{"user_id":"u","name":"\u00c9mile \ud83d\udc7b"}`, want: wire.ClientFrame{Kind: wire.KindIdentify, UserID: "u", Name: "Émile 👻"}},
		{name: "name with NUL", in: `{"user_id":"u","name":"Ada\u0000"}`, code: seance.EValidation, field: "name"},
		{name: "name with a newline inside", in: `{"user_id":"u","name":"Ada\nLovelace"}`, code: seance.EValidation, field: "name"},
		{name: "user_id with NUL", in: `{"user_id":"u\u0000","name":"Ada"}`, code: seance.EValidation, field: "user_id"},
		{name: "invalid UTF-8 replaced", in: "{\"user_id\":\"u\",\"name\":\"Ad\xffa\"}", want: wire.ClientFrame{Kind: wire.KindIdentify, UserID: "u", Name: "Ad\uFFFDa"}},

		// The join_session form of identify.
		{name: "join_session", in: `{"event":"join_session","data":{"user_id":"u1","name":"Ada"}}`, want: wire.ClientFrame{Kind: wire.KindIdentify, UserID: "u1", Name: "Ada"}},
		{name: "join_session without data", in: `{"event":"join_session"}`, code: seance.EValidation, field: "data"},
		{name: "join_session array data", in: `{"event":"join_session","data":[{"user_id":"u1","name":"Ada"}]}`, code: seance.EValidation, field: "data"},
		{name: "join_session long name", in: `{"event":"join_session","data":{"user_id":"u1","name":"` + ghosts(51) + `"}}`, code: seance.EValidation, field: "name"},

		// send_message: the text is the hub's to check; a user_name is ignored.
		{name: "send_message", in: `{"event":"send_message","data":{"message":"Is anyone there?"}}`, want: wire.ClientFrame{Kind: wire.KindSend, Message: "Is anyone there?"}},
		{name: "send_message untrimmed", in: `{"event":"send_message","data":{"message":"  hi  ","user_name":"Mallory"}}`, want: wire.ClientFrame{Kind: wire.KindSend, Message: "  hi  "}},
		{name: "send_message without message", in: `{"event":"send_message","data":{}}`, want: wire.ClientFrame{Kind: wire.KindSend}},
		{name: "send_message without data", in: `{"event":"send_message"}`, want: wire.ClientFrame{Kind: wire.KindSend}},
		{name: "send_message null message", in: `{"event":"send_message","data":{"message":null}}`, want: wire.ClientFrame{Kind: wire.KindSend}},
		{name: "send_message string data", in: `{"event":"send_message","data":"hi"}`, want: wire.ClientFrame{Kind: wire.KindSend}},
		{name: "send_message numeric message", in: `{"event":"send_message","data":{"message":5}}`, code: seance.EValidation, field: "message"},
		{name: "send_message array message", in: `{"event":"send_message","data":{"message":["hi"]}}`, code: seance.EValidation, field: "message"},
		{name: "send_message bool message", in: `{"event":"send_message","data":{"message":true}}`, code: seance.EValidation, field: "message"},
		{name: "send_message multiline", in: `{"event":"send_message","data":{"message":"one\ntwo"}}`, want: wire.ClientFrame{Kind: wire.KindSend, Message: "one\ntwo"}},
		{name: "send_message with NUL", in: `{"event":"send_message","data":{"message":"hi\u0000"}}`, want: wire.ClientFrame{Kind: wire.KindSend, Message: "hi\x00"}},

		{name: "typing", in: `{"event":"typing","data":{}}`, want: wire.ClientFrame{Kind: wire.KindTyping}},
		{name: "typing without data", in: `{"event":"typing"}`, want: wire.ClientFrame{Kind: wire.KindTyping}},
		{name: "ping", in: `{"event":"ping"}`, want: wire.ClientFrame{Kind: wire.KindPing}},
		{name: "ping with data", in: ` {"event":"ping","data":[1,2]} `, want: wire.ClientFrame{Kind: wire.KindPing}},

		{name: "unknown event", in: `{"event":"summon_demon","data":{}}`, code: seance.EUnknownEvent},
		{name: "event case matters", in: `{"event":"PING"}`, code: seance.EUnknownEvent},
		{name: "empty event", in: `{"event":""}`, code: seance.EUnknownEvent},
		{name: "no event", in: `{}`, code: seance.EUnknownEvent},
		{name: "null event", in: `{"event":null}`, code: seance.EUnknownEvent},
		{name: "data without event", in: `{"data":{"message":"hi"}}`, code: seance.EUnknownEvent},
		{name: "numeric event", in: `{"event":5}`, code: seance.EUnknownEvent},
		{name: "object event", in: `{"event":{"name":"ping"}}`, code: seance.EUnknownEvent},

		{name: "truncated", in: `{"event":`, code: seance.EInvalidJSON},
		{name: "empty", in: ``, code: seance.EInvalidJSON},
		{name: "blank", in: " \n\t", code: seance.EInvalidJSON},
		{name: "trailing comma", in: `{"event":"ping",}`, code: seance.EInvalidJSON},
		{name: "two objects", in: `{"event":"ping"} {"event":"ping"}`, code: seance.EInvalidJSON},
		{name: "array", in: `[{"event":"ping"}]`, code: seance.EInvalidJSON},
		{name: "empty array", in: `[]`, code: seance.EInvalidJSON},
		{name: "string", in: `"ping"`, code: seance.EInvalidJSON},
		{name: "number", in: `42`, code: seance.EInvalidJSON},
		{name: "null", in: `null`, code: seance.EInvalidJSON},
		{name: "not JSON", in: `hello spirits`, code: seance.EInvalidJSON},
		{name: "too deep", in: strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000), code: seance.EInvalidJSON},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wire.Decode([]byte(tt.in))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Decode(%.80s): %v", tt.in, err)
				}
				if got != tt.want {
					t.Fatalf("Decode(%.80s) = %+v, want %+v", tt.in, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Decode(%.80s) = %+v, want error %s", tt.in, got, tt.code)
			}
			var e *seance.Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Fatalf("Decode(%.80s): %v (%s), want %s", tt.in, err, seance.ErrorCode(err), tt.code)
			}
			if tt.field != "" && e.Details["field"] != tt.field {
				t.Fatalf("Decode(%.80s): details %v, want field %q", tt.in, e.Details, tt.field)
			}
			// Errors go to clients: short, in words, never Go's internals.
			if msg := e.Message; msg == "" || utf8.RuneCountInString(msg) > 120 || strings.Contains(msg, "json:") || strings.Contains(msg, "Go ") {
				t.Fatalf("Decode(%.80s): client-facing message %q", tt.in, msg)
			}
		})
	}
}

// An unknown event's name is echoed back, but not all of it.
func TestDecodeUnknownEventIsTruncated(t *testing.T) {
	_, err := wire.Decode([]byte(`{"event":"` + strings.Repeat("👻", 5000) + `"}`))
	var e *seance.Error
	if !errors.As(err, &e) || e.Code != seance.EUnknownEvent {
		t.Fatalf("error %v", err)
	}
	ev, _ := e.Details["event"].(string)
	if n := utf8.RuneCountInString(ev); n > 41 || utf8.RuneCountInString(e.Message) > 60 {
		t.Fatalf("echoed %d characters of the event: %q", n, e.Message)
	}
}

var kinds = []string{wire.KindIdentify, wire.KindSend, wire.KindTyping, wire.KindPing}

// Decode is the first thing every byte from the network meets.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"user_id":"u1","name":"Ada"}`,
		`{"event":"send_message","data":{"message":"hi"}}`,
		`{"event":"ping"}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := wire.Decode(b)
		again, err2 := wire.Decode(b)
		if got != again || (err == nil) != (err2 == nil) {
			t.Fatalf("Decode is not deterministic on %q", b)
		}
		if err != nil {
			switch code := seance.ErrorCode(err); code {
			case seance.EInvalidJSON, seance.EUnknownEvent, seance.EValidation:
			default:
				t.Fatalf("Decode(%q): code %s (%v), want one of the contract's", b, code, err)
			}
			if got != (wire.ClientFrame{}) {
				t.Fatalf("Decode(%q) returned %+v with its error", b, got)
			}
			if msg := seance.ErrorMessage(err); msg == "" || !utf8.ValidString(msg) {
				t.Fatalf("Decode(%q): message %q", b, msg)
			}
			// The refusal itself must encode.
			if !json.Valid(wire.ErrorFrame(err, time.Now())) {
				t.Fatalf("Decode(%q): error frame is not JSON", b)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("Decode(%q) accepted invalid JSON", b)
		}
		if !slices.Contains(kinds, got.Kind) {
			t.Fatalf("Decode(%q): kind %q", b, got.Kind)
		}
		switch got.Kind {
		case wire.KindIdentify:
			if n := utf8.RuneCountInString(got.Name); n < 1 || n > seance.MaxParticipantName || strings.TrimSpace(got.Name) != got.Name || !utf8.ValidString(got.Name) {
				t.Fatalf("Decode(%q): name %q (%d runes)", b, got.Name, n)
			}
			if strings.ContainsFunc(got.Name+got.UserID, unicode.IsControl) {
				t.Fatalf("Decode(%q): control character in %+v", b, got)
			}
			if utf8.RuneCountInString(got.UserID) > 64 || strings.TrimSpace(got.UserID) != got.UserID || !utf8.ValidString(got.UserID) {
				t.Fatalf("Decode(%q): user_id %q", b, got.UserID)
			}
			if got.Message != "" {
				t.Fatalf("Decode(%q): identify with a message", b)
			}
		case wire.KindSend:
			if !utf8.ValidString(got.Message) || strings.ContainsRune(got.Message, 0) || got.UserID != "" || got.Name != "" {
				t.Fatalf("Decode(%q) = %+v", b, got)
			}
		default:
			if got != (wire.ClientFrame{Kind: got.Kind}) {
				t.Fatalf("Decode(%q) = %+v", b, got)
			}
		}
	})
}

func TestEncode(t *testing.T) {
	at := time.Date(2026, 10, 31, 23, 59, 59, 123456000, time.FixedZone("CET", 3600))
	for _, tt := range []struct {
		name  string
		frame []byte
		event string
	}{
		{"pong", wire.Encode(wire.EvPong, struct{}{}, at), wire.EvPong},
		{"null data", wire.Encode(wire.EvPong, nil, at), wire.EvPong},
		{"user_joined", wire.Encode(wire.EvUserJoined, wire.Participant{ID: "u1", Name: "Ada", JoinedAt: at}, at), wire.EvUserJoined},
		{"error", wire.ErrorFrame(seance.Errorf(seance.ESpiritBusy, "wait"), at), wire.EvError},
		{"session_ended", wire.Encode(wire.EvSessionEnded, wire.SessionEnded{Reason: "host"}, at), wire.EvSessionEnded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var keys map[string]json.RawMessage
			if err := json.Unmarshal(tt.frame, &keys); err != nil {
				t.Fatal(err)
			}
			got := slices.Sorted(func(yield func(string) bool) {
				for k := range keys {
					if !yield(k) {
						return
					}
				}
			})
			if !slices.Equal(got, []string{"data", "event", "timestamp"}) {
				t.Fatalf("keys %v, want exactly event, data, timestamp [orig]: %s", got, tt.frame)
			}
			var f struct {
				Event     string `json:"event"`
				Timestamp string `json:"timestamp"`
			}
			_ = json.Unmarshal(tt.frame, &f)
			ts, err := time.Parse(time.RFC3339Nano, f.Timestamp)
			if f.Event != tt.event || err != nil || !ts.Equal(at) || !strings.HasSuffix(f.Timestamp, "Z") {
				t.Fatalf("frame %s: event %q, timestamp %q (%v), want %s at %v in UTC", tt.frame, f.Event, f.Timestamp, err, tt.event, at)
			}
		})
	}
}

func TestErrorFrame(t *testing.T) {
	at := time.Now()
	var busy struct {
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(wire.ErrorFrame(seance.Errorf(seance.ESpiritBusy, "Let it answer first.").With("waiting", 3), at), &busy)
	if busy.Data["code"] != seance.ESpiritBusy || busy.Data["message"] != "Let it answer first." || busy.Data["details"].(map[string]any)["waiting"] != float64(3) {
		t.Fatalf("error data %v", busy.Data)
	}
	var internal struct {
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(wire.ErrorFrame(errors.New("disk on fire at /var/lib/seance"), at), &internal)
	if internal.Data["code"] != seance.EInternal || strings.Contains(internal.Data["message"].(string), "disk") {
		t.Fatalf("internal error shown to a client: %v", internal.Data)
	}
	if _, ok := internal.Data["details"]; ok {
		t.Fatalf("empty details are left out: %v", internal.Data)
	}
}

func TestPersistedFrame(t *testing.T) {
	at := time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC)
	question := seance.Message{ID: "q1", Seq: 7, SessionID: "s1", UserID: "u1", UserName: "Ada", Text: "Is anyone there?", Timestamp: at}
	var q struct {
		Event string         `json:"event"`
		Data  map[string]any `json:"data"`
	}
	if err := json.Unmarshal(wire.PersistedFrame(question, "sibyl"), &q); err != nil {
		t.Fatal(err)
	}
	if q.Event != wire.EvMessage {
		t.Fatalf("question as %s", q.Event)
	}
	for k, v := range map[string]any{"id": "q1", "seq": float64(7), "user_id": "u1", "user_name": "Ada", "message": "Is anyone there?", "timestamp": "2026-10-31T23:00:00Z"} {
		if q.Data[k] != v {
			t.Fatalf("message_received %s = %v, want %v [orig]", k, q.Data[k], v)
		}
	}
	for _, k := range []string{"letter_timings", "reply_to", "audio_url"} {
		if _, ok := q.Data[k]; ok {
			t.Fatalf("message_received has %s: %v", k, q.Data)
		}
	}

	for _, text := range []string{"YES", "NO. Not tonight", "GOODBYE", "Ask again when the candle burns lower", "Émile says 👻 — née?", "x"} {
		answer := seance.Message{
			ID: "a1", Seq: 8, SessionID: "s1", UserID: "spirit", UserName: "The Sibyl", Text: text,
			IsSpirit: true, ReplyTo: "q1", Timestamp: at, LetterTimings: spirit.LetterTimings(text, "a1"),
		}
		raw := wire.PersistedFrame(answer, "sibyl")
		if !strings.Contains(string(raw), `"audio_url":null`) {
			t.Fatalf("spirit_response without \"audio_url\":null [orig]: %s", raw)
		}
		var a struct {
			Event string `json:"event"`
			Data  struct {
				ID            string    `json:"id"`
				Seq           int64     `json:"seq"`
				ReplyTo       string    `json:"reply_to"`
				Message       string    `json:"message"`
				WordCount     int       `json:"word_count"`
				LetterTimings []int     `json:"letter_timings"`
				Spirit        string    `json:"spirit"`
				Timestamp     time.Time `json:"timestamp"`
				StartsAt      time.Time `json:"starts_at"`
				IsSpirit      bool      `json:"is_spirit"`
			} `json:"data"`
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
		d := a.Data
		if a.Event != wire.EvSpiritResponse || d.ID != "a1" || d.Seq != 8 || d.ReplyTo != "q1" || d.Message != text || d.Spirit != "sibyl" || !d.IsSpirit ||
			d.WordCount != len(strings.Fields(text)) || !d.Timestamp.Equal(at) || !d.StartsAt.Equal(at.Add(wire.PlanchetteLead)) {
			t.Fatalf("spirit_response %s", raw)
		}
		if len(d.LetterTimings) != utf8.RuneCountInString(text) {
			t.Fatalf("%d letter timings for %q (%d characters)", len(d.LetterTimings), text, utf8.RuneCountInString(text))
		}
	}

	// An answer stored without timings still carries an array.
	bare := seance.Message{ID: "a2", Seq: 9, UserID: "spirit", Text: "YES", IsSpirit: true, ReplyTo: "q1", Timestamp: at}
	if raw := string(wire.PersistedFrame(bare, "sibyl")); !strings.Contains(raw, `"letter_timings":[`) {
		t.Fatalf("letter_timings is not an array: %s", raw)
	}
}

func TestCloseFor(t *testing.T) {
	for code, want := range map[string]int{
		seance.EUnauthorized:    wire.CloseUnauthorized,
		seance.EValidation:      wire.CloseUnauthorized,
		seance.ESessionNotFound: wire.CloseNotFound,
		seance.ESessionFull:     wire.CloseFull,
		seance.ESessionEnded:    wire.CloseEnded,
		seance.ERemoved:         wire.CloseRemoved,
		seance.EIdentifyTimeout: wire.CloseIdentifyTimeout,
		seance.EShuttingDown:    wire.CloseGoingAway,
		seance.ERateLimited:     0,
		seance.ESpiritBusy:      0,
		seance.EInvalidJSON:     0,
		seance.EInternal:        0,
	} {
		if got := wire.CloseFor(code); got != want {
			t.Errorf("CloseFor(%s) = %d, want %d", code, got, want)
		}
	}
}
