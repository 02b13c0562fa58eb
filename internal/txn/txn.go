// Package txn runs a write in one transaction, the same way for every
// transport: the ent client's transaction, carried in the context (ent's
// Tx context gives the write's events their outbox, written at commit),
// rolled back on any error or when the write asks for it, so that a
// refused write leaves nothing behind, events included.
//
// On SQLite, writers also queue on one in-process lock per client: SQLite
// allows one writer at a time anyway, and a Go mutex hands the turn over at
// once where SQLite's busy handler sleeps and retries (which made the p99
// of concurrent writes seconds long). Every transport writing through the
// same client shares the lock. Other processes writing the same file still
// wait in the busy handler.
package txn

import (
	"context"
	"fmt"
	"sync"

	"clientele/ent"

	"entgo.io/ent/dialect"
)

// locks holds the SQLite write lock of each client.
var locks sync.Map // *ent.Client → *sync.Mutex

// writeLock returns the write lock of client c.
func writeLock(c *ent.Client) *sync.Mutex {
	l, _ := locks.LoadOrStore(c, &sync.Mutex{})
	return l.(*sync.Mutex)
}

// Run runs fn in a transaction of c. fn gets a context carrying the
// transaction and the transaction itself; the transaction commits only if
// fn returns commit true and no error, and rolls back otherwise (also when
// fn panics, which Run then re-panics). On SQLite (d is the client's
// dialect) the write first takes c's write lock.
func Run(ctx context.Context, c *ent.Client, d string, fn func(ctx context.Context, tx *ent.Tx) (commit bool, err error)) error {
	if d == dialect.SQLite {
		l := writeLock(c)
		l.Lock()
		defer l.Unlock()
	}
	tx, err := c.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	commit, err := func() (bool, error) {
		defer func() {
			if p := recover(); p != nil {
				_ = tx.Rollback()
				panic(p)
			}
		}()
		return fn(ent.NewTxContext(ctx, tx), tx)
	}()
	if err != nil || !commit {
		if rerr := tx.Rollback(); rerr != nil {
			if err != nil {
				// The cause wins: SQLite rolls back by itself after some
				// errors (a full disk), so the rollback fails too.
				return fmt.Errorf("%w (rollback: %v)", err, rerr)
			}
			return fmt.Errorf("rollback: %w", rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
