package store

import "context"

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
