package safety

import (
	"slices"
	"testing"
	"time"

	"github.com/seancehq/seance/safety/safetytest"
)

// BenchmarkClassify classifies the whole test set, one question an
// operation, as questions come: mostly harmless, some not.
func BenchmarkClassify(b *testing.B) {
	c := New()
	dangerous, benign := safetytest.Read(b, "testdata")
	all := append(append([]safetytest.Prompt{}, benign...), dangerous...)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.Classify(all[i%len(all)].Text)
	}
}

// BenchmarkClassifyLatency reports the 99th percentile of one question's
// classification over the test set.
func BenchmarkClassifyLatency(b *testing.B) {
	c := New()
	dangerous, benign := safetytest.Read(b, "testdata")
	all := append(append([]safetytest.Prompt{}, benign...), dangerous...)
	times := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		c.Classify(all[i%len(all)].Text)
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	if len(times) > 0 {
		b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds())/1000, "p99-µs")
		b.ReportMetric(float64(times[len(times)/2].Nanoseconds())/1000, "p50-µs")
	}
}
