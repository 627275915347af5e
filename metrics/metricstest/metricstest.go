// Package metricstest reads Prometheus text expositions in tests: scrape,
// act, scrape again, and compare the values by name and labels.
package metricstest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Sample is one scrape: value by series, each series written as its name and
// its labels sorted by name, e.g. `seance_messages_total{kind="question"}`.
type Sample map[string]float64

// Scrape GETs url (a /metrics endpoint) and parses the answer.
func Scrape(tb testing.TB, url string) Sample {
	tb.Helper()
	res, err := http.Get(url)
	if err != nil {
		tb.Fatalf("scrape %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("scrape %s: %v", url, err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		tb.Fatalf("scrape %s: %d %q", url, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return parse(tb, string(body))
}

// ScrapeHandler scrapes a /metrics handler without a network.
func ScrapeHandler(tb testing.TB, h http.Handler) Sample {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("scrape: status %d", rec.Code)
	}
	return parse(tb, rec.Body.String())
}

func parse(tb testing.TB, text string) Sample {
	tb.Helper()
	s := Sample{}
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			tb.Fatalf("metrics line without a value: %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			tb.Fatalf("metrics line %q: %v", line, err)
		}
		s[canonical(line[:i])] = v
	}
	return s
}

// canonical sorts the labels of a series, so that lookups need not know the
// order the exposition wrote them in. Label values here never hold commas
// or braces.
func canonical(series string) string {
	name, labels, ok := strings.Cut(series, "{")
	if !ok {
		return series
	}
	pairs := strings.Split(strings.TrimSuffix(labels, "}"), ",")
	slices.Sort(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// Series names a series: Series("x_total", "kind", "question").
func Series(name string, labelPairs ...string) string {
	if len(labelPairs) == 0 {
		return name
	}
	var pairs []string
	for i := 0; i+1 < len(labelPairs); i += 2 {
		pairs = append(pairs, fmt.Sprintf("%s=%q", labelPairs[i], labelPairs[i+1]))
	}
	return canonical(name + "{" + strings.Join(pairs, ",") + "}")
}

// Has reports whether the series was exposed at all.
func (s Sample) Has(series string) bool {
	_, ok := s[series]
	return ok
}

// Get returns the series' value, 0 when it is absent.
func (s Sample) Get(series string) float64 { return s[series] }

// Sum adds up every series of a metric whose labels include the given ones.
func (s Sample) Sum(name string, labelPairs ...string) float64 {
	var want []string
	for i := 0; i+1 < len(labelPairs); i += 2 {
		want = append(want, fmt.Sprintf("%s=%q", labelPairs[i], labelPairs[i+1]))
	}
	total := 0.0
	for k, v := range s {
		n, labels, _ := strings.Cut(k, "{")
		if n != name {
			continue
		}
		have := strings.Split(strings.TrimSuffix(labels, "}"), ",")
		if !containsAll(have, want) {
			continue
		}
		total += v
	}
	return total
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
