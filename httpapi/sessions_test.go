package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/token"
)

func TestCreateAndGetSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) seance.Store) {
		ts := newServer(t, open(t))
		before := time.Now().Add(-time.Second)
		r := ts.post(t, "/api/sessions", `{"name":"  Midnight circle  ","max_users":4,"spirit":"sibyl","unknown_field":true}`)
		if r.status != http.StatusCreated {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		var created session
		r.data(t, &created)
		if got, want := r.header.Get("Location"), "/api/sessions/"+created.ID; got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
		if _, err := uuid.Parse(created.ID); err != nil {
			t.Errorf("id %q is not a UUID", created.ID)
		}
		if created.Name != "Midnight circle" || created.MaxUsers != 4 || created.Spirit != "sibyl" || !created.IsActive || created.ParticipantCount != 0 {
			t.Errorf("created %+v", created)
		}
		if created.CreatedAt.Before(before) || created.CreatedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("created_at %v is not now", created.CreatedAt)
		}
		claims, err := ts.tokens.Verify(created.HostToken)
		if err != nil || claims.SessionID != created.ID || claims.Role != token.RoleHost {
			t.Errorf("host_token: %+v, %v", claims, err)
		}
		if _, ok := r.env.Meta["timestamp"].(string); !ok {
			t.Errorf("meta.timestamp missing: %s", r.raw)
		}

		g := ts.get(t, "/api/sessions/"+created.ID)
		if g.status != http.StatusOK {
			t.Fatalf("get: %d %s", g.status, g.raw)
		}
		var got session
		g.data(t, &got)
		created.HostToken = ""
		if !got.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("created_at %v, then %v", created.CreatedAt, got.CreatedAt)
		}
		got.CreatedAt = created.CreatedAt
		if got != created {
			t.Errorf("get %+v, want %+v", got, created)
		}
		if strings.Contains(string(g.raw), "host_token") {
			t.Error("GET leaks the host token")
		}
	})
}

func TestCreateDefaults(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"x","max_users":null}`)
	if s.MaxUsers != 6 || s.Spirit != "ghost-in-the-machine" {
		t.Fatalf("defaults: %+v", s)
	}
}

func TestCreateBadInput(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	tests := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"empty name", `{"name":""}`, 400, seance.EValidation, "name"},
		{"whitespace name", `{"name":" \t\n "}`, 400, seance.EValidation, "name"},
		{"101-char name", `{"name":"` + strings.Repeat("a", 101) + `"}`, 400, seance.EValidation, "name"},
		{"101 emoji", `{"name":"` + strings.Repeat("👻", 101) + `"}`, 400, seance.EValidation, "name"},
		{"missing name", `{"max_users":4}`, 400, seance.EValidation, "name"},
		{"null name", `{"name":null}`, 400, seance.EValidation, "name"},
		{"number name", `{"name":42}`, 400, seance.EValidation, "name"},
		{"NUL in name", `{"name":"a\u0000b"}`, 400, seance.EValidation, "name"},
		{"control character in name", `{"name":"a\u0007b"}`, 400, seance.EValidation, "name"},
		{"max_users 1", `{"name":"x","max_users":1}`, 400, seance.EValidation, "max_users"},
		{"max_users 13", `{"name":"x","max_users":13}`, 400, seance.EValidation, "max_users"},
		{"max_users 0", `{"name":"x","max_users":0}`, 400, seance.EValidation, "max_users"},
		{"max_users -6", `{"name":"x","max_users":-6}`, 400, seance.EValidation, "max_users"},
		{"max_users as string", `{"name":"x","max_users":"6"}`, 400, seance.EValidation, "max_users"},
		{"max_users fraction", `{"name":"x","max_users":6.5}`, 400, seance.EValidation, "max_users"},
		{"max_users huge", `{"name":"x","max_users":1e40}`, 400, seance.EValidation, "max_users"},
		{"unknown spirit", `{"name":"x","spirit":"beelzebub"}`, 400, seance.EValidation, "spirit"},
		{"spirit not a string", `{"name":"x","spirit":7}`, 400, seance.EValidation, "spirit"},
		{"invalid JSON", `{"name":`, 400, seance.EInvalidJSON, ""},
		{"not JSON", `name=x`, 400, seance.EInvalidJSON, ""},
		{"empty body", ``, 400, seance.EInvalidJSON, ""},
		{"array", `[{"name":"x"}]`, 400, seance.EInvalidJSON, ""},
		{"string", `"x"`, 400, seance.EInvalidJSON, ""},
		{"trailing data", `{"name":"x"} {"name":"y"}`, 400, seance.EInvalidJSON, ""},
		{"huge body", `{"name":"x","pad":"` + strings.Repeat("a", 70<<10) + `"}`, 413, seance.EPayloadTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.post(t, "/api/sessions", tt.body)
			r.wantError(t, tt.status, tt.code)
			if tt.field != "" && r.env.Error.Details["field"] != tt.field {
				t.Fatalf("details.field %v, want %q", r.env.Error.Details["field"], tt.field)
			}
		})
	}
}

func TestHugeBodyWithoutContentLength(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	// A chunked body (no Content-Length) is cut off while it is read.
	pr := strings.NewReader(`{"name":"x","pad":"` + strings.Repeat("a", 100<<10) + `"}`)
	body := struct{ *strings.Reader }{pr} // hides Len, so the request is chunked
	r := ts.do(t, http.MethodPost, "/api/sessions", body, nil)
	r.wantError(t, 413, seance.EPayloadTooLarge)
}

func TestNamesStoredByteExact(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) seance.Store) {
		ts := newServer(t, open(t))
		names := []string{
			"👻🕯️ Séance of the 🦉",
			"جلسة تحضير الأرواح",
			"שלום עולם",
			`She said "who's there?"`,
			`Robert'); DROP TABLE sessions;--`,
			`1' OR '1'='1`,
			`back\slash and <b>tags</b> & ampersands`,
			strings.Repeat("界", 100),
		}
		for _, name := range names {
			body, _ := json.Marshal(map[string]any{"name": name})
			created := ts.create(t, string(body))
			var got session
			ts.get(t, "/api/sessions/"+created.ID).data(t, &got)
			if created.Name != name || got.Name != name {
				t.Errorf("name %q came back as %q then %q", name, created.Name, got.Name)
			}
		}
	})
}

func TestGetSessionNotFound(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	for _, id := range []string{uuid.NewString(), "not-a-uuid", "1", "%27%20OR%201%3D1", strings.Repeat("f", 300)} {
		r := ts.get(t, "/api/sessions/"+id)
		r.wantError(t, 404, seance.ESessionNotFound)
		if r.env.Error.Details["session_id"] == nil {
			t.Errorf("%s: details.session_id missing: %s", id, r.raw)
		}
	}
}

func TestConcurrentCreates(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) seance.Store) {
		ts := newServer(t, open(t))
		const n = 200
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := ts.Client().Post(ts.URL+"/api/sessions", "application/json", strings.NewReader(fmt.Sprintf(`{"name":"circle %d"}`, i)))
				if err != nil {
					errs[i] = err
					return
				}
				defer resp.Body.Close()
				var env struct {
					Data session `json:"data"`
				}
				if resp.StatusCode != http.StatusCreated {
					errs[i] = fmt.Errorf("status %d", resp.StatusCode)
					return
				}
				errs[i] = json.NewDecoder(resp.Body).Decode(&env)
				ids[i] = env.Data.ID
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("create %d: %v", i, errs[i])
			}
			if seen[ids[i]] {
				t.Fatalf("id %s returned twice", ids[i])
			}
			seen[ids[i]] = true
		}
		for i, id := range ids {
			var s session
			ts.get(t, "/api/sessions/"+id).data(t, &s)
			if s.Name != fmt.Sprintf("circle %d", i) {
				t.Fatalf("séance %s is named %q, want %q", id, s.Name, fmt.Sprintf("circle %d", i))
			}
		}
	})
}

func TestEndSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) seance.Store) {
		ts := newServer(t, open(t))
		s := ts.create(t, `{"name":"to end"}`)
		other := ts.create(t, `{"name":"another"}`)
		del := func(id, auth string) *reply {
			h := map[string]string{}
			if auth != "" {
				h["Authorization"] = auth
			}
			return ts.do(t, http.MethodDelete, "/api/sessions/"+id, nil, h)
		}
		expired, _ := token.NewIssuer([]byte(testSecret), -time.Minute, time.Now)
		old, _ := expired.Issue(token.Claims{SessionID: s.ID, Role: token.RoleHost})

		del(s.ID, "").wantError(t, 401, seance.EUnauthorized)
		del(s.ID, "Basic abc").wantError(t, 401, seance.EUnauthorized)
		del(s.ID, "Bearer ").wantError(t, 401, seance.EUnauthorized)
		del(s.ID, "Bearer not-a-jwt").wantError(t, 401, seance.EUnauthorized)
		del(s.ID, "Bearer "+old).wantError(t, 401, seance.EUnauthorized)
		del(s.ID, "Bearer "+other.HostToken).wantError(t, 403, seance.EForbidden)
		del(uuid.NewString(), "Bearer "+s.HostToken).wantError(t, 404, seance.ESessionNotFound)

		var still session
		ts.get(t, "/api/sessions/"+s.ID).data(t, &still)
		if !still.IsActive {
			t.Fatal("a refused DELETE ended the séance")
		}

		r := del(s.ID, "bearer "+s.HostToken)
		if r.status != http.StatusOK {
			t.Fatalf("end: %d %s", r.status, r.raw)
		}
		var ended session
		r.data(t, &ended)
		if ended.IsActive || ended.EndedAt == nil {
			t.Fatalf("ended séance: %+v", ended)
		}
		again := del(s.ID, "Bearer "+s.HostToken)
		var twice session
		again.data(t, &twice)
		if again.status != http.StatusOK || !twice.EndedAt.Equal(*ended.EndedAt) {
			t.Fatalf("ending twice: %d %s", again.status, again.raw)
		}
		var read session
		ts.get(t, "/api/sessions/"+s.ID).data(t, &read)
		if read.IsActive {
			t.Fatal("GET shows the ended séance as active")
		}
		var untouched session
		ts.get(t, "/api/sessions/"+other.ID).data(t, &untouched)
		if !untouched.IsActive {
			t.Fatal("ending one séance ended another")
		}
	})
}

type message struct {
	ID        string `json:"id"`
	Seq       int64  `json:"seq"`
	SessionID string `json:"session_id"`
	UserName  string `json:"user_name"`
	Message   string `json:"message"`
}

func TestHistoryPaging(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) seance.Store) {
		ts := newServer(t, open(t))
		s := ts.create(t, `{"name":"chatty"}`)
		ts.appendMessages(t, s.ID, 5)

		var all []message
		after := int64(0)
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			r := ts.get(t, fmt.Sprintf("/api/sessions/%s/history?after_seq=%d&limit=2", s.ID, after))
			var page []message
			r.data(t, &page)
			if r.env.Meta["limit"] != float64(2) {
				t.Fatalf("meta.limit %v", r.env.Meta["limit"])
			}
			all = append(all, page...)
			if r.env.Meta["has_more"] != true {
				if _, ok := r.env.Meta["next_after_seq"]; ok {
					t.Fatalf("last page has next_after_seq: %s", r.raw)
				}
				break
			}
			after = int64(r.env.Meta["next_after_seq"].(float64))
		}
		if len(all) != 5 {
			t.Fatalf("%d messages over all pages, want 5", len(all))
		}
		for i, m := range all {
			if m.Seq != int64(i+1) || m.Message != fmt.Sprintf("question %d", i+1) || m.SessionID != s.ID {
				t.Fatalf("message %d: %+v", i, m)
			}
		}

		r := ts.get(t, "/api/sessions/"+s.ID+"/history")
		var def []message
		r.data(t, &def)
		if len(def) != 5 || r.env.Meta["limit"] != float64(100) {
			t.Fatalf("default page: %d messages, meta %v", len(def), r.env.Meta)
		}
		empty := ts.create(t, `{"name":"quiet"}`)
		if raw := ts.get(t, "/api/sessions/"+empty.ID+"/history").env.Data; string(raw) != "[]" {
			t.Fatalf("history of a quiet séance: %s, want []", raw)
		}
	})
}

func TestHistoryBadInput(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"x"}`)
	for _, tt := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=201", "limit"}, {"limit=abc", "limit"}, {"limit=-1", "limit"},
		{"after_seq=-1", "after_seq"}, {"after_seq=1.5", "after_seq"}, {"after_seq=x", "after_seq"},
	} {
		r := ts.get(t, "/api/sessions/"+s.ID+"/history?"+tt.query)
		r.wantError(t, 400, seance.EValidation)
		if r.env.Error.Details["field"] != tt.field {
			t.Errorf("%s: details %v", tt.query, r.env.Error.Details)
		}
	}
	ts.get(t, "/api/sessions/"+uuid.NewString()+"/history").wantError(t, 404, seance.ESessionNotFound)
	ts.get(t, "/api/sessions/nope/history").wantError(t, 404, seance.ESessionNotFound)
}

func TestTranscript(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) seance.Store) {
		ts := newServer(t, open(t))
		s := ts.create(t, `{"name":"**Bold** # circle"}`)
		ts.appendMessages(t, s.ID, 3)

		md := ts.get(t, "/api/sessions/"+s.ID+"/transcript?format=md")
		if md.status != 200 || !strings.HasPrefix(md.header.Get("Content-Type"), "text/markdown") {
			t.Fatalf("markdown: %d %s", md.status, md.header.Get("Content-Type"))
		}
		text := string(md.raw)
		for _, want := range []string{`# Séance: \*\*Bold\*\* \# circle`, "**Ada**", "question 1", "question 3", "- Messages: 3"} {
			if !strings.Contains(text, want) {
				t.Errorf("markdown lacks %q:\n%s", want, text)
			}
		}
		if !strings.Contains(md.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("Content-Disposition %q", md.header.Get("Content-Disposition"))
		}
		if def := ts.get(t, "/api/sessions/"+s.ID+"/transcript"); string(def.raw) != text {
			t.Error("the default format is not Markdown")
		}

		var doc struct {
			Session  session   `json:"session"`
			Messages []message `json:"messages"`
		}
		ts.get(t, "/api/sessions/"+s.ID+"/transcript?format=json").data(t, &doc)
		if doc.Session.ID != s.ID || len(doc.Messages) != 3 || doc.Messages[2].Seq != 3 {
			t.Fatalf("json transcript: %+v", doc)
		}
		ts.get(t, "/api/sessions/"+s.ID+"/transcript?format=pdf").wantError(t, 400, seance.EValidation)
		ts.get(t, "/api/sessions/"+uuid.NewString()+"/transcript").wantError(t, 404, seance.ESessionNotFound)
	})
}

func TestSpirits(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	var spirits []struct{ ID, Name, Description string }
	ts.get(t, "/api/spirits").data(t, &spirits)
	ids := map[string]bool{}
	for _, s := range spirits {
		if s.Name == "" || s.Description == "" {
			t.Errorf("spirit %+v lacks a name or description", s)
		}
		ids[s.ID] = true
	}
	for _, id := range []string{"ghost-in-the-machine", "victorian-guide", "poltergeist", "sibyl"} {
		if !ids[id] {
			t.Errorf("spirit %s missing", id)
		}
	}
	if spirits[0].ID != "ghost-in-the-machine" {
		t.Errorf("default spirit listed first is %s", spirits[0].ID)
	}
}
