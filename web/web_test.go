package web

import (
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func TestAssetsAreHashedAndResolvable(t *testing.T) {
	ui, err := New()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", ui.Page)
	mux.HandleFunc("GET /static/{name}", ui.Static)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("page CSP = %q", csp)
	}

	// Every reference in every text asset, and in the page, names a hashed
	// asset that is served immutable with the right type.
	ref := regexp.MustCompile(`["'](?:/static/|\./)([A-Za-z0-9_.-]+)["']`)
	bodies := map[string][]byte{"index.html": ui.page}
	for name, a := range ui.files {
		if isText(path.Ext(name)) && name != "index.html" {
			bodies[name] = a.body
		}
	}
	seen := 0
	for from, body := range bodies {
		for _, m := range ref.FindAllSubmatch(body, -1) {
			name := string(m[1])
			a, ok := ui.byHash[name]
			if !ok {
				t.Errorf("%s refers to %q, which is not a hashed asset", from, name)
				continue
			}
			seen++
			res, err := http.Get(srv.URL + "/static/" + name)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || res.Header.Get("Content-Type") != a.ctype {
				t.Errorf("/static/%s: %d %q %q", name, res.StatusCode, res.Header.Get("Cache-Control"), res.Header.Get("Content-Type"))
			}
		}
	}
	if seen < 10 {
		t.Fatalf("only %d asset references found; the rewrite is not happening", seen)
	}
	if ui.files["app.js"].ctype != "text/javascript; charset=utf-8" || ui.files["ebgaramond-regular.woff2"].ctype != "font/woff2" {
		t.Fatal("content types")
	}
}

func TestAModuleHashCoversItsImports(t *testing.T) {
	raw := map[string][]byte{
		"index.html": []byte(`<script type="module" src="/static/app.js"></script>`),
		"app.js":     []byte(`import { x } from "./lib.js";`),
		"lib.js":     []byte(`export const x = 1;`),
	}
	hashOf := func(raw map[string][]byte) string {
		ui := &UI{files: map[string]asset{}, byHash: map[string]asset{}}
		for name := range raw {
			if err := ui.load(name, raw, map[string]bool{}); err != nil {
				t.Fatal(err)
			}
		}
		return ui.files["app.js"].name
	}
	before := hashOf(raw)
	raw["lib.js"] = []byte(`export const x = 2;`)
	if after := hashOf(raw); after == before {
		t.Fatalf("app.js kept the name %s after lib.js changed", after)
	}

	raw["lib.js"] = []byte(`import "./app.js";`)
	ui := &UI{files: map[string]asset{}, byHash: map[string]asset{}}
	if err := ui.load("app.js", raw, map[string]bool{}); err == nil {
		t.Fatal("an import cycle was accepted")
	}
}

func TestUnknownAssetIs404(t *testing.T) {
	ui, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"nope.js", "index.html"} {
		r := httptest.NewRequest("GET", "/static/"+name, nil)
		r.SetPathValue("name", name)
		w := httptest.NewRecorder()
		ui.Static(w, r)
		if w.Code != 404 {
			t.Errorf("%s: %d", name, w.Code)
		}
	}
}
