package store

import (
	"context"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// ListenerPID returns the backend pid of the credentials listener's
// connection (PostgreSQL; 0 before it first listened).
func ListenerPID(db *DB) uint32 { return db.listen.pid.Load() }

// HoldListener keeps the credentials listener from connecting until
// release is called.
func HoldListener(db *DB) (release func()) {
	ch := make(chan struct{})
	h := func(ctx context.Context) {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	db.listen.hold.Store(&h)
	return func() {
		db.listen.hold.Store(nil)
		close(ch)
	}
}

// Reads is the ent driver the store's client reads through outside
// transactions (a second one on the same pool).
func Reads(db *DB) dialect.Driver { return detachedReads{entsql.OpenDB(db.Dialect, db.SQL), db.SQL} }
