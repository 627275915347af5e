package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/storetest"
)

// BenchmarkAppendMessage measures storing one message (taking its sequence
// number in the same transaction), the write on every question's path.
//
//	go test ./sqlite -run '^$' -bench AppendMessage -benchtime 5000x
func BenchmarkAppendMessage(b *testing.B) {
	db, _ := MustOpen(b)
	sess := storetest.MustCreate(b, db, "bench")
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := &seance.Message{ID: uuid.NewString(), SessionID: sess.ID, UserID: "u", UserName: "Ada", Text: "Is anyone there?", Timestamp: seance.Timestamp(time.Now())}
		if err := db.AppendMessage(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}
