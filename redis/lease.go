package redis

import (
	"context"
	"strconv"
	"time"
)

// AcquireSpirit makes this node the séance's answerer for LeaseTTL, unless
// another node is.
func (b *Broker) AcquireSpirit(ctx context.Context, sessionID string) (bool, error) {
	n, err := b.scripts.acquire.Run(ctx, b.rdb, []string{b.key(sessionID, "spirit")},
		b.node, b.leaseTTL.Milliseconds()).Int64()
	if err != nil {
		return false, b.wrap("acquire the spirit of séance "+sessionID, err)
	}
	return n == 1, nil
}

// RenewSpirit extends this node's lease by LeaseTTL; false when another
// node holds it or nobody does (it expired, or was released).
func (b *Broker) RenewSpirit(ctx context.Context, sessionID string) (bool, error) {
	n, err := b.scripts.renew.Run(ctx, b.rdb, []string{b.key(sessionID, "spirit")},
		b.node, b.leaseTTL.Milliseconds()).Int64()
	if err != nil {
		return false, b.wrap("renew the spirit of séance "+sessionID, err)
	}
	return n == 1, nil
}

// ReleaseSpirit gives the lease up if this node holds it; another node's
// lease is left alone.
func (b *Broker) ReleaseSpirit(ctx context.Context, sessionID string) error {
	if err := b.scripts.release.Run(ctx, b.rdb, []string{b.key(sessionID, "spirit")}, b.node).Err(); err != nil {
		return b.wrap("release the spirit of séance "+sessionID, err)
	}
	return nil
}

// Allow takes one event from key's sliding window of n per period, shared
// by every node.
func (b *Broker) Allow(ctx context.Context, key string, n int, per time.Duration) (bool, time.Duration, error) {
	now := b.now().UnixMilli()
	ms := per.Milliseconds()
	// The member only has to differ from the window's others: two events
	// in one millisecond, on one node or two, are two events.
	member := strconv.FormatInt(now, 10) + ":" + b.node + ":" + strconv.FormatUint(b.seq.Add(1), 10)
	wait, err := b.scripts.allow.Run(ctx, b.rdb, []string{b.prefix + "limit:{" + key + "}"},
		now, ms, n, member, now-ms).Int64()
	if err != nil {
		return false, 0, b.wrap("rate limit", err)
	}
	if wait < 0 {
		return true, 0, nil
	}
	return false, time.Duration(wait) * time.Millisecond, nil
}
