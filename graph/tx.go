package graph

import (
	"context"
	"fmt"
	"log/slog"

	"clientele/ent"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// mutationTx runs each root mutation field in its own transaction, with the
// transaction-bound client in the context. The transaction commits only if
// the field produced neither an error nor user errors (see respond);
// otherwise it rolls back, so a refused mutation leaves nothing behind,
// events included. gqlgen runs root mutation fields one after another.
type mutationTx struct {
	client *ent.Client
	log    *slog.Logger
}

var _ interface {
	graphql.HandlerExtension
	graphql.RootFieldInterceptor
} = mutationTx{}

func (mutationTx) ExtensionName() string                   { return "MutationTransaction" }
func (mutationTx) Validate(graphql.ExecutableSchema) error { return nil }
func (t mutationTx) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return next(ctx)
	}
	tx, err := t.client.Tx(ctx)
	if err != nil {
		graphql.AddError(ctx, fmt.Errorf("begin transaction: %w", err))
		return graphql.Null
	}
	state := &txState{}
	ctx = context.WithValue(ent.NewTxContext(ent.NewContext(ctx, tx.Client()), tx), txStateKey{}, state)
	before := len(graphql.GetErrors(ctx))
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	res := next(ctx)
	if state.rollback || len(graphql.GetErrors(ctx)) > before {
		return res
	}
	if err := tx.Commit(); err != nil {
		graphql.AddError(ctx, fmt.Errorf("commit: %w", err))
		return graphql.Null
	}
	committed = true
	return res
}

type txState struct{ rollback bool }
type txStateKey struct{}

// rollbackOnly marks the current mutation's transaction to roll back.
func rollbackOnly(ctx context.Context) {
	if s, ok := ctx.Value(txStateKey{}).(*txState); ok {
		s.rollback = true
	}
}
