// Package gqlexec is what clientele's gqlgen generator (./generate) puts in
// place of gqlgen's per-element goroutines: lists whose selection needs no
// batching are marshalled one element after the other.
//
// gqlgen marshals every element of a list of objects in a goroutine of its
// own (graphql.MarshalSliceConcurrently), so that fields resolved through
// a dataloader (the events of a record, a customer's email, a polymorphic
// parent) batch across the list. Most lists need none of that: their data
// is already loaded (entgql's eager loading) and the goroutines, their
// stacks and the synchronisation only cost CPU.
package gqlexec

import (
	"context"
	"io"
	"slices"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Batched names the fields whose resolvers read through a per-request
// dataloader and therefore must run concurrently with those of the list's
// other elements. The generator also keeps gqlgen's per-field goroutines on
// every type that has a resolver of one of these names. A field added to
// the loaders (graph/loaders.go) must be named here.
var Batched = map[string]bool{
	"events":        true,
	"resource":      true,
	"attachable":    true,
	"customerEmail": true,
}

// MarshalSlice marshals a list like graphql.MarshalSliceConcurrently, but
// in the calling goroutine unless sel (the elements' selection) asks,
// at any depth, for a Batched field.
func MarshalSlice(
	ctx context.Context,
	sel ast.SelectionSet,
	length int,
	workerLimit int64,
	omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if length > 1 && batched(sel) {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	ret := make(graphql.Array, length)
	// The elements' field contexts and indexes, in one allocation each
	// rather than two per element.
	fcs := make([]graphql.FieldContext, length)
	idx := make([]int, length)
	for i := range length {
		idx[i] = i
		fcs[i].Index = &idx[i]
		childCtx := graphql.WithFieldContext(ctx, &fcs[i])
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}

// batched reports whether sel selects a Batched field at any depth.
func batched(sel ast.SelectionSet) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if Batched[s.Name] || batched(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if batched(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || batched(s.Definition.SelectionSet) {
				return true
			}
		}
	}
	return false
}

// NewDeferredGroup is graphql.NewDeferredGroup for an object whose
// collected fields are known: without a deferred field among them (always,
// unless the document uses @defer) the group is never read beyond its
// Defers count, so it skips building the response path, a field set and a
// map for every object of the response.
func NewDeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for _, f := range fields {
		if f.IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{Context: ctx}
}

// Object is what an object's executor function returns once its fields are
// resolved: its field set as the Marshaler, or, when none of its fields is
// deferred, its values written as Fields writes them, without
// graphql.FieldSet.MarshalGQL's costs: a map per object to skip repeated
// aliases and a heap copy of every collected field.
func Object(fields []graphql.CollectedField, out *graphql.FieldSet, deferred int) graphql.Marshaler {
	if deferred > 0 {
		return out
	}
	return &Fields{fields: fields, Values: out.Values}
}

// Fields is an object whose fields all resolve in the calling goroutine
// (the generator's sequential objects; Object wraps the others' values in
// one too): the executor function sets the values in place, Invalids
// counts the non-null fields that came back null, and the object writes
// itself. Nothing in it is scheduled or deferred, so it needs none of
// graphql.FieldSet's machinery; the values of a small object live in the
// same allocation.
type Fields struct {
	fields   []graphql.CollectedField
	Values   []graphql.Marshaler
	Invalids uint32
	small    [4]graphql.Marshaler
}

// NewObject starts the object of the collected fields.
func NewObject(fields []graphql.CollectedField) *Fields {
	o := &Fields{fields: fields}
	if len(fields) <= len(o.small) {
		o.Values = o.small[:len(fields)]
	} else {
		o.Values = make([]graphql.Marshaler, len(fields))
	}
	return o
}

// MarshalGQL writes the object's fields as graphql.FieldSet does.
func (o *Fields) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, "{")
	for i := range o.fields {
		alias := o.fields[i].Alias
		// Like FieldSet: the first field of an alias is written, later
		// ones (the same field under another fragment's @defer) are not.
		if slices.ContainsFunc(o.fields[:i], func(f graphql.CollectedField) bool { return f.Alias == alias }) {
			continue
		}
		if i > 0 {
			_, _ = io.WriteString(w, ",")
		}
		// An alias is a GraphQL name ([_A-Za-z][_0-9A-Za-z]*): nothing
		// in it needs escaping.
		_, _ = io.WriteString(w, `"`)
		_, _ = io.WriteString(w, alias)
		_, _ = io.WriteString(w, `":`)
		o.Values[i].MarshalGQL(w)
	}
	_, _ = io.WriteString(w, "}")
}

// Collected is graphql.CollectFields with one operation's cache of its own.
// gqlgen caches the collected fields per operation too, but builds each
// lookup's key with a heap-allocated hash of the type's names, for every
// object of the response; here the key is the selection and the
// implementors slice themselves (the generated code passes one package
// variable per type). Its zero value is ready; the generator gives every
// executionContext one.
type Collected struct {
	mu     sync.Mutex
	fields map[collectKey][]graphql.CollectedField
}

type collectKey struct {
	sel       *ast.Selection
	n         int
	satisfies *string
}

// Fields returns graphql.CollectFields(op, sel, satisfies), from the cache
// after the first call.
func (c *Collected) Fields(op *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	if len(sel) == 0 || len(satisfies) == 0 {
		return graphql.CollectFields(op, sel, satisfies)
	}
	k := collectKey{&sel[0], len(sel), &satisfies[0]}
	c.mu.Lock()
	f, ok := c.fields[k]
	c.mu.Unlock()
	if ok {
		return f
	}
	f = graphql.CollectFields(op, sel, satisfies)
	c.mu.Lock()
	if c.fields == nil {
		c.fields = map[collectKey][]graphql.CollectedField{}
	}
	c.fields[k] = f
	c.mu.Unlock()
	return f
}

// Args returns the arguments of a field of a record, parsed by parse once
// per field of the document and response: gqlgen parses them for every
// record (the first, orderBy and where of customers.orders, fifty times for
// fifty customers), though they depend only on the field and the
// variables. A refused argument is not kept: every record reports it, as
// before. Resolvers must not change the values they are given.
func Args(ctx context.Context, field graphql.CollectedField, parse func() (map[string]any, error)) (map[string]any, error) {
	c, _ := ctx.Value(argsKey{}).(*argsCache)
	if c == nil {
		return parse()
	}
	c.mu.Lock()
	args, ok := c.args[field.Field]
	c.mu.Unlock()
	if ok {
		return args, nil
	}
	args, err := parse()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.args[field.Field] = args
	c.mu.Unlock()
	return args, nil
}

type argsKey struct{}

type argsCache struct {
	mu   sync.Mutex
	args map[*ast.Field]map[string]any
}

// WithArgs gives one response its cache of arguments (see Args).
func WithArgs(ctx context.Context) context.Context {
	return context.WithValue(ctx, argsKey{}, &argsCache{args: map[*ast.Field]map[string]any{}})
}
