package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/wire"
)

// Enter records that this node has p in the séance, within seats
// participants counted over every node's live records.
func (b *Broker) Enter(ctx context.Context, sessionID string, p wire.Participant, seats int) (bool, error) {
	pj, err := json.Marshal(record{p, p.Addr})
	if err != nil {
		return false, fmt.Errorf("redis: enter séance %s: %w", sessionID, err)
	}
	now := b.now().UnixMilli()
	res, err := b.scripts.enter.Run(ctx, b.rdb,
		[]string{b.key(sessionID, "here"), b.key(sessionID, "who")},
		now, now+b.ttl.Milliseconds(), b.node, p.ID, pj, seats, b.keyTTL(),
	).Int64Slice()
	if err != nil {
		return false, b.wrap("enter séance "+sessionID, err)
	}
	if len(res) != 2 {
		return false, fmt.Errorf("redis: enter séance %s: unexpected reply %v", sessionID, res)
	}
	if res[0] < 0 {
		return false, seance.SessionFull(int(res[1]), seats)
	}
	return res[0] == 1, nil
}

// record is a participant as presence keeps it: with the address of its
// connections, which the wire never shows (wire.Participant leaves Addr out
// of its JSON).
type record struct {
	wire.Participant
	Addr string `json:"addr,omitempty"`
}

// Leave removes this node's record of userID.
func (b *Broker) Leave(ctx context.Context, sessionID, userID string) (bool, error) {
	n, err := b.scripts.leave.Run(ctx, b.rdb,
		[]string{b.key(sessionID, "here"), b.key(sessionID, "who")},
		b.now().UnixMilli(), b.node, userID,
	).Int64()
	if err != nil {
		return false, b.wrap("leave séance "+sessionID, err)
	}
	return n == 1, nil
}

// Present lists the participants with a live record on any node, by
// joining time, then id.
func (b *Broker) Present(ctx context.Context, sessionID string) ([]wire.Participant, error) {
	vals, err := b.scripts.present.Run(ctx, b.rdb,
		[]string{b.key(sessionID, "here"), b.key(sessionID, "who")},
		b.now().UnixMilli(),
	).Slice()
	if err != nil {
		return nil, b.wrap("present of séance "+sessionID, err)
	}
	return b.participants(sessionID, vals), nil
}

// Refresh renews this node's records of the participants here (restoring
// them, should Redis have lost them), and reports the participants whose
// every record has expired.
func (b *Broker) Refresh(ctx context.Context, sessionID string, here []wire.Participant) ([]wire.Participant, error) {
	now := b.now().UnixMilli()
	args := make([]any, 0, 4+2*len(here))
	args = append(args, now, now+b.ttl.Milliseconds(), b.node, b.keyTTL())
	for _, p := range here {
		pj, err := json.Marshal(record{p, p.Addr})
		if err != nil {
			return nil, fmt.Errorf("redis: refresh séance %s: %w", sessionID, err)
		}
		args = append(args, p.ID, pj)
	}
	vals, err := b.scripts.refresh.Run(ctx, b.rdb,
		[]string{b.key(sessionID, "here"), b.key(sessionID, "who")}, args...,
	).Slice()
	if err != nil {
		return nil, b.wrap("refresh séance "+sessionID, err)
	}
	return b.participants(sessionID, vals), nil
}

// keyTTL is the expiry of a séance's presence keys, renewed with its
// records: long enough to outlive every record written with them, so that
// the keys go only once no node refreshes the séance any more.
func (b *Broker) keyTTL() string {
	return strconv.FormatInt(2*b.ttl.Milliseconds(), 10)
}

// participants decodes the JSON participants of a script's reply, in
// joining order. A value that does not decode (nil: a live record whose
// participant is missing, as when "who" was deleted by hand; anything
// else: not written by this package) is left out, which is less wrong
// than failing the whole séance.
func (b *Broker) participants(sessionID string, vals []any) []wire.Participant {
	out := make([]wire.Participant, 0, len(vals))
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		var rec record
		if err := json.Unmarshal([]byte(s), &rec); err != nil {
			b.log.Warn("dropped a malformed participant", "session", sessionID, "err", err)
			continue
		}
		rec.Participant.Addr = rec.Addr
		out = append(out, rec.Participant)
	}
	slices.SortFunc(out, func(x, y wire.Participant) int {
		return cmp.Or(x.JoinedAt.Compare(y.JoinedAt), cmp.Compare(x.ID, y.ID))
	})
	return out
}
