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

// routeTable is the whole HTTP surface.
func (s *Server) routeTable() []route {
	idParam := param{name: "id", in: "path", required: true, description: "séance id (UUID)", schema: strSchema("uuid")}
	notFound := errResponse("No séance with that id (also for a malformed id): SESSION_NOT_FOUND.")
	slowBody := errResponse("REQUEST_TIMEOUT: the body did not arrive within SEANCE_BODY_TIMEOUT; the connection closes.")
	notJSON := errResponse("UNSUPPORTED_MEDIA_TYPE: the body must be sent as Content-Type: application/json.")
	rateLimited := errResponse("RATE_LIMITED: too many from your address (SEANCE_LIMIT_CREATE, SEANCE_LIMIT_JOIN); Retry-After says when to try again.")
	return []route{
		{http.MethodPost, "/api/sessions", s.createSession, operation{
			id: "createSession", tag: "sessions", summary: "Create a séance",
			body: ref("SessionCreate"),
			responses: map[int]response{
				201: enveloped("The séance, with the host token that can end it. Location names it.", ref("CreatedSession")),
				400: errResponse("VALIDATION_ERROR (details.field names the field) or INVALID_JSON."),
				408: slowBody,
				413: errResponse("PAYLOAD_TOO_LARGE: the body is over 64 KiB."),
				415: notJSON,
				429: rateLimited,
			},
		}},
		{http.MethodGet, "/api/sessions/{id}", s.getSession, operation{
			id: "getSession", tag: "sessions", summary: "Get a séance",
			params: []param{idParam},
			responses: map[int]response{
				200: enveloped("The séance.", ref("Session")),
				404: notFound,
			},
		}},
		{http.MethodDelete, "/api/sessions/{id}", s.endSession, operation{
			id: "endSession", tag: "sessions", summary: "End a séance (host only)",
			params: []param{idParam}, bearer: true,
			responses: map[int]response{
				200: enveloped("The ended séance (is_active false). Ending twice is harmless.", ref("Session")),
				401: errResponse("UNAUTHORIZED: no valid host token."),
				403: errResponse("FORBIDDEN: the token is for another séance."),
				404: notFound,
			},
		}},
		{http.MethodGet, "/api/sessions/{id}/history", s.history, operation{
			id: "getHistory", tag: "sessions", summary: "A page of a séance's messages, oldest first",
			params: []param{
				idParam,
				{name: "after_seq", in: "query", description: "only messages with a greater seq (default 0)", schema: intSchema(0, 0)},
				{name: "limit", in: "query", description: "page size, 1–200 (default 100)", schema: intSchema(1, maxHistoryLimit)},
			},
			responses: map[int]response{
				200: enveloped("Messages; meta.next_after_seq is the after_seq of the next page while meta.has_more.", arrayOf(ref("Message"))),
				400: errResponse("VALIDATION_ERROR: after_seq or limit out of range."),
				404: notFound,
			},
		}},
		{http.MethodGet, "/api/sessions/{id}/transcript", s.transcript, operation{
			id: "getTranscript", tag: "sessions", summary: "The whole séance, as Markdown or JSON",
			params: []param{
				idParam,
				{name: "format", in: "query", description: "md (default) or json", schema: map[string]any{"type": "string", "enum": []string{"md", "json"}}},
			},
			responses: map[int]response{
				200: {description: "The transcript.", content: map[string]any{
					"text/markdown":    map[string]any{"schema": map[string]any{"type": "string"}},
					"application/json": map[string]any{"schema": envelopeSchema(ref("Transcript"))},
				}},
				400: errResponse("VALIDATION_ERROR: unknown format."),
				404: notFound,
			},
		}},
		{http.MethodPost, "/api/sessions/{id}/join", s.join, operation{
			id: "joinSession", tag: "participants", summary: "Join a séance by name; returns the token the WebSocket connects with",
			params: []param{idParam},
			body:   ref("JoinRequest"),
			responses: map[int]response{
				201: enveloped("The participant, its token and the WebSocket URL to open.", ref("Joined")),
				400: errResponse("VALIDATION_ERROR (name 1–50 characters) or INVALID_JSON."),
				404: notFound,
				409: errResponse("SESSION_FULL: max_users participants are connected."),
				410: errResponse("SESSION_ENDED."),
				408: slowBody,
				413: errResponse("PAYLOAD_TOO_LARGE."),
				415: notJSON,
				429: rateLimited,
			},
		}},
		{http.MethodDelete, "/api/sessions/{id}/participants/{participant_id}", s.removeParticipant, operation{
			id: "removeParticipant", tag: "participants", summary: "Remove a participant (host only): its connections close with 4403",
			params: []param{idParam, {name: "participant_id", in: "path", required: true, description: "the participant's id (or its user_id)", schema: strSchema("")}},
			bearer: true,
			responses: map[int]response{
				200: enveloped("The removed participant.", ref("RemovedParticipant")),
				401: errResponse("UNAUTHORIZED: no valid host token."),
				403: errResponse("FORBIDDEN: the token is for another séance."),
				404: errResponse("SESSION_NOT_FOUND or PARTICIPANT_NOT_FOUND."),
			},
		}},
		{http.MethodGet, "/ws/{id}", s.websocket, operation{
			id: "websocket", tag: "real-time", summary: "The séance's WebSocket (upgrade). ?token= from /join, or the [orig] identify frame; ?last_seq=N resumes",
			params: []param{
				idParam,
				{name: "token", in: "query", description: "participant token from /join", schema: strSchema("")},
				{name: "last_seq", in: "query", description: "resume: replay every persisted event after this seq", schema: intSchema(0, 0)},
			},
			responses: map[int]response{
				101: {description: "Switching to the WebSocket protocol; refusals then come as an error event and a close code (4001, 4004, 4008, 4009, 4010, 4403) with a reason in words."},
				404: errResponse("SESSION_NOT_FOUND, before the upgrade: any spelling of the id but the canonical one, or, without ?token=, no such séance."),
				410: errResponse("SESSION_ENDED, before the upgrade, without ?token= ([orig] clients then stop retrying)."),
				400: errResponse("Not a WebSocket request, or VALIDATION_ERROR (last_seq)."),
				403: errResponse("FORBIDDEN: origin not allowed."),
				429: errResponse("RATE_LIMITED, before the upgrade: too many joins (SEANCE_LIMIT_JOIN) or open WebSockets (SEANCE_LIMIT_CONNS) from your address; see Retry-After."),
			},
		}},
		{http.MethodGet, "/api/spirits", s.spirits, operation{
			id: "listSpirits", tag: "spirits", summary: "The personas a séance can choose",
			responses: map[int]response{200: enveloped("Personas, the default first.", arrayOf(ref("Spirit")))},
		}},
		{http.MethodGet, "/health", s.health, operation{
			id: "health", tag: "operations", summary: "Liveness with a real database round trip (not enveloped)",
			responses: map[int]response{
				200: jsonResponse("Healthy.", ref("Health")),
				503: jsonResponse("The database is unreachable (database: disconnected) or takes no writes (database: unwritable, checked by a real write at most every 5 s), or the broker is unreachable.", ref("Health")),
			},
		}},
		{http.MethodGet, "/metrics", s.metrics, operation{
			id: "metrics", tag: "operations", summary: "Prometheus metrics of this node (text exposition format)",
			responses: map[int]response{200: {description: "The metrics.", content: map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}}},
		}},
		{http.MethodGet, "/openapi.json", s.openAPI, operation{
			id: "openapi", tag: "operations", summary: "This document",
			responses: map[int]response{200: jsonResponse("OpenAPI 3 document.", map[string]any{"type": "object"})},
		}},
		{http.MethodGet, "/docs", s.docs, operation{
			id: "docs", tag: "operations", summary: "This document, rendered",
			responses: map[int]response{200: {description: "An HTML page.", content: map[string]any{"text/html": map[string]any{"schema": map[string]any{"type": "string"}}}}},
		}},
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
