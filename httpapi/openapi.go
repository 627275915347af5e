package httpapi

import (
	_ "embed"
	"net/http"
	"strconv"
	"strings"

	"github.com/seancehq/seance"
)

// operation describes a route for the OpenAPI document.
type operation struct {
	id, tag, summary string
	params           []param
	body             map[string]any // request body schema, nil for none
	bearer           bool           // needs Authorization: Bearer
	responses        map[int]response
}

type param struct {
	name, in, description string
	required              bool
	schema                map[string]any
}

type response struct {
	description string
	content     map[string]any
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func arrayOf(items map[string]any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}

func strSchema(format string) map[string]any {
	s := map[string]any{"type": "string"}
	if format != "" {
		s["format"] = format
	}
	return s
}

func intSchema(lo, hi int) map[string]any {
	s := map[string]any{"type": "integer", "minimum": lo}
	if hi > lo {
		s["maximum"] = hi
	}
	return s
}

func envelopeSchema(data map[string]any) map[string]any {
	return map[string]any{
		"type":     "object",
		"required": []string{"success", "data", "meta"},
		"properties": map[string]any{
			"success": map[string]any{"type": "boolean", "enum": []bool{true}},
			"data":    data,
			"meta":    ref("Meta"),
		},
	}
}

func jsonResponse(desc string, schema map[string]any) response {
	return response{description: desc, content: map[string]any{"application/json": map[string]any{"schema": schema}}}
}

func enveloped(desc string, data map[string]any) response {
	return jsonResponse(desc, envelopeSchema(data))
}

func errResponse(desc string) response { return jsonResponse(desc, ref("ErrorEnvelope")) }

// openAPIDocument builds the OpenAPI 3 document from the route table.
func (s *Server) openAPIDocument() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.routes {
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		op := map[string]any{
			"operationId": rt.doc.id,
			"summary":     rt.doc.summary,
			"tags":        []string{rt.doc.tag},
		}
		var params []any
		for _, p := range rt.doc.params {
			params = append(params, map[string]any{
				"name": p.name, "in": p.in, "required": p.required,
				"description": p.description, "schema": p.schema,
			})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.doc.body != nil {
			op["requestBody"] = map[string]any{
				"required": true,
				"content":  map[string]any{"application/json": map[string]any{"schema": rt.doc.body}},
			}
		}
		if rt.doc.bearer {
			op["security"] = []any{map[string]any{"hostToken": []string{}}}
		}
		responses := map[string]any{}
		for code, resp := range rt.doc.responses {
			r := map[string]any{"description": resp.description}
			if resp.content != nil {
				r["content"] = resp.content
			}
			responses[strconv.Itoa(code)] = r
		}
		op["responses"] = responses
		item[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Séance API",
			"version":     s.Version,
			"description": "REST API of Séance, a digital Ouija board for groups. Every JSON response except /health is an envelope {success, data | error, meta}.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"hostToken": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "the host_token returned when the séance was created"},
			},
			"schemas": schemas(),
		},
	}
}

func object(required []string, props map[string]any) map[string]any {
	return map[string]any{"type": "object", "required": required, "properties": props}
}

func schemas() map[string]any {
	str := strSchema("")
	dateTime := strSchema("date-time")
	sessionProps := map[string]any{
		"id":                strSchema("uuid"),
		"name":              map[string]any{"type": "string", "minLength": 1, "maxLength": 100},
		"max_users":         intSchema(2, 12),
		"created_at":        dateTime,
		"is_active":         map[string]any{"type": "boolean"},
		"spirit":            str,
		"participant_count": intSchema(0, 0),
		"ended_at":          map[string]any{"type": "string", "format": "date-time", "nullable": true},
		"last_seq":          intSchema(0, 0),
	}
	sessionRequired := []string{"id", "name", "max_users", "created_at", "is_active", "spirit", "participant_count"}
	created := map[string]any{"host_token": map[string]any{"type": "string", "description": "JWT that ends this séance: DELETE with Authorization: Bearer"}}
	for k, v := range sessionProps {
		created[k] = v
	}
	return map[string]any{
		"Session":        object(sessionRequired, sessionProps),
		"CreatedSession": object(append(sessionRequired, "host_token"), created),
		"SessionCreate": object([]string{"name"}, map[string]any{
			"name":      map[string]any{"type": "string", "description": "1–100 characters after trimming"},
			"max_users": map[string]any{"type": "integer", "minimum": 2, "maximum": 12, "default": 6},
			"spirit":    map[string]any{"type": "string", "description": "persona id from /api/spirits"},
		}),
		"Message": object([]string{"id", "seq", "session_id", "user_id", "user_name", "message", "is_spirit", "timestamp"}, map[string]any{
			"id":             strSchema("uuid"),
			"seq":            intSchema(1, 0),
			"session_id":     strSchema("uuid"),
			"user_id":        str,
			"user_name":      str,
			"message":        str,
			"is_spirit":      map[string]any{"type": "boolean"},
			"timestamp":      dateTime,
			"letter_timings": arrayOf(map[string]any{"type": "integer"}),
			"reply_to":       str,
			"safety":         ref("Safety"),
		}),
		"Safety": object([]string{"category", "help"}, map[string]any{
			"category": map[string]any{"type": "string", "enum": seance.Categories(),
				"description": "what the spirit's guard found in the question this answer replies to"},
			"help": map[string]any{"oneOf": []any{map[string]any{"type": "null"}, object([]string{"text", "url"}, map[string]any{
				"text": str,
				"url":  map[string]any{"type": []string{"string", "null"}, "format": "uri"},
			})}, "description": "real help for a person in crisis (self_harm, emergency): shown beside the board, never spelled"},
		}),
		"Transcript": object([]string{"session", "messages"}, map[string]any{
			"session":  ref("Session"),
			"messages": arrayOf(ref("Message")),
		}),
		"JoinRequest":        object([]string{"name"}, map[string]any{"name": map[string]any{"type": "string", "description": "1–50 characters after trimming, no invisible or direction-changing characters"}}),
		"Participant":        object([]string{"id", "name", "joined_at"}, map[string]any{"id": str, "name": str, "joined_at": dateTime}),
		"RemovedParticipant": object([]string{"id", "name", "joined_at", "removed_at"}, map[string]any{"id": str, "name": str, "joined_at": dateTime, "removed_at": dateTime}),
		"Joined": object([]string{"participant", "token", "ws_url"}, map[string]any{
			"participant": ref("Participant"),
			"token":       map[string]any{"type": "string", "description": "JWT for /ws/{id}?token="},
			"ws_url":      map[string]any{"type": "string", "description": "path of the WebSocket to open, token included"},
		}),
		"Spirit": object([]string{"id", "name", "description"}, map[string]any{"id": str, "name": str, "description": str}),
		"Health": object([]string{"status", "database", "timestamp"}, map[string]any{
			"status":    map[string]any{"type": "string", "enum": []string{"healthy", "unhealthy"}},
			"database":  map[string]any{"type": "string", "enum": []string{"connected", "disconnected", "unwritable"}},
			"timestamp": dateTime,
			"version":   str,
			"uptime":    str,
		}),
		"Meta": object([]string{"timestamp"}, map[string]any{
			"timestamp":      dateTime,
			"limit":          map[string]any{"type": "integer"},
			"next_after_seq": map[string]any{"type": "integer"},
			"has_more":       map[string]any{"type": "boolean"},
		}),
		"ErrorEnvelope": object([]string{"success", "error", "meta"}, map[string]any{
			"success": map[string]any{"type": "boolean", "enum": []bool{false}},
			"error": object([]string{"code", "message", "details"}, map[string]any{
				"code":    map[string]any{"type": "string", "description": "UPPER_SNAKE error code"},
				"message": str,
				"details": map[string]any{"type": "object"},
			}),
			"meta": ref("Meta"),
		}),
	}
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, s.openAPIDocument())
}

//go:embed assets/docs.html
var docsPage []byte

//go:embed assets/docs.js
var docsScript []byte

//go:embed assets/docs.css
var docsStyle []byte

func (s *Server) docs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(docsPage)
}

// docsAsset serves the /docs page's script and style.
func (s *Server) docsAsset(w http.ResponseWriter, r *http.Request) {
	var body []byte
	switch r.PathValue("asset") {
	case "docs.js":
		body = docsScript
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case "docs.css":
		body = docsStyle
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	default:
		s.fail(w, r, seance.Errorf(seance.ENotFound, "Nothing at %s.", r.URL.Path).With("path", r.URL.Path))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(body)
}

// metrics serves this node's Prometheus metrics.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	s.metricsPage.ServeHTTP(w, r)
}
