package store_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"clientele/internal/store"
	"clientele/internal/testenv"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/stretchr/testify/require"
)

// slowRead is a statement that runs for far longer than any test waits.
func slowRead(d string) string {
	if d == dialect.Postgres {
		return "SELECT pg_sleep(60)"
	}
	return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000000) SELECT count(*) FROM c"
}

// read runs q through the store's read driver and reads every row,
// returning the first error. It fails the test if q is still running 30 s
// later: a read the request's end did not stop.
func read(t *testing.T, db *store.DB, ctx context.Context, q string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		var rows entsql.Rows
		if err := store.Reads(db).Query(ctx, q, []any{}, &rows); err != nil {
			done <- err
			return
		}
		for rows.Next() {
		}
		done <- errorsJoin(rows.Err(), rows.Close())
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the read did not end with its context")
		return nil
	}
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// database/sql does not see a read's context, but the driver does: a
// statement still running when the request ends is stopped, and the pool
// serves the next read.
func TestReadsEndWithTheirRequest(t *testing.T) {
	t.Parallel()
	db, err := store.Open(testenv.DatabaseURL(t), nil)
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, read(t, db, ctx, slowRead(db.Dialect)), context.DeadlineExceeded)
	require.NoError(t, read(t, db, context.Background(), "SELECT 1"))
}

// Waiting for a connection of the pool still ends with the request.
func TestReadsWaitingForAConnectionEndWithTheirRequest(t *testing.T) {
	t.Parallel()
	db, err := store.Open(testenv.DatabaseURL(t), nil)
	require.NoError(t, err)
	defer db.Close()
	db.SQL.SetMaxOpenConns(1)
	held, err := db.SQL.Conn(context.Background())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, read(t, db, ctx, "SELECT 1"), context.DeadlineExceeded)
	require.NoError(t, held.Close())
	require.NoError(t, read(t, db, context.Background(), "SELECT 1"))
}

// The point of detaching: database/sql starts no goroutine per open rows
// (Rows.awaitDone) for a read under a context that can end. Not parallel:
// it counts the process's goroutines.
func TestReadsStartNoGoroutinePerStatement(t *testing.T) {
	db, err := store.Open(testenv.DatabaseURL(t), nil)
	require.NoError(t, err)
	defer db.Close()
	const n = 5
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() []*entsql.Rows {
		var all []*entsql.Rows
		for range n {
			rows := &entsql.Rows{}
			require.NoError(t, store.Reads(db).Query(ctx, "SELECT 1", []any{}, rows))
			all = append(all, rows)
		}
		return all
	}
	// The pool's connections are opened first, and given back.
	for _, r := range open() {
		require.NoError(t, r.Close())
	}
	runtime.GC()
	before := runtime.NumGoroutine()
	all := open()
	during := runtime.NumGoroutine()
	for _, r := range all {
		require.NoError(t, r.Close())
	}
	require.Less(t, during-before, n, "a goroutine per open rows: database/sql watches the reads' context")
}

// A detached read gives its connection back when its rows are read to the
// end, as database/sql's rows do, even if nobody closes them; closing
// twice is harmless.
func TestReadsGiveTheirConnectionBackAtTheEnd(t *testing.T) {
	t.Parallel()
	db, err := store.Open(testenv.DatabaseURL(t), nil)
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rows entsql.Rows
	require.NoError(t, store.Reads(db).Query(ctx, "SELECT 1", []any{}, &rows))
	require.Equal(t, 1, db.SQL.Stats().InUse)
	for rows.Next() {
	}
	require.NoError(t, rows.Err())
	require.Zero(t, db.SQL.Stats().InUse, "read to the end, the connection is back in the pool")
	require.NoError(t, rows.Close())
	require.NoError(t, rows.Close())
}
