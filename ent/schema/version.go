package schema

import (
	"context"
	"fmt"

	"clientele/internal/resource"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema/field"
)

// fieldVersion is the version column of every resource but the event log.
const fieldVersion = "version"

// versionField is a record's version (resourceMixin): server-set, so out of
// the create and update inputs, and out of the where inputs (a client
// compares versions, it does not search by them).
func versionField() ent.Field {
	return field.Int(fieldVersion).
		Default(1).
		Min(1).
		Comment("The record's version: 1 when it is created, one more on every change, whoever makes it (an update, a transition, a side effect of another change). Send it back as `expectedVersion` to change or delete the record only if nobody changed it since you read it; otherwise the mutation answers CONFLICT and changes nothing.").
		Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput))
}

// versionHook keeps a record's version and applies an expected one.
//
// A create starts at 1 and every update adds 1 in its own UPDATE statement
// (SET version = version + 1; bulk updates too, for each row they change),
// whichever path writes: GraphQL, a hook's side effect, the CLI, the seed.
// Nobody sets a version by hand.
//
// When the context expects a version of the record a single update or
// delete names (resource.ExpectVersion), the hook reads the record's
// version first: a different one is CONFLICT before anything else runs (no
// cascade, no state machine). It then adds `version = expected` to the
// statement's WHERE clause, so that a change committed between that read
// and the write (PostgreSQL READ COMMITTED) makes the write match nothing;
// whatever the inner hooks make of that (NOT_FOUND, a lost
// INVALID_TRANSITION or LOCKED), the answer is CONFLICT when the version
// moved. A record the caller cannot see is left to answer NOT_FOUND as
// without an expectation.
func versionHook(r *resource.Resource) ent.Hook {
	table := r.Table()
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			op := m.Op()
			if op.Is(ent.OpCreate) {
				if err := m.SetField(fieldVersion, 1); err != nil {
					return nil, err
				}
				return next.Mutate(ctx, m)
			}
			if op.Is(ent.OpUpdate | ent.OpUpdateOne) {
				_, set := m.Field(fieldVersion)
				_, added := m.AddedField(fieldVersion)
				if set || added {
					return nil, fmt.Errorf("%s.%s is kept by the server and cannot be set", table, fieldVersion)
				}
				if err := m.AddField(fieldVersion, 1); err != nil {
					return nil, err
				}
			}
			if !op.Is(ent.OpUpdateOne | ent.OpDeleteOne) {
				return next.Mutate(ctx, m)
			}
			mu := m.(mutation)
			id, _ := mu.ID()
			expected, ok := resource.TakeExpectedVersion(ctx, id)
			if !ok {
				return next.Mutate(ctx, m)
			}
			// current reads the version in the write's transaction, as the
			// caller sees it (mode and privacy apply).
			current := func() (int, bool, error) {
				vs, err := mu.Client().IntsOf(ctx, table, fieldVersion, id)
				if err != nil {
					return 0, false, fmt.Errorf("read version of %s %s: %w", table, id, err)
				}
				v, found := vs[id]
				return v, found, nil
			}
			cur, found, err := current()
			if err != nil {
				return nil, err
			}
			if found && cur != expected {
				return nil, r.Conflict(expected, cur)
			}
			mu.WhereP(sql.FieldEQ(fieldVersion, expected))
			v, err := next.Mutate(ctx, m)
			if n, isCount := v.(int); err == nil && !(isCount && n == 0) {
				return v, nil
			}
			// The write failed or deleted nothing. If the version moved
			// meanwhile, that is why. (A failed statement may have ended
			// a PostgreSQL transaction; the read then fails and the
			// write's own error stands.)
			if cur, found, rerr := current(); rerr == nil && found && cur != expected {
				return nil, r.Conflict(expected, cur)
			}
			return v, err
		})
	}
}
