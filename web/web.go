// Package web is the Ouija board UI, embedded in the binary: plain
// JavaScript modules and CSS, no build step. Assets are served under
// /static/ with their content hash in the URL and cached for a year; the
// pages themselves are never cached, so a new binary is picked up at once.
//
// static/ holds the page (index.html), its modules (app.js imports the
// rest), app.css, and the fonts: Latin subsets of EB Garamond (SIL OFL,
// static/ebgaramond-license.txt), made from Debian's fonts-ebgaramond with
// fontTools (pyftsubset --flavor=woff2 --name-IDs='*'), so that no font is
// fetched from elsewhere.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
)

//go:embed static
var assets embed.FS

// UI serves the pages and their assets.
type UI struct {
	files  map[string]asset // by logical name ("app.js")
	byHash map[string]asset // by hashed name ("app.3f2a9c1b.js")
	page   []byte           // index.html with hashed asset URLs
}

type asset struct {
	body  []byte
	ctype string
	name  string // hashed file name
}

// contentTypes is consulted before the system's MIME table, which differs
// between machines (a bare container may know neither .js nor .woff2).
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

// New loads the embedded assets.
func New() (*UI, error) {
	raw := map[string][]byte{}
	err := fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		raw[strings.TrimPrefix(p, "static/")] = body
		return nil
	})
	if err != nil {
		return nil, err
	}
	ui := &UI{files: map[string]asset{}, byHash: map[string]asset{}}
	visiting := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		if err := ui.load(name, raw, visiting); err != nil {
			return nil, err
		}
	}
	index, ok := ui.files["index.html"]
	if !ok {
		return nil, errors.New("web: static/index.html is missing")
	}
	ui.page = index.body
	return ui, nil
}

// load hashes one asset after the assets it refers to, and points those
// references at their hashed names. A module's hash thus covers what it
// imports: change api.js and app.js, which imports it, gets a new URL too,
// so an immutable cache never mixes old and new modules.
func (ui *UI) load(name string, raw map[string][]byte, visiting map[string]bool) error {
	if _, done := ui.files[name]; done {
		return nil
	}
	if visiting[name] {
		return fmt.Errorf("web: static/%s refers back to itself (an import cycle)", name)
	}
	visiting[name] = true
	body := raw[name]
	ext := path.Ext(name)
	if isText(ext) {
		for _, dep := range slices.Sorted(maps.Keys(raw)) {
			if dep == name || dep == "index.html" || !refersTo(body, dep) {
				continue
			}
			if err := ui.load(dep, raw, visiting); err != nil {
				return err
			}
			body = rewrite(body, dep, ui.files[dep].name)
		}
	}
	sum := sha256.Sum256(body)
	hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
	ctype := contentTypes[ext]
	if ctype == "" {
		ctype = mime.TypeByExtension(ext)
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	a := asset{body: body, ctype: ctype, name: hashed}
	ui.files[name] = a
	if name != "index.html" { // the page is served by Page, never as an asset
		ui.byHash[hashed] = a
	}
	return nil
}

func isText(ext string) bool { return ext == ".html" || ext == ".css" || ext == ".js" || ext == ".svg" }

// refs are the spellings of a reference to an asset: absolute from the
// page and the stylesheets, relative from the modules ("./api.js"), always
// quoted so that "app.js" never matches inside "myapp.js".
func refs(name string) []string {
	return []string{`"/static/` + name + `"`, `'/static/` + name + `'`, `"./` + name + `"`, `'./` + name + `'`}
}

func refersTo(body []byte, name string) bool {
	for _, r := range refs(name) {
		if bytes.Contains(body, []byte(r)) {
			return true
		}
	}
	return false
}

func rewrite(body []byte, name, hashed string) []byte {
	to := refs(hashed)
	for i, r := range refs(name) {
		body = bytes.ReplaceAll(body, []byte(r), []byte(to[i]))
	}
	return body
}

// contentSecurityPolicy allows nothing but this server's own files: no
// inline script or style, no other origin. The UI is written to it, so an
// injected <script> or style attribute is inert.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// Page serves the single page of the app (home and séance pages alike).
func (ui *UI) Page(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(ui.page)
}

// Static serves /static/{name}: hashed names are immutable; plain names
// (for hand-typed URLs) are served uncached. A server with an error format
// of its own asks Has first; the plain-text 404 here is for any other.
func (ui *UI) Static(w http.ResponseWriter, r *http.Request) {
	a, cache, ok := ui.lookup(r.PathValue("name"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", cache)
	ui.serve(w, r, a)
}

// Has reports whether Static serves /static/{name}.
func (ui *UI) Has(name string) bool {
	_, _, ok := ui.lookup(name)
	return ok
}

// lookup finds the asset /static/{name} names and its Cache-Control.
func (ui *UI) lookup(name string) (asset, string, bool) {
	if a, ok := ui.byHash[name]; ok {
		return a, "public, max-age=31536000, immutable", true
	}
	if a, ok := ui.files[name]; ok && name != "index.html" {
		return a, "no-cache", true
	}
	return asset{}, "", false
}

func (ui *UI) serve(w http.ResponseWriter, r *http.Request, a asset) {
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(a.body)
}
