package llmproto

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 10, 31, 3, 7, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none", nil, 0},
		{"milliseconds first", http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"9"}}, 1500 * time.Millisecond},
		{"seconds", http.Header{"Retry-After": {"2"}}, 2 * time.Second},
		{"a date", http.Header{"Retry-After": {now.Add(3 * time.Second).Format(http.TimeFormat)}}, 3 * time.Second},
		{"a date gone by", http.Header{"Retry-After": {now.Add(-time.Second).Format(http.TimeFormat)}}, 0},
		{"nonsense", http.Header{"Retry-After": {"soon"}}, 0},
	}
	for _, tc := range tests {
		if got := retryAfter(tc.header, now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// statusErr stands in for an SDK's error of an HTTP response.
type statusErr struct{ code int }

func (e statusErr) Error() string { return http.StatusText(e.code) }

func TestClassify(t *testing.T) {
	status := func(err error) (int, http.Header) {
		var e statusErr
		if errors.As(err, &e) {
			return e.code, http.Header{"Retry-After": {"1"}}
		}
		return 0, nil
	}
	usual := &API{Name: "p", Status: status}
	strict := &API{Name: "p", Status: status, Retry: func(code int) bool { return code == http.StatusTooManyRequests }}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		api       *API
		ctx       context.Context
		err       error
		status    int
		retryable bool
		wait      time.Duration
	}{
		{"transport", usual, context.Background(), errors.New("connection reset"), 0, true, 0},
		{"error event in a 200 stream", usual, context.Background(), statusErr{200}, 0, true, 0},
		{"bad key", usual, context.Background(), statusErr{401}, 401, false, time.Second},
		{"conflict", usual, context.Background(), statusErr{409}, 409, true, time.Second},
		{"conflict, by the provider's own policy", strict, context.Background(), statusErr{409}, 409, false, time.Second},
		{"overloaded", usual, context.Background(), statusErr{529}, 529, true, time.Second},
		{"the caller gave up", usual, cancelled, statusErr{503}, 0, false, 0},
	}
	for _, tc := range tests {
		e := tc.api.classify(tc.ctx, tc.err)
		if e.StatusCode != tc.status || e.Retryable() != tc.retryable || e.RetryAfter() != tc.wait || !errors.Is(e, tc.err) {
			t.Errorf("%s: %v: status %d, retryable %v, retry after %v; want %d, %v, %v",
				tc.name, e, e.StatusCode, e.Retryable(), e.RetryAfter(), tc.status, tc.retryable, tc.wait)
		}
	}
}
