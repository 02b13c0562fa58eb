package resource

import (
	"context"
	"maps"
	"sync/atomic"

	"clientele/internal/apperr"
)

// Optimistic concurrency. Every resource type but the event log has a
// version: 1 when a record is created, one more on every change of it,
// whichever path makes the change (ent/schema, versionHook). A caller that
// read a record at version n and wants its write to apply only if nobody
// changed the record since puts the expectation in the context of the
// write:
//
//	ctx = resource.ExpectVersion(ctx, id, n)
//
// The first update, transition or delete of record id made with that
// context then runs with `version = n` in the statement's own WHERE clause,
// so the check and the write are one atomic step on SQLite and PostgreSQL.
// When the record's version is not n, nothing is written and the write
// fails with CONFLICT (Resource.Conflict), which names the current version;
// a missing or invisible record stays NOT_FOUND. Only the record named is
// checked: what the write changes on other records (a customer's counters
// when its order is placed) is not.
//
// Transports only translate: GraphQL from the mutation's expectedVersion
// argument (graph/version.go), REST from an If-Match header.

type expectKey struct{}

// expectation is the version one record is expected to have. It is used
// once: the first write of the record is the one the caller meant, and a
// later write of the same record in the same change (by a hook) must not
// be refused for the version the first one made.
type expectation struct {
	version int
	used    atomic.Bool
}

// ExpectVersion returns a context in which the first update, transition or
// delete of record id succeeds only if the record's version is n, and
// otherwise fails with CONFLICT and writes nothing.
func ExpectVersion(ctx context.Context, id string, n int) context.Context {
	prev, _ := ctx.Value(expectKey{}).(map[string]*expectation)
	next := make(map[string]*expectation, len(prev)+1)
	maps.Copy(next, prev)
	next[id] = &expectation{version: n}
	return context.WithValue(ctx, expectKey{}, next)
}

// TakeExpectedVersion returns the version ctx expects record id to have,
// once: later calls for the same record and context report none. The
// hook that applies the expectation calls it (ent/schema, versionHook).
func TakeExpectedVersion(ctx context.Context, id string) (int, bool) {
	m, _ := ctx.Value(expectKey{}).(map[string]*expectation)
	e := m[id]
	if e == nil || !e.used.CompareAndSwap(false, true) {
		return 0, false
	}
	return e.version, true
}

// Conflict is the CONFLICT error of a write that expected a record of this
// type at version `expected` and found it at `current`. Its field is the
// GraphQL argument that carries the expectation (expectedVersion); REST
// reports it on If-Match.
func (r *Resource) Conflict(expected, current int) *apperr.Error {
	return apperr.New(apperr.Conflict, apperr.Field("expectedVersion"),
		"the %s has changed since version %d: its current version is %d; read it again and retry", r.Noun, expected, current)
}
