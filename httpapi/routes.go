package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/seancehq/seance"
)

// route is one endpoint: where it is, what serves it, and how the OpenAPI
// document describes it. The document is built from this table, so the two
// cannot drift apart.
type route struct {
	method, path string
	handler      http.HandlerFunc
	doc          operation
}

// routeTable is the whole HTTP surface, one route a line; the operations
// are in operations.go.
func (s *Server) routeTable() []route {
	return []route{
		{http.MethodPost, "/api/sessions", s.createSession, createSessionOp},
		{http.MethodGet, "/api/sessions/{id}", s.getSession, getSessionOp},
		{http.MethodDelete, "/api/sessions/{id}", s.endSession, endSessionOp},
		{http.MethodGet, "/api/sessions/{id}/history", s.history, historyOp},
		{http.MethodGet, "/api/sessions/{id}/transcript", s.transcript, transcriptOp},
		{http.MethodPost, "/api/sessions/{id}/join", s.join, joinOp},
		{http.MethodDelete, "/api/sessions/{id}/participants/{participant_id}", s.removeParticipant, removeParticipantOp},
		{http.MethodGet, "/ws/{id}", s.websocket, websocketOp},
		{http.MethodGet, "/api/spirits", s.spirits, spiritsOp},
		{http.MethodGet, "/health", s.health, healthOp},
		{http.MethodGet, "/metrics", s.metrics, metricsOp},
		{http.MethodGet, "/openapi.json", s.openAPI, openAPIOp},
		{http.MethodGet, "/docs", s.docs, docsOp},
	}
}

// register puts the table on the mux, plus the answers for a known path with
// the wrong method (405 with Allow) and for an unknown path (404), both in
// the contract's envelope rather than net/http's plain text.
func (s *Server) register() {
	methods := map[string][]string{}
	var paths []string
	for _, rt := range s.routes {
		s.mux.HandleFunc(rt.method+" "+rt.path, s.canonicalSession(rt.handler))
		if _, seen := methods[rt.path]; !seen {
			paths = append(paths, rt.path)
		}
		methods[rt.path] = append(methods[rt.path], rt.method)
	}
	for _, p := range paths {
		allow := methods[p]
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead)
		}
		allowHeader := strings.Join(append(allow, http.MethodOptions), ", ")
		s.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allowHeader)
			if r.Method == http.MethodOptions {
				// OPTIONS asks what the path allows, and Allow is the
				// answer; a CORS preflight never gets here (withCORS).
				w.WriteHeader(http.StatusNoContent)
				return
			}
			s.fail(w, r, seance.Errorf(seance.EMethod, "%s is not allowed here.", r.Method).With("allow", allow))
		})
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, seance.Errorf(seance.ENotFound, "Nothing at %s.", r.URL.Path).With("path", r.URL.Path))
	}
	s.mux.HandleFunc("/api/", notFound)
	// The /docs page's script and style: files of their own, so that the
	// page passes a CSP without 'unsafe-inline'. Not API, so not in the table.
	s.mux.HandleFunc("GET /docs/{asset}", s.docsAsset)
	if s.UI == nil {
		s.mux.HandleFunc("/", notFound)
		return
	}
	// The web UI: one page for home and séance links, and its assets.
	s.mux.HandleFunc("GET /{$}", s.UI.Page)
	s.mux.HandleFunc("GET /session/{id}", s.UI.Page)
	s.mux.HandleFunc("GET /static/{name}", func(w http.ResponseWriter, r *http.Request) {
		// A missing asset is a 404 like any other, in the envelope.
		if !s.UI.Has(r.PathValue("name")) {
			notFound(w, r)
			return
		}
		s.UI.Static(w, r)
	})
	s.mux.HandleFunc("/", notFound)
}
