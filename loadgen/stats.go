package loadgen

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync/atomic"
	"time"
)

// question is one send_message as its sender recorded it. It is shared by
// every member of the séance through the run's map; only the counts change
// after it is published.
type question struct {
	sentAt   time.Time
	node     int   // the node it was asked through
	members  int32 // joined members of the séance when sent, the sender included
	sameNode int32 // how many of them were on node

	counted      atomic.Int32 // distinct members that received it
	countedCross atomic.Int32 // how many of those were on another node
}

// deliver records that c received q at at. It reports the latency and
// whether this was c's first copy of q; a second copy is a duplicate and
// does not count as a delivery.
func (c *client) deliver(q *question, at time.Time) (time.Duration, bool) {
	if _, dup := c.seen[q]; dup {
		c.duplicates++
		return 0, false
	}
	c.seen[q] = struct{}{}
	q.counted.Add(1)
	lat := at.Sub(q.sentAt)
	if c.node == q.node {
		c.sameNode = append(c.sameNode, lat)
	} else {
		q.countedCross.Add(1)
		c.crossNode = append(c.crossNode, lat)
	}
	return lat, true
}

// totals is what tally derives from every client once the run is over.
type totals struct {
	sent, refused, expected, delivered, lost, duplicated int64
	p50, p99, max                                        time.Duration
	same, cross                                          Deliveries
}

// tally settles the accounting. Which question an error event refused is not
// knowable from the frame (the contract's error carries only a code), and an
// error may overtake the broadcast of an earlier question. So refusals are
// not matched as they arrive; instead, at the end, each refusal a sender got
// is given to one of its questions that no member received at all, oldest
// first. A question any member received was accepted. Whatever is left over
// — questions nobody received and no refusal explains — is lost for every
// member it expected.
//
// Each question's expected deliveries split by where the members were when
// it was sent. Every client joined before the first question, and a member
// is only ever subtracted from its own node, so no node can deliver more
// than it was expected to: the same-node and cross-node losses add up to
// the total.
func tally(clients []*client) totals {
	var t totals
	nSame, nCross := 0, 0
	for _, c := range clients {
		nSame += len(c.sameNode)
		nCross += len(c.crossNode)
	}
	all := make([]time.Duration, 0, nSame+nCross)
	same := make([]time.Duration, 0, nSame)
	cross := make([]time.Duration, 0, nCross)
	for _, c := range clients {
		all = append(append(all, c.sameNode...), c.crossNode...)
		same = append(same, c.sameNode...)
		cross = append(cross, c.crossNode...)
		t.duplicated += c.duplicates
		refusals := c.refusals
		for _, q := range c.asked {
			t.sent++
			got, gotCross := int64(q.counted.Load()), int64(q.countedCross.Load())
			gotSame := got - gotCross
			t.delivered += got
			t.same.Delivered += gotSame
			t.cross.Delivered += gotCross
			if got == 0 && refusals > 0 {
				refusals--
				t.refused++
				continue
			}
			wantSame := int64(q.sameNode)
			wantCross := int64(q.members) - wantSame
			t.expected += int64(q.members)
			t.lost += max(0, int64(q.members)-got)
			t.same.Expected += wantSame
			t.same.Lost += max(0, wantSame-gotSame)
			t.cross.Expected += wantCross
			t.cross.Lost += max(0, wantCross-gotCross)
		}
	}
	t.p50, t.p99, t.max = percentiles(all)
	t.same.LatencyP50, t.same.LatencyP99, t.same.LatencyMax = percentiles(same)
	t.cross.LatencyP50, t.cross.LatencyP99, t.cross.LatencyMax = percentiles(cross)
	return t
}

// percentiles sorts d and returns its p50, p99 and max.
func percentiles(d []time.Duration) (p50, p99, maxLat time.Duration) {
	slices.Sort(d)
	return percentile(d, 0.50), percentile(d, 0.99), percentile(d, 1)
}

// percentile is the nearest-rank percentile of sorted: the smallest value
// with at least p of the values at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(float64(n)*p)) - 1
	return sorted[min(max(i, 0), n-1)]
}

// histogram is a log-linear histogram of microseconds with 16 sub-buckets per
// power of two (at most 6.25% error), updated with one atomic add per
// delivery so the progress line can show a p99 without locking or copying
// the per-client slices while readers append to them.
type histogram struct {
	counts [histBuckets]atomic.Int64
}

const (
	histSubBits = 4
	histSub     = 1 << histSubBits
	histBuckets = (64-histSubBits-1)*histSub + 2*histSub
)

func histBucket(us uint64) int {
	if us < 2*histSub {
		return int(us)
	}
	shift := bits.Len64(us) - histSubBits - 1
	return shift*histSub + int(us>>shift)
}

// histUpper is the smallest value of the bucket after b: every value in b is
// below it.
func histUpper(b int) uint64 {
	b++
	if b < 2*histSub {
		return uint64(b)
	}
	shift := b/histSub - 1
	return uint64(b-shift*histSub) << shift
}

func (h *histogram) record(d time.Duration) {
	us := uint64(max(d.Microseconds(), 0))
	h.counts[histBucket(us)].Add(1)
}

// quantile is approximate and from a histogram that may be changing under it;
// it is for watching a run, not for the result.
func (h *histogram) quantile(p float64) (time.Duration, bool) {
	var snap [histBuckets]int64
	var total int64
	for i := range h.counts {
		snap[i] = h.counts[i].Load()
		total += snap[i]
	}
	if total == 0 {
		return 0, false
	}
	rank := max(int64(math.Ceil(float64(total)*p)), 1)
	var seen int64
	for i, n := range snap {
		seen += n
		if seen >= rank {
			return time.Duration(histUpper(i)) * time.Microsecond, true
		}
	}
	return 0, false
}

// fmtDuration prints a latency with the precision that matters at its size.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}
