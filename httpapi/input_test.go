package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/web"
)

// send makes a request with exactly the headers given: unlike ts.do, it
// adds no Content-Type of its own, and a ctype of "" sends none.
func (ts *testServer) send(t *testing.T, method, path, ctype, body string, header map[string]string) *reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	r := &reply{status: resp.StatusCode, header: resp.Header}
	if r.raw, err = io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(r.raw) > 0 {
		if err := json.Unmarshal(r.raw, &r.env); err != nil {
			t.Fatalf("%s %s: response is not JSON: %s", method, path, r.raw)
		}
	}
	return r
}

func TestBodiesMustBeDeclaredJSON(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	tests := []struct {
		name   string
		method string
		path   string
		ctype  string
		body   string
		want   int // the status; 415 comes with UNSUPPORTED_MEDIA_TYPE
	}{
		{"JSON creates", http.MethodPost, "/api/sessions", "application/json", `{"name":"declared"}`, http.StatusCreated},
		{"JSON with charset", http.MethodPost, "/api/sessions", "application/json; charset=utf-8", `{"name":"declared"}`, http.StatusCreated},
		{"JSON in capitals", http.MethodPost, "/api/sessions", "Application/JSON;Charset=UTF-8", `{"name":"declared"}`, http.StatusCreated},
		{"JSON with spaces", http.MethodPost, "/api/sessions", "application/json ; charset=utf-8", `{"name":"declared"}`, http.StatusCreated},

		{"no Content-Type", http.MethodPost, "/api/sessions", "", `{"name":"forged"}`, http.StatusUnsupportedMediaType},
		{"no Content-Type nor body", http.MethodPost, "/api/sessions", "", "", http.StatusUnsupportedMediaType},
		{"text/plain", http.MethodPost, "/api/sessions", "text/plain;charset=UTF-8", `{"name":"forged"}`, http.StatusUnsupportedMediaType},
		{"form", http.MethodPost, "/api/sessions", "application/x-www-form-urlencoded", `name=forged`, http.StatusUnsupportedMediaType},
		{"multipart", http.MethodPost, "/api/sessions", "multipart/form-data; boundary=x", "--x--", http.StatusUnsupportedMediaType},
		{"text/json", http.MethodPost, "/api/sessions", "text/json", `{"name":"forged"}`, http.StatusUnsupportedMediaType},
		{"a longer type", http.MethodPost, "/api/sessions", "application/jsonx", `{"name":"forged"}`, http.StatusUnsupportedMediaType},
		{"a suffixed type", http.MethodPost, "/api/sessions", "application/vnd.api+json", `{"name":"forged"}`, http.StatusUnsupportedMediaType},
		{"malformed parameter", http.MethodPost, "/api/sessions", "application/json; charset", `{"name":"forged"}`, http.StatusUnsupportedMediaType},
		{"PUT", http.MethodPut, "/api/sessions", "text/plain", `{}`, http.StatusUnsupportedMediaType},
		{"PATCH", http.MethodPatch, "/api/sessions/x", "", `{}`, http.StatusUnsupportedMediaType},
		{"beyond /api/", http.MethodPost, "/health", "text/plain", `x`, http.StatusUnsupportedMediaType},

		{"GET needs none", http.MethodGet, "/api/spirits", "", "", http.StatusOK},
		{"GET with any", http.MethodGet, "/api/spirits", "text/plain", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.send(t, tt.method, tt.path, tt.ctype, tt.body, nil)
			if tt.want != http.StatusUnsupportedMediaType {
				if r.status != tt.want {
					t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.raw)
				}
				return
			}
			r.wantError(t, http.StatusUnsupportedMediaType, seance.EMediaType)
			if !strings.Contains(r.env.Error.Message, "application/json") {
				t.Fatalf("the message does not say what to send: %q", r.env.Error.Message)
			}
			if got, _ := r.env.Error.Details["content_type"].(string); got != tt.ctype {
				t.Fatalf("details.content_type %q, want %q", got, tt.ctype)
			}
		})
	}
}

// A page on another site can post text/plain without a preflight: the
// request is refused before it does anything.
func TestCrossSiteFormPostChangesNothing(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"target"}`)
	header := map[string]string{"Origin": "http://evil.example"}
	ts.send(t, http.MethodPost, "/api/sessions/"+s.ID+"/join", "text/plain", `{"name":"Mallory"}`, header).
		wantError(t, http.StatusUnsupportedMediaType, seance.EMediaType)
	var got session
	ts.get(t, "/api/sessions/"+s.ID).data(t, &got)
	if got.ParticipantCount != 0 {
		t.Fatalf("a refused join joined: %d participants", got.ParticipantCount)
	}
	// The same page's DELETE needs a preflight and the host's token anyway;
	// only the methods with bodies are checked for their type.
	r := ts.send(t, http.MethodDelete, "/api/sessions/"+s.ID, "", "", map[string]string{"Authorization": "Bearer " + s.HostToken})
	if r.status != http.StatusOK {
		t.Fatalf("DELETE without a Content-Type: %d %s", r.status, r.raw)
	}
}

func TestPlainOptionsAnswersAllow(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"asked"}`)
	tests := []struct {
		name   string
		path   string
		header map[string]string
		want   []string // the methods Allow must name
	}{
		{"collection", "/api/sessions", nil, []string{"POST", "OPTIONS"}},
		{"one séance", "/api/sessions/" + s.ID, nil, []string{"GET", "HEAD", "DELETE", "OPTIONS"}},
		{"join", "/api/sessions/" + s.ID + "/join", nil, []string{"POST", "OPTIONS"}},
		{"health", "/health", nil, []string{"GET", "HEAD", "OPTIONS"}},
		{"with Origin only", "/api/sessions", map[string]string{"Origin": "http://localhost:3000"}, []string{"POST", "OPTIONS"}},
		{"with a foreign Origin only", "/api/sessions", map[string]string{"Origin": "http://evil.example"}, []string{"POST", "OPTIONS"}},
		{"with the request method only", "/api/sessions", map[string]string{"Access-Control-Request-Method": "POST"}, []string{"POST", "OPTIONS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.send(t, http.MethodOptions, tt.path, "", "", tt.header)
			if r.status != http.StatusNoContent || len(r.raw) != 0 {
				t.Fatalf("OPTIONS %s: %d %s", tt.path, r.status, r.raw)
			}
			allow := strings.Split(r.header.Get("Allow"), ", ")
			for _, m := range tt.want {
				if !slices.Contains(allow, m) {
					t.Fatalf("OPTIONS %s: Allow %q lacks %s", tt.path, r.header.Get("Allow"), m)
				}
			}
			if r.header.Get("Access-Control-Allow-Methods") != "" {
				t.Fatalf("OPTIONS %s answered as a preflight: %v", tt.path, r.header)
			}
		})
	}
	// A path that does not exist is still not found, whatever the method.
	ts.send(t, http.MethodOptions, "/api/nothing-here", "", "", nil).wantError(t, http.StatusNotFound, seance.ENotFound)
	// A real preflight is still the CORS middleware's.
	pre := ts.send(t, http.MethodOptions, "/api/sessions", "", "", map[string]string{
		"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
	})
	if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Fatalf("preflight: %d %v", pre.status, pre.header)
	}
}

func TestMissingStaticIsEnveloped(t *testing.T) {
	ui, err := web.New()
	if err != nil {
		t.Fatal(err)
	}
	ts := newServerWith(t, sqliteStore(t), func(o *depsOverride) { o.ui = ui })
	tests := []struct {
		name, path string
	}{
		{"unknown file", "/static/nope.js"},
		{"the page is not an asset", "/static/index.html"},
		{"a stale hash", "/static/app.00000000.js"},
		{"a deeper path", "/static/fonts/nope.woff2"},
		{"the folder", "/static/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.get(t, tt.path)
			r.wantError(t, http.StatusNotFound, seance.ENotFound)
			if r.env.Error.Details["path"] != tt.path {
				t.Fatalf("details %v, want path %s", r.env.Error.Details, tt.path)
			}
		})
	}
	// What exists is still served as itself.
	r := ts.get(t, "/static/app.js")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") || len(r.raw) == 0 {
		t.Fatalf("/static/app.js: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if head := ts.send(t, http.MethodHead, "/static/nope.css", "", "", nil); head.status != http.StatusNotFound || !strings.HasPrefix(head.header.Get("Content-Type"), "application/json") {
		t.Fatalf("HEAD of a missing asset: %d %s", head.status, head.header.Get("Content-Type"))
	}
}

func TestInvalidUTF8BodyIsRefused(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"strict"}`)
	tests := []struct {
		name   string
		path   string
		body   string
		offset float64 // of the first bad byte, when refused
		want   int
	}{
		{"a stray byte", "/api/sessions", "{\"name\":\"a\xffb\"}", 10, http.StatusBadRequest},
		{"a truncated sequence", "/api/sessions", "{\"name\":\"ab\xc3\"}", 11, http.StatusBadRequest},
		{"an overlong slash", "/api/sessions", "{\"name\":\"a\xc0\xafb\"}", 10, http.StatusBadRequest},
		{"a surrogate", "/api/sessions", "{\"name\":\"a\xed\xa0\x80b\"}", 10, http.StatusBadRequest},
		{"outside a string", "/api/sessions", "{\"name\":\"ab\"\xff}", 12, http.StatusBadRequest},
		{"in a join", "/api/sessions/" + s.ID + "/join", "{\"name\":\"Ad\xe9\"}", 11, http.StatusBadRequest},

		{"the replacement character itself", "/api/sessions", "{\"name\":\"a\uFFFDb\"}", 0, http.StatusCreated},
		{"four-byte characters", "/api/sessions", `{"name":"👻 circle"}`, 0, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.send(t, http.MethodPost, tt.path, "application/json", tt.body, nil)
			if tt.want != http.StatusBadRequest {
				if r.status != tt.want {
					t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.raw)
				}
				return
			}
			r.wantError(t, http.StatusBadRequest, seance.EInvalidJSON)
			if r.env.Error.Details["offset"] != tt.offset {
				t.Fatalf("details %v, want offset %v", r.env.Error.Details, tt.offset)
			}
		})
	}
	var got session
	ts.get(t, "/api/sessions/"+s.ID).data(t, &got)
	if got.ParticipantCount != 0 {
		t.Fatalf("a refused join joined: %d participants", got.ParticipantCount)
	}
}
