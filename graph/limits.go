package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound what one operation may ask for (DESIGN §9).
type Limits struct {
	MaxDepth       int // nesting of fields, fragments flattened
	MaxComplexity  int // fields, connections multiplied by their page size
	MaxAliases     int // aliased fields
	DefaultPage    int // page size of a connection without first/last
	MaxPage        int // largest first/last
	MaxNodes       int // ids in one nodes(ids:) call
	MaxTokens      int // parser tokens
	MaxBodyBytes   int64
	RequestTimeout int // seconds
}

// DefaultLimits are the defaults of DESIGN §9.
func DefaultLimits() Limits {
	return Limits{MaxDepth: 12, MaxComplexity: 5000, MaxAliases: 30, DefaultPage: 20, MaxPage: 100,
		MaxNodes: 100, MaxTokens: 15000, MaxBodyBytes: 1 << 20, RequestTimeout: 30}
}

// isConnection reports whether a field returns a Relay connection with
// first/last arguments.
func isConnection(def *ast.FieldDefinition) bool {
	return def != nil && def.Arguments.ForName("first") != nil && def.Arguments.ForName("last") != nil &&
		strings.HasSuffix(def.Type.Name(), "Connection")
}

// pageCache is gqlgen's parsed-query cache that also normalises each new
// document once, when it is added after validation and before anyone else
// can see it:
//   - every connection called without first or last gets an explicit
//     `first: DefaultPage`; without it a connection returns every row;
//   - a single literal given for a list argument (orderBy: {field: …}) is
//     wrapped in a list, as GraphQL's input coercion says.
//
// entgql's eager loading reads arguments from the document itself, without
// gqlgen's coercion; normalising the document makes the eager load and the
// resolvers see the same arguments (otherwise a nested orderBy written as a
// single object is silently ignored by the eager load).
type pageCache struct {
	graphql.Cache[*ast.QueryDocument]
	defaultPage int
}

func (c pageCache) Add(ctx context.Context, key string, doc *ast.QueryDocument) {
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					def := s.Definition.Arguments.ForName(a.Name)
					if def != nil && def.Type.Elem != nil && a.Value != nil &&
						a.Value.Kind != ast.ListValue && a.Value.Kind != ast.Variable && a.Value.Kind != ast.NullValue {
						a.Value = &ast.Value{Kind: ast.ListValue, Position: a.Value.Position, ExpectedType: def.Type,
							Children: ast.ChildValueList{{Value: a.Value, Position: a.Value.Position}}}
					}
				}
				if isConnection(s.Definition) && s.Arguments.ForName("first") == nil && s.Arguments.ForName("last") == nil {
					s.Arguments = append(s.Arguments, &ast.Argument{
						Name:     "first",
						Value:    &ast.Value{Kind: ast.IntValue, Raw: fmt.Sprint(c.defaultPage), ExpectedType: s.Definition.Arguments.ForName("first").Type},
						Position: s.Position,
					})
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
	c.Cache.Add(ctx, key, doc)
}

// limitsExtension checks an operation against the limits before any
// resolver runs.
type limitsExtension struct {
	limits Limits
	schema *ast.Schema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = limitsExtension{}

func (limitsExtension) ExtensionName() string { return "Limits" }
func (e limitsExtension) Validate(s graphql.ExecutableSchema) error {
	return nil
}

type limitError struct {
	code, msg string
}

func (e limitsExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	w := &limitWalker{ext: e, vars: oc.Variables, doc: oc.Doc}
	cost := w.selections(oc.Operation.SelectionSet, 1)
	if w.err != nil {
		return &gqlerror.Error{Message: w.err.msg, Extensions: map[string]any{"code": w.err.code}}
	}
	if w.aliases > e.limits.MaxAliases {
		return &gqlerror.Error{Message: fmt.Sprintf("The operation uses %d aliases; at most %d are allowed.", w.aliases, e.limits.MaxAliases),
			Extensions: map[string]any{"code": CodeQueryTooComplex}}
	}
	if cost > e.limits.MaxComplexity {
		return &gqlerror.Error{Message: fmt.Sprintf("The operation costs %d; at most %d is allowed. Ask for smaller pages or fewer fields.", cost, e.limits.MaxComplexity),
			Extensions: map[string]any{"code": CodeQueryTooComplex, "cost": cost, "maxCost": e.limits.MaxComplexity}}
	}
	return nil
}

type limitWalker struct {
	ext     limitsExtension
	vars    map[string]any
	doc     *ast.QueryDocument
	aliases int
	err     *limitError
	// fragment depth guard: validation already rejects cycles.
}

func (w *limitWalker) fail(code, msg string) {
	if w.err == nil {
		w.err = &limitError{code: code, msg: msg}
	}
}

// selections returns the cost of a selection set at the given depth.
func (w *limitWalker) selections(set ast.SelectionSet, depth int) int {
	cost := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			cost += w.field(s, depth)
		case *ast.InlineFragment:
			cost += w.selections(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			if f := w.doc.Fragments.ForName(s.Name); f != nil {
				cost += w.selections(f.SelectionSet, depth)
			}
		}
		if w.err != nil {
			return cost
		}
	}
	return cost
}

func (w *limitWalker) field(f *ast.Field, depth int) int {
	if f.Alias != "" && f.Alias != f.Name {
		w.aliases++
	}
	if f.Definition == nil {
		return 0
	}
	// Introspection is exempt, structurally: its fields return the built-in
	// introspection types, which the tools need whatever their size.
	if t := w.ext.schema.Types[f.Definition.Type.Name()]; t != nil && t.BuiltIn && strings.HasPrefix(t.Name, "__") {
		return 0
	}
	if depth > w.ext.limits.MaxDepth {
		w.fail(CodeQueryTooComplex, fmt.Sprintf("The operation is nested %d levels deep; at most %d are allowed.", depth, w.ext.limits.MaxDepth))
		return 0
	}
	args := f.ArgumentMap(w.vars)
	if f.Name == "nodes" {
		if list, ok := args["ids"].([]any); ok && len(list) > w.ext.limits.MaxNodes {
			w.fail(CodeBadUserInput, fmt.Sprintf("nodes accepts at most %d IDs.", w.ext.limits.MaxNodes))
			return 0
		}
	}
	if !isConnection(f.Definition) {
		return 1 + w.selections(f.SelectionSet, depth+1)
	}
	n := w.ext.limits.DefaultPage
	for _, name := range []string{"first", "last"} {
		v, ok := args[name]
		if !ok || v == nil {
			continue
		}
		size := toInt(v)
		if size < 0 || size > w.ext.limits.MaxPage {
			w.fail(CodeBadUserInput, fmt.Sprintf("%s on %s must be between 0 and %d.", name, f.Name, w.ext.limits.MaxPage))
			return 0
		}
		n = size
	}
	// A connection costs its own fields once and what each edge asks for
	// n times (edges and node themselves are free wrappers).
	return 1 + w.connection(f.SelectionSet, depth+1, max(n, 1))
}

// connection returns the cost of a connection's selection set when it
// returns n edges.
func (w *limitWalker) connection(set ast.SelectionSet, depth, n int) int {
	cost := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name != "edges" {
				cost += w.field(s, depth)
				continue
			}
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			per := 0
			for _, es := range s.SelectionSet {
				if ef, ok := es.(*ast.Field); ok && ef.Name == "node" {
					if ef.Alias != "" && ef.Alias != ef.Name {
						w.aliases++
					}
					per += w.selections(ef.SelectionSet, depth+2)
				} else {
					per += w.selections(ast.SelectionSet{es}, depth+1)
				}
			}
			cost += n * per
		case *ast.InlineFragment:
			cost += w.connection(s.SelectionSet, depth, n)
		case *ast.FragmentSpread:
			if fr := w.doc.Fragments.ForName(s.Name); fr != nil {
				cost += w.connection(fr.SelectionSet, depth, n)
			}
		}
		if w.err != nil {
			return cost
		}
	}
	return cost
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case interface{ Int64() (int64, error) }:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}
