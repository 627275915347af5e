package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestOpenAPIMatchesTheServer calls every operation the document lists, once
// as a client that does it right and once with an unknown séance, and checks
// that the server routes it (no 404/405 from the router) and answers with a
// status the document promises.
func TestOpenAPIMatchesTheServer(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	r := ts.get(t, "/openapi.json")
	if r.status != http.StatusOK {
		t.Fatalf("openapi.json: %d", r.status)
	}
	var doc struct {
		OpenAPI    string                                       `json:"openapi"`
		Paths      map[string]map[string]map[string]any         `json:"paths"`
		Components struct{ Schemas map[string]json.RawMessage } `json:"components"`
	}
	if err := json.Unmarshal(r.raw, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	for _, ref := range refs(r.raw) {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("dangling $ref %s", ref)
		}
	}

	s := ts.create(t, `{"name":"documented"}`)
	ts.appendMessages(t, s.ID, 2)
	wantPaths := []string{"/api/sessions", "/api/sessions/{id}", "/api/sessions/{id}/history", "/api/sessions/{id}/transcript", "/api/spirits", "/health", "/metrics", "/openapi.json", "/docs"}
	for _, p := range wantPaths {
		if doc.Paths[p] == nil {
			t.Errorf("the document lacks %s", p)
		}
	}

	calls := 0
	for path, item := range doc.Paths {
		for method, op := range item {
			responses, _ := op["responses"].(map[string]any)
			for _, id := range []string{s.ID, uuid.NewString()} {
				if id != s.ID && !strings.Contains(path, "{id}") {
					continue
				}
				url := strings.ReplaceAll(path, "{id}", id)
				var body *strings.Reader
				header := map[string]string{"Authorization": "Bearer " + s.HostToken}
				if op["requestBody"] != nil {
					body = strings.NewReader(`{"name":"via the document"}`)
				}
				var res *reply
				if body != nil {
					res = ts.do(t, strings.ToUpper(method), url, body, header)
				} else {
					res = ts.do(t, strings.ToUpper(method), url, nil, header)
				}
				calls++
				if res.env.Error != nil && (res.env.Error.Code == "NOT_FOUND" || res.env.Error.Code == "METHOD_NOT_ALLOWED") {
					t.Errorf("%s %s is documented but not routed: %s", method, url, res.raw)
					continue
				}
				if _, ok := responses[strconv.Itoa(res.status)]; !ok {
					t.Errorf("%s %s answered %d, which the document does not list (%v)", method, url, res.status, keys(responses))
				}
			}
		}
	}
	if calls < len(wantPaths) {
		t.Fatalf("only %d calls made", calls)
	}
}

func refs(raw []byte) []string {
	var out []string
	for _, part := range strings.Split(string(raw), `"$ref":"`)[1:] {
		out = append(out, part[:strings.IndexByte(part, '"')])
	}
	return out
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestDocsPage(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	r := ts.get(t, "/docs")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.raw), "/openapi.json") {
		t.Fatalf("/docs: %d %s", r.status, r.header.Get("Content-Type"))
	}
}
