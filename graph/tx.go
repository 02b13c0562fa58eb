package graph

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"clientele/ent"
	"clientele/internal/txn"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// mutationTx runs each root mutation field in its own transaction
// (txn.Run). The resolver gets the transaction-bound client (Resolver.ent);
// the transaction commits as soon as the resolver returns, and only if it
// returned neither an error nor user errors (see respond), so a refused
// mutation leaves nothing behind, events included. The payload is then
// rendered outside the transaction, with the root client: child fields may
// run concurrently (a transaction is one connection) and no lock is held
// while rendering. gqlgen runs root mutation fields one after another. On
// SQLite, writers queue on the client's write lock, which the REST
// transport shares (package txn).
type mutationTx struct {
	client  *ent.Client
	dialect string
}

// directive implements @transaction, which every Mutation field carries
// (checkTransactional makes sure): unlike a field interceptor, it costs
// nothing on the fields of queries. It also applies the field's
// expectedVersion to the record its id names (expectVersion).
func (t mutationTx) directive(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	var res any
	committed := false
	err := txn.Run(ctx, t.client, t.dialect, func(ctx context.Context, tx *ent.Tx) (bool, error) {
		state := &txState{client: tx.Client()}
		var err error
		// The Tx in ctx gives the mutation's events their outbox: they
		// are written, in cause order, when it commits.
		res, err = next(expectVersion(context.WithValue(ctx, txStateKey{}, state)))
		state.client = nil // from here on, reads use the root client
		committed = err == nil && !state.rollback
		return committed, err
	})
	switch {
	case err != nil && committed:
		return nil, err // the commit failed
	case err != nil || !committed:
		return res, err
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
