package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// restWorkers is how many REST requests are in flight at once: enough to
// create a few thousand séances in about a second without queueing them all
// on the server at the same instant.
const restWorkers = 8

// restClient creates the séances before the run and ends them after.
type restClient struct {
	bases []string // one per node
	http  *http.Client
}

func newREST(bases []string) *restClient {
	return &restClient{bases: bases, http: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: restWorkers},
	}}
}

func (c *restClient) close() { c.http.CloseIdleConnections() }

// createSeances creates n séances of maxUsers each, séance i through node
// i mod N, so that creation is part of what the cluster is tested on and
// every node is the home of some séances. On failure it returns the ones
// already created with the first error, so they can be ended too.
func (c *restClient) createSeances(ctx context.Context, n, maxUsers int) ([]*room, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rooms := make([]*room, n)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range min(restWorkers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				rm, err := c.create(ctx, i, maxUsers)
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				rooms[i] = rm
			}
		})
	}
	wg.Wait()
	made := rooms[:0:0]
	for _, rm := range rooms {
		if rm != nil {
			made = append(made, rm)
		}
	}
	if firstErr != nil {
		return made, firstErr
	}
	return made, nil
}

func (c *restClient) create(ctx context.Context, i, maxUsers int) (*room, error) {
	node := i % len(c.bases)
	body := fmt.Sprintf(`{"name":"load %d","max_users":%d}`, i+1, maxUsers)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.bases[node]+"/api/sessions", strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("loadgen: creating séances: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loadgen: creating séances: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var env struct {
		Data struct {
			ID        string `json:"id"`
			HostToken string `json:"host_token"`
		} `json:"data"`
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &env)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("loadgen: POST %s/api/sessions: %s %s: the server limits séance creations per address; "+
			"for a load test run it with SEANCE_LIMIT_CREATE=0 (and SEANCE_LIMIT_JOIN=0 SEANCE_LIMIT_CONNS=0 SEANCE_LIMIT_HTTP_CONNS=0)",
			c.bases[node], resp.Status, env.Error.Code)
	case resp.StatusCode != http.StatusCreated || env.Data.ID == "":
		return nil, fmt.Errorf("loadgen: POST %s/api/sessions: %s %s %s", c.bases[node], resp.Status, env.Error.Code, env.Error.Message)
	}
	return &room{id: env.Data.ID, hostToken: env.Data.HostToken, node: node}, nil
}

// endSeances ends what the run created, so repeated runs do not pile up
// thousands of active séances. It is best effort: the server ends idle ones
// by itself anyway, so failures are ignored and the whole thing is bounded.
// Each goes back to the node that created it, the one node sure to know it
// even when the URLs are not one cluster.
func (c *restClient) endSeances(rooms []*room) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(restWorkers, len(rooms)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(rooms) || ctx.Err() != nil {
					return
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.bases[rooms[i].node]+"/api/sessions/"+rooms[i].id, nil)
				if err != nil {
					return
				}
				req.Header.Set("Authorization", "Bearer "+rooms[i].hostToken)
				if resp, err := c.http.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	wg.Wait()
}
