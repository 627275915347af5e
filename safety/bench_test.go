package safety

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkClassify classifies the whole test set, one question an
// operation, as questions come: mostly harmless, some not.
func BenchmarkClassify(b *testing.B) {
	c := New()
	dangerous, benign := readCorpus(&testing.T{}, "testdata")
	all := append(append([]labelled{}, benign...), dangerous...)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.Classify(all[i%len(all)].text)
	}
}

// BenchmarkClassifyLatency reports the 99th percentile of one question's
// classification over the test set.
func BenchmarkClassifyLatency(b *testing.B) {
	c := New()
	dangerous, benign := readCorpus(&testing.T{}, "testdata")
	all := append(append([]labelled{}, benign...), dangerous...)
	times := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		c.Classify(all[i%len(all)].text)
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	if len(times) > 0 {
		b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds())/1000, "p99-µs")
		b.ReportMetric(float64(times[len(times)/2].Nanoseconds())/1000, "p50-µs")
	}
}
