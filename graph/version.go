package graph

import (
	"context"

	"clientele/internal/resource"

	"github.com/99designs/gqlgen/graphql"
)

// The arguments of a mutation that names an existing record and, optionally,
// the version the caller read it at.
const (
	argID              = "id"
	argExpectedVersion = "expectedVersion"
)

// expectVersion applies a mutation's expectedVersion argument to the record
// its id argument names (resource.ExpectVersion): the mutation's write of
// that record then succeeds only at that version, and otherwise answers
// CONFLICT. mutationTx.directive calls it for every mutation, so a new
// mutation needs only the two arguments in the schema (a test checks that
// every mutation with an id has expectedVersion).
func expectVersion(ctx context.Context) context.Context {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return ctx
	}
	id, _ := fc.Args[argID].(string)
	n, _ := fc.Args[argExpectedVersion].(*int)
	if id == "" || n == nil {
		return ctx
	}
	return resource.ExpectVersion(ctx, id, *n)
}
