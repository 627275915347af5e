package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// ModerationCategories are the category names of OpenAI's moderation
// endpoint, as its responses spell them.
var ModerationCategories = []string{
	"harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent",
	"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence", "violence/graphic",
}

// Moderation is a fake of the moderation endpoint (POST /v1/moderations) in
// its real wire format; mount it with Server.Handle("/v1/moderations", m).
type Moderation struct {
	// Flag returns the categories (ModerationCategories' names) to flag in
	// an input; nil flags nothing.
	Flag func(input string) []string
	// Status, when set, answers with that HTTP error instead.
	Status int
	// Delay is waited before answering (or until the client gives up).
	Delay time.Duration

	mu     sync.Mutex
	inputs []string
}

// Inputs returns the texts the endpoint was asked about, in order.
func (m *Moderation) Inputs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.inputs...)
}

func (m *Moderation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input json.RawMessage `json:"input"`
		Model string          `json:"model"`
	}
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || json.Unmarshal(body, &req) != nil {
		http.Error(w, `{"error":{"message":"Invalid request.","type":"invalid_request_error","param":null,"code":null}}`, http.StatusBadRequest)
		return
	}
	var inputs []string
	if err := json.Unmarshal(req.Input, &inputs); err != nil {
		var one string
		_ = json.Unmarshal(req.Input, &one)
		inputs = []string{one}
	}
	m.mu.Lock()
	m.inputs = append(m.inputs, inputs...)
	m.mu.Unlock()
	if m.Delay > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(m.Delay):
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if m.Status != 0 {
		w.WriteHeader(m.Status)
		fmt.Fprintf(w, `{"error":{"message":"The server had an error processing your request.","type":"server_error","param":null,"code":null}}`+"\n")
		return
	}
	type result struct {
		Flagged        bool                `json:"flagged"`
		Categories     map[string]bool     `json:"categories"`
		CategoryScores map[string]float64  `json:"category_scores"`
		AppliedTypes   map[string][]string `json:"category_applied_input_types"`
	}
	resp := struct {
		ID      string   `json:"id"`
		Model   string   `json:"model"`
		Results []result `json:"results"`
	}{ID: "modr-fake", Model: "omni-moderation-2024-09-26"}
	for _, in := range inputs {
		res := result{Categories: map[string]bool{}, CategoryScores: map[string]float64{}, AppliedTypes: map[string][]string{}}
		for _, c := range ModerationCategories {
			res.Categories[c], res.CategoryScores[c], res.AppliedTypes[c] = false, 0.0001, []string{"text"}
		}
		if m.Flag != nil {
			for _, c := range m.Flag(in) {
				res.Categories[c], res.CategoryScores[c], res.Flagged = true, 0.97, true
			}
		}
		resp.Results = append(resp.Results, res)
	}
	_ = json.NewEncoder(w).Encode(resp)
}
