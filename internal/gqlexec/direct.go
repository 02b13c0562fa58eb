package gqlexec

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The direct path of queries.
//
// gqlgen's executor answers a query in two passes: it resolves every field
// into a tree of graphql.Marshaler values (a field context, a closure and
// an interface value per field and record, a field set per object, an
// array per list), then walks the tree to write the JSON. For a page of 50
// customers with their nested connections that is tens of thousands of
// small allocations, and with the garbage collection they cause the larger
// part of the server's CPU once the data is loaded.
//
// The generator (./generate) also writes a direct path next to the
// executor (graph/direct.go): a function per object type and per type
// reference that calls the same resolvers, ent edge methods and argument
// parsers, in the same order, with a field context for each of those
// calls (entgql's field collection and eager loading read it), and writes
// each value into the answer as soon as it has it. It covers objects,
// interfaces, lists, leaves and every field that is a struct field, a
// method or a resolver without directives or a per-request loader; Covers
// checks that before anything is loaded. Anything else (introspection,
// @defer, a Batched field) goes to gqlgen's executor; while writing, a
// null where the schema forbids one, an error below the root or a panic
// makes the direct path give up, and the query runs through gqlgen's
// executor, which answers it as it always did. A root field's error is
// answered as gqlgen answers it (ExpectErrors). The direct path's errors go
// to a response context of its own until it has answered, so that giving
// up leaves no trace.
//
// What it writes is byte for byte what gqlgen writes: a test mode (Verify)
// runs every query the tests send through both and reports any difference.

// DirectMode is how a server uses the direct path.
type DirectMode struct {
	// Off sends every query through gqlgen's executor.
	Off bool
	// Verify, if set, also runs each query the direct path answered
	// through gqlgen's executor (in a response context of its own, its
	// statements marked by Quiet) and calls Verify when the two answers
	// differ, in their data or their errors. The direct answer is the
	// response.
	Verify func(direct, gqlgen []byte)
	// Quiet marks the context of Verify's run (statement counters skip it).
	Quiet func(context.Context) context.Context
	// Answered, if set, counts the queries the direct path answered.
	Answered func()
	// Present is the server's error presenter: the errors of root fields
	// the direct path answers with are presented as gqlgen's executor
	// presents them.
	Present graphql.ErrorPresenterFunc
}

type directKey struct{}

// WithDirect sets the server's DirectMode on a response's context; without
// it, queries go through gqlgen's executor.
func WithDirect(ctx context.Context, m *DirectMode) context.Context {
	return context.WithValue(ctx, directKey{}, m)
}

// Direct returns the data of a query written by direct, or nil when the
// query must go through gqlgen's executor (viaGqlgen, which Verify runs
// too).
func Direct(ctx context.Context, direct func(context.Context, *bytes.Buffer) bool, viaGqlgen func(context.Context, *bytes.Buffer)) []byte {
	m, _ := ctx.Value(directKey{}).(*DirectMode)
	if m == nil || m.Off {
		return nil
	}
	var w bytes.Buffer
	errs, ok := sandboxed(ctx, m.Present, &w, direct)
	if !ok {
		return nil
	}
	if m.Verify != nil {
		gctx := ctx
		if m.Quiet != nil {
			gctx = m.Quiet(gctx)
		}
		var g bytes.Buffer
		gerrs, _ := sandboxed(gctx, m.Present, &g, func(ctx context.Context, w *bytes.Buffer) bool {
			viaGqlgen(ctx, w)
			ExpectErrors(ctx)
			return true
		})
		d, e := w.Bytes(), g.Bytes()
		if len(errs)+len(gerrs) > 0 {
			// gqlgen resolves root fields concurrently: the order of
			// their errors is not the document's, nor always the same.
			d = append(append(slices.Clip(d), " errors: "...), sortedJSON(errs)...)
			e = append(append(e, " errors: "...), sortedJSON(gerrs)...)
		}
		if !bytes.Equal(d, e) {
			m.Verify(d, e)
		}
	}
	for _, e := range errs {
		graphql.AddError(ctx, e)
	}
	if m.Answered != nil {
		m.Answered()
	}
	return w.Bytes()
}

// sandboxed runs f with a response context of its own (errors presented by
// present): f's answer and the errors it recorded, or ok false if f gave
// up, panicked or recorded an error it did not expect (ExpectErrors).
func sandboxed(ctx context.Context, present graphql.ErrorPresenterFunc, w *bytes.Buffer, f func(context.Context, *bytes.Buffer) bool) (errs gqlerror.List, ok bool) {
	defer func() {
		if recover() != nil {
			errs, ok = nil, false
		}
	}()
	if present == nil {
		present = graphql.DefaultErrorPresenter
	}
	st := &sandbox{}
	rctx := graphql.WithResponseContext(context.WithValue(ctx, sandboxKey{}, st), present, graphql.DefaultRecover)
	if !f(rctx, w) {
		return nil, false
	}
	errs = graphql.GetErrors(rctx)
	return errs, len(errs) == st.expected
}

// sortedJSON is the JSON of each error, sorted.
func sortedJSON(errs gqlerror.List) []byte {
	out := make([]string, len(errs))
	for i, e := range errs {
		b, _ := json.Marshal(e)
		out[i] = string(b)
	}
	slices.Sort(out)
	return []byte(strings.Join(out, "\n"))
}

type sandboxKey struct{}

// sandbox counts the errors the direct path answers with.
type sandbox struct{ expected int }

// ExpectErrors takes the errors recorded so far into the answer: those of
// a root field, which the direct path answers as gqlgen does.
func ExpectErrors(ctx context.Context) {
	if st, ok := ctx.Value(sandboxKey{}).(*sandbox); ok {
		st.expected = len(graphql.GetErrors(ctx))
	}
}

// ErrorsExpected reports whether every error recorded so far was expected:
// anything else makes the direct path give up.
func ErrorsExpected(ctx context.Context) bool {
	st, ok := ctx.Value(sandboxKey{}).(*sandbox)
	return ok && len(graphql.GetErrors(ctx)) == st.expected
}

// WriteString writes s quoted as graphql.MarshalString writes it: the
// bytes of s, with '"', '\\' and the control characters escaped (and
// nothing else: not '<', '>', '&', nor invalid UTF-8).
func WriteString(w *bytes.Buffer, s string) {
	w.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		w.WriteString(s[start:i])
		switch c {
		case '\t':
			w.WriteString(`\t`)
		case '\r':
			w.WriteString(`\r`)
		case '\n':
			w.WriteString(`\n`)
		case '\\':
			w.WriteString(`\\`)
		case '"':
			w.WriteString(`\"`)
		default:
			w.WriteString(`\u00`)
			w.WriteByte(hex[c>>4])
			w.WriteByte(hex[c&0xf])
		}
		start = i + 1
	}
	w.WriteString(s[start:])
	w.WriteByte('"')
}

const hex = "0123456789ABCDEF"

// WriteInt writes i as graphql.MarshalInt and MarshalInt64 write it.
func WriteInt(w *bytes.Buffer, i int64) {
	w.Write(strconv.AppendInt(w.AvailableBuffer(), i, 10))
}

// WriteBool writes b as graphql.MarshalBoolean writes it.
func WriteBool(w *bytes.Buffer, b bool) {
	if b {
		w.WriteString("true")
	} else {
		w.WriteString("false")
	}
}

// WriteKey writes the key of an object's i-th field: a GraphQL name or
// alias, which has nothing to escape.
func WriteKey(w *bytes.Buffer, i int, alias string) {
	if i > 0 {
		w.WriteByte(',')
	}
	w.WriteByte('"')
	w.WriteString(alias)
	w.WriteString(`":`)
}

// Covers reports whether the direct path can write sel: every field it
// selects, at any depth and through fragments, is one of covered's for the
// type it is selected on (for an interface or union: for every object type
// of implementors'), or __typename; and nothing is deferred. Checked before
// anything is loaded, so that a query the direct path cannot finish is
// not loaded twice.
func Covers(sel ast.SelectionSet, covered map[string]map[string]bool, implementors map[string][]string) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.ObjectDefinition == nil {
				return false
			}
			if s.Name == "__typename" {
				continue
			}
			if !coveredOn(s.ObjectDefinition, s.Name, covered, implementors) || deferred(s.Directives) ||
				!Covers(s.SelectionSet, covered, implementors) {
				return false
			}
		case *ast.InlineFragment:
			if deferred(s.Directives) || !Covers(s.SelectionSet, covered, implementors) {
				return false
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || deferred(s.Directives) || !Covers(s.Definition.SelectionSet, covered, implementors) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// coveredOn reports whether the direct path writes field on def.
func coveredOn(def *ast.Definition, field string, covered map[string]map[string]bool, implementors map[string][]string) bool {
	switch def.Kind {
	case ast.Object:
		return covered[def.Name][field]
	case ast.Interface, ast.Union:
		impls, ok := implementors[def.Name]
		if !ok {
			return false
		}
		for _, o := range impls {
			if !covered[o][field] {
				return false
			}
		}
		return true
	}
	return false
}

func deferred(d ast.DirectiveList) bool { return d.ForName("defer") != nil }
