package graph

import (
	"context"
	"fmt"

	"reflect"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"

	"clientele/ent"

	"github.com/99designs/gqlgen/graphql"
)

// mutationTx runs each root mutation field in its own transaction. The
// resolver gets the transaction-bound client (Resolver.ent); the
// transaction commits as soon as the resolver returns, and only if it
// returned neither an error nor user errors (see respond), so a refused
// mutation leaves nothing behind, events included. The payload is then
// rendered outside the transaction, with the root client: child fields may
// run concurrently (a transaction is one connection) and no lock is held
// while rendering. gqlgen runs root mutation fields one after another.
//
// On SQLite, writers also queue on writeLock inside the process: SQLite
// allows one writer at a time anyway, and a Go mutex hands the turn over at
// once where SQLite's busy handler sleeps and retries (which made the p99
// of concurrent writes seconds long). Other processes writing the same file
// still wait in the busy handler.
type mutationTx struct {
	client    *ent.Client
	writeLock *sync.Mutex
}

// directive implements @transaction, which every Mutation field carries
// (checkTransactional makes sure): unlike a field interceptor, it costs
// nothing on the fields of queries. It also applies the field's
// expectedVersion to the record its id names (expectVersion).
func (t mutationTx) directive(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	if t.writeLock != nil {
		t.writeLock.Lock()
		defer t.writeLock.Unlock()
	}
	tx, err := t.client.Tx(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	state := &txState{client: tx.Client()}
	res, err := func() (res any, err error) {
		defer func() {
			if p := recover(); p != nil {
				_ = tx.Rollback()
				panic(p)
			}
		}()
		// The Tx in the context gives the mutation's events their outbox:
		// they are written, in cause order, when it commits.
		ctx := expectVersion(context.WithValue(ctx, txStateKey{}, state))
		return next(ent.NewTxContext(ctx, tx))
	}()
	state.client = nil // from here on, reads use the root client
	if err != nil || state.rollback {
		if rerr := tx.Rollback(); rerr != nil {
			if err != nil {
				// The cause wins: SQLite rolls back by itself after some
				// errors (a full disk), so the rollback fails too.
				return nil, fmt.Errorf("%w (rollback: %v)", err, rerr)
			}
			return nil, fmt.Errorf("rollback: %w", rerr)
		}
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	unwrap(res)
	return res, nil
}

// unwrap detaches the entities of a payload from the committed transaction
// so that their edges load with the root client.
func unwrap(payload any) {
	v := reflect.ValueOf(payload)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() != reflect.Pointer || f.IsNil() {
			continue
		}
		if m := f.MethodByName("Unwrap"); m.IsValid() && m.Type().NumIn() == 0 {
			func() {
				defer func() { _ = recover() }() // not a transactional entity
				m.Call(nil)
			}()
		}
	}
}

type txState struct {
	client   *ent.Client
	rollback bool
}
type txStateKey struct{}

// txClient returns the transaction-bound client of the mutation being
// resolved, or nil.
func txClient(ctx context.Context) *ent.Client {
	if s, ok := ctx.Value(txStateKey{}).(*txState); ok {
		return s.client
	}
	return nil
}

// rollbackOnly marks the current mutation's transaction to roll back.
func rollbackOnly(ctx context.Context) {
	if s, ok := ctx.Value(txStateKey{}).(*txState); ok {
		s.rollback = true
	}
}

// checkTransactional refuses a schema with a mutation field that lacks
// @transaction: it would write outside a transaction and keep the writes of
// a mutation that returns user errors.
func checkTransactional(s *ast.Schema) {
	if s.Mutation == nil {
		return
	}
	for _, f := range s.Mutation.Fields {
		if !strings.HasPrefix(f.Name, "__") && f.Directives.ForName("transaction") == nil {
			panic(fmt.Sprintf("graph: Mutation.%s lacks @transaction", f.Name))
		}
	}
}
