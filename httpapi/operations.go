package httpapi

// What the OpenAPI document says of each route of routeTable, in its order.
// They live apart from the table so that the table shows the whole API on
// one screen; the document is still built from the table, so a route
// cannot go undocumented.

// Parameters and answers that several operations share, worded once so
// that the same refusal reads the same everywhere.
var (
	idParam         = param{name: "id", in: "path", required: true, description: "séance id (UUID)", schema: strSchema("uuid")}
	notFoundResp    = errResponse("No séance with that id (also for a malformed id): SESSION_NOT_FOUND.")
	slowBodyResp    = errResponse("REQUEST_TIMEOUT: the body did not arrive within SEANCE_BODY_TIMEOUT; the connection closes.")
	notJSONResp     = errResponse("UNSUPPORTED_MEDIA_TYPE: the body must be sent as Content-Type: application/json.")
	rateLimitedResp = errResponse("RATE_LIMITED: too many from your address (SEANCE_LIMIT_CREATE, SEANCE_LIMIT_JOIN); Retry-After says when to try again.")
)

var createSessionOp = operation{
	id: "createSession", tag: "sessions", summary: "Create a séance",
	body: ref("SessionCreate"),
	responses: map[int]response{
		201: enveloped("The séance, with the host token that can end it. Location names it.", ref("CreatedSession")),
		400: errResponse("VALIDATION_ERROR (details.field names the field) or INVALID_JSON."),
		408: slowBodyResp,
		413: errResponse("PAYLOAD_TOO_LARGE: the body is over 64 KiB."),
		415: notJSONResp,
		429: rateLimitedResp,
	},
}

var getSessionOp = operation{
	id: "getSession", tag: "sessions", summary: "Get a séance",
	params: []param{idParam},
	responses: map[int]response{
		200: enveloped("The séance.", ref("Session")),
		404: notFoundResp,
	},
}

var endSessionOp = operation{
	id: "endSession", tag: "sessions", summary: "End a séance (host only)",
	params: []param{idParam}, bearer: true,
	responses: map[int]response{
		200: enveloped("The ended séance (is_active false). Ending twice is harmless.", ref("Session")),
		401: errResponse("UNAUTHORIZED: no valid host token."),
		403: errResponse("FORBIDDEN: the token is for another séance."),
		404: notFoundResp,
	},
}

var historyOp = operation{
	id: "getHistory", tag: "sessions", summary: "A page of a séance's messages, oldest first",
	params: []param{
		idParam,
		{name: "after_seq", in: "query", description: "only messages with a greater seq (default 0)", schema: intSchema(0, 0)},
		{name: "limit", in: "query", description: "page size, 1–200 (default 100)", schema: intSchema(1, maxHistoryLimit)},
	},
	responses: map[int]response{
		200: enveloped("Messages; meta.next_after_seq is the after_seq of the next page while meta.has_more.", arrayOf(ref("Message"))),
		400: errResponse("VALIDATION_ERROR: after_seq or limit out of range."),
		404: notFoundResp,
	},
}

var transcriptOp = operation{
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
		404: notFoundResp,
	},
}

var joinOp = operation{
	id: "joinSession", tag: "participants", summary: "Join a séance by name; returns the token the WebSocket connects with",
	params: []param{idParam},
	body:   ref("JoinRequest"),
	responses: map[int]response{
		201: enveloped("The participant, its token and the WebSocket URL to open.", ref("Joined")),
		400: errResponse("VALIDATION_ERROR (name 1–50 characters) or INVALID_JSON."),
		404: notFoundResp,
		409: errResponse("SESSION_FULL: max_users participants are connected."),
		410: errResponse("SESSION_ENDED."),
		408: slowBodyResp,
		413: errResponse("PAYLOAD_TOO_LARGE."),
		415: notJSONResp,
		429: rateLimitedResp,
	},
}

var removeParticipantOp = operation{
	id: "removeParticipant", tag: "participants", summary: "Remove a participant (host only): its connections close with 4403",
	params: []param{idParam, {name: "participant_id", in: "path", required: true, description: "the participant's id (or its user_id)", schema: strSchema("")}},
	bearer: true,
	responses: map[int]response{
		200: enveloped("The removed participant.", ref("RemovedParticipant")),
		401: errResponse("UNAUTHORIZED: no valid host token."),
		403: errResponse("FORBIDDEN: the token is for another séance."),
		404: errResponse("SESSION_NOT_FOUND or PARTICIPANT_NOT_FOUND."),
	},
}

var websocketOp = operation{
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
}

var spiritsOp = operation{
	id: "listSpirits", tag: "spirits", summary: "The personas a séance can choose",
	responses: map[int]response{200: enveloped("Personas, the default first.", arrayOf(ref("Spirit")))},
}

var healthOp = operation{
	id: "health", tag: "operations", summary: "Liveness with a real database round trip (not enveloped)",
	responses: map[int]response{
		200: jsonResponse("Healthy.", ref("Health")),
		503: jsonResponse("The database is unreachable (database: disconnected) or takes no writes (database: unwritable, checked by a real write at most every 5 s), or the broker is unreachable.", ref("Health")),
	},
}

var metricsOp = operation{
	id: "metrics", tag: "operations", summary: "Prometheus metrics of this node (text exposition format)",
	responses: map[int]response{200: {description: "The metrics.", content: map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}}},
}

var openAPIOp = operation{
	id: "openapi", tag: "operations", summary: "This document",
	responses: map[int]response{200: jsonResponse("OpenAPI 3 document.", map[string]any{"type": "object"})},
}

var docsOp = operation{
	id: "docs", tag: "operations", summary: "This document, rendered",
	responses: map[int]response{200: {description: "An HTML page.", content: map[string]any{"text/html": map[string]any{"schema": map[string]any{"type": "string"}}}}},
}
