// Package web is the Ouija board UI, embedded in the binary: plain
// JavaScript modules and CSS, no build step. Assets are served under
// /static/ with their content hash in the URL and cached for a year; the
// pages themselves are never cached, so a new binary is picked up at once.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
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

// New loads the embedded assets.
func New() (*UI, error) {
	ui := &UI{files: map[string]asset{}, byHash: map[string]asset{}}
	err := fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a := asset{body: body, ctype: ctype, name: hashed}
		ui.files[name] = a
		ui.byHash[hashed] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	ui.page = ui.rewrite(ui.files["index.html"].body)
	return ui, nil
}

// rewrite points every "/static/NAME" in b at the asset's hashed name, so
// that a changed asset gets a new URL and caches never serve a stale one.
func (ui *UI) rewrite(b []byte) []byte {
	for name, a := range ui.files {
		if name == "index.html" {
			continue
		}
		b = bytes.ReplaceAll(b, []byte(`"/static/`+name+`"`), []byte(`"/static/`+a.name+`"`))
	}
	return b
}

// Page serves the single page of the app (home and séance pages alike).
func (ui *UI) Page(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(ui.page)
}

// Static serves /static/{name}: hashed names are immutable; plain names
// (for hand-typed URLs) are served uncached.
func (ui *UI) Static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if a, ok := ui.byHash[name]; ok {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		ui.serve(w, r, a)
		return
	}
	if a, ok := ui.files[name]; ok && name != "index.html" {
		w.Header().Set("Cache-Control", "no-cache")
		ui.serve(w, r, a)
		return
	}
	http.NotFound(w, r)
}

func (ui *UI) serve(w http.ResponseWriter, r *http.Request, a asset) {
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(a.body)
}
