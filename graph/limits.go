package graph

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound what one operation may ask for.
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
	// MaxSelections bounds the selections (fields, fragment spreads,
	// inline fragments) of a document with every fragment spread written
	// out, over its operations and fragment definitions: what validating
	// it costs.
	MaxSelections int
	// MaxFilterTerms bounds one where argument: every scalar value (each
	// element of an In/NotIn list, each metadata key) and every nested
	// filter (an and/or item, a not, a hasXWith item) counts one.
	MaxFilterTerms int
	// MaxMetadataKeys bounds the keys of one metadataContains.
	MaxMetadataKeys int
}

// DefaultLimits are the defaults the README lists.
func DefaultLimits() Limits {
	return Limits{MaxDepth: 12, MaxComplexity: 5000, MaxAliases: 30, DefaultPage: 20, MaxPage: 100,
		MaxNodes: 100, MaxTokens: 15000, MaxBodyBytes: 1 << 20, RequestTimeout: 30,
		MaxSelections: 15000, MaxFilterTerms: 100, MaxMetadataKeys: 50}
}

// withDefaults fills the limits added after the first release, when a
// caller left them at zero, with their defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxSelections <= 0 {
		l.MaxSelections = d.MaxSelections
	}
	if l.MaxFilterTerms <= 0 {
		l.MaxFilterTerms = d.MaxFilterTerms
	}
	if l.MaxMetadataKeys <= 0 {
		l.MaxMetadataKeys = d.MaxMetadataKeys
	}
	return l
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
				if isConnection(s.Definition) {
					// A literal null page size is no page size: the
					// default applies (below).
					s.Arguments = slices.DeleteFunc(s.Arguments, func(a *ast.Argument) bool {
						return (a.Name == "first" || a.Name == "last") && a.Value != nil && a.Value.Kind == ast.NullValue
					})
				}
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
// resolver runs, once its variables are known. It also gives connections
// whose page size comes from a null or unset variable the default page
// (the document, cached and shared, is never changed per request).
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
	// With introspection switched off the tools are refused before
	// anything runs (gqlgen would fail the field with an internal error).
	if oc.DisableIntrospection && asksIntrospection(oc.Operation.SelectionSet, oc.Doc, map[string]bool{}) {
		return &gqlerror.Error{Message: "Introspection is switched off on this server.",
			Extensions: map[string]any{"code": CodeForbidden}}
	}
	if n := countIntrospection(oc.Operation.SelectionSet, oc.Doc, map[string]bool{}); n > maxIntrospectionFields {
		return &gqlerror.Error{Message: fmt.Sprintf("The operation asks for __schema or __type %d times; at most %d are allowed.", n, maxIntrospectionFields),
			Extensions: map[string]any{"code": CodeQueryTooComplex}}
	}
	if err := e.defaultPages(oc); err != nil {
		return err
	}
	w := &limitWalker{ctx: ctx, ext: e, vars: oc.Variables, doc: oc.Doc,
		sel: map[fragKey]tally{}, conn: map[fragKey][2]tally{}, active: map[fragKey]bool{}}
	t := w.selections(oc.Operation.SelectionSet, 1)
	if w.err != nil {
		return &gqlerror.Error{Message: w.err.msg, Extensions: map[string]any{"code": w.err.code}}
	}
	if t.aliases > e.limits.MaxAliases {
		return &gqlerror.Error{Message: fmt.Sprintf("The operation uses %d aliases; at most %d are allowed.", t.aliases, e.limits.MaxAliases),
			Extensions: map[string]any{"code": CodeQueryTooComplex}}
	}
	if t.cost > e.limits.MaxComplexity {
		return &gqlerror.Error{Message: fmt.Sprintf("The operation costs %d; at most %d is allowed. Ask for smaller pages or fewer fields.", t.cost, e.limits.MaxComplexity),
			Extensions: map[string]any{"code": CodeQueryTooComplex, "cost": t.cost, "maxCost": e.limits.MaxComplexity}}
	}
	return nil
}

// maxIntrospectionFields bounds the __schema and __type fields of one
// operation. Introspection is exempt from the cost (the tools need the
// whole schema), so its size is bounded here instead: one full
// introspection is ~0.5 MB of response, and 30 aliased copies in a 10 KB
// document cost 20 s and 15 MB.
const maxIntrospectionFields = 10

// countIntrospection counts the root __schema and __type fields, aliases
// and fragments included (each fragment once).
func countIntrospection(set ast.SelectionSet, doc *ast.QueryDocument, seen map[string]bool) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				n++
			}
		case *ast.InlineFragment:
			n += countIntrospection(s.SelectionSet, doc, seen)
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := doc.Fragments.ForName(s.Name); f != nil {
				n += countIntrospection(f.SelectionSet, doc, seen)
			}
		}
	}
	return n
}

// asksIntrospection reports whether a root selection set selects __schema
// or __type.
func asksIntrospection(set ast.SelectionSet, doc *ast.QueryDocument, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if asksIntrospection(s.SelectionSet, doc, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := doc.Fragments.ForName(s.Name); f != nil && asksIntrospection(f.SelectionSet, doc, seen) {
				return true
			}
		}
	}
	return false
}

// defaultPages gives the default page size to every connection whose first
// and last are both null because they come from variables that are null or
// unset: the variable (first's, else last's) is set to DefaultPage for this
// request. A variable set that way may not be used anywhere else (where
// its null would mean something else): that is refused.
func (e limitsExtension) defaultPages(oc *graphql.OperationContext) *gqlerror.Error {
	vars := oc.Variables
	isNull := func(a *ast.Argument) bool {
		if a == nil || a.Value == nil {
			return true
		}
		switch a.Value.Kind {
		case ast.NullValue:
			return true
		case ast.Variable:
			return vars[a.Value.Raw] == nil
		}
		return false
	}
	elsewhere := map[string]bool{}
	var used func(*ast.Value)
	used = func(v *ast.Value) {
		if v == nil {
			return
		}
		if v.Kind == ast.Variable {
			elsewhere[v.Raw] = true
		}
		for _, c := range v.Children {
			used(c.Value)
		}
	}
	directives := func(ds ast.DirectiveList) {
		for _, d := range ds {
			for _, a := range d.Arguments {
				used(a.Value)
			}
		}
	}
	type need struct{ variable, field string }
	var needs []need
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				directives(s.Directives)
				first, last := s.Arguments.ForName("first"), s.Arguments.ForName("last")
				unpaged := isConnection(s.Definition) && isNull(first) && isNull(last)
				for _, a := range s.Arguments {
					if unpaged && (a == first || a == last) && a.Value.Kind == ast.Variable {
						continue
					}
					used(a.Value)
				}
				if unpaged {
					switch {
					case first != nil && first.Value.Kind == ast.Variable:
						needs = append(needs, need{first.Value.Raw, s.Name})
					case last != nil && last.Value.Kind == ast.Variable:
						needs = append(needs, need{last.Value.Raw, s.Name})
					}
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				directives(s.Directives)
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				directives(s.Directives)
				if seen[s.Name] {
					continue
				}
				seen[s.Name] = true
				if f := oc.Doc.Fragments.ForName(s.Name); f != nil {
					directives(f.Directives)
					walk(f.SelectionSet)
				}
			}
		}
	}
	directives(oc.Operation.Directives)
	walk(oc.Operation.SelectionSet)
	for _, n := range needs {
		if elsewhere[n.variable] {
			return &gqlerror.Error{
				Message: fmt.Sprintf("$%s is null, so %s gets the default page size of %d, but $%s is also used elsewhere; give it a value.",
					n.variable, n.field, e.limits.DefaultPage, n.variable),
				Extensions: map[string]any{"code": CodeBadUserInput}}
		}
		if oc.Variables == nil {
			oc.Variables = map[string]any{}
		}
		oc.Variables[n.variable] = e.limits.DefaultPage
	}
	return nil
}

// tally is what part of an operation costs and how many aliases it uses.
type tally struct{ cost, aliases int }

// saturated is where costs stop growing: far above any limit, far below
// an overflow.
const saturated = 1 << 50

func satAdd(a, b int) int {
	if a > saturated-b {
		return saturated
	}
	return a + b
}

func satMul(a, n int) int {
	if n != 0 && a > saturated/n {
		return saturated
	}
	return a * n
}

func (a tally) plus(b tally) tally {
	return tally{satAdd(a.cost, b.cost), satAdd(a.aliases, b.aliases)}
}

// fragKey is a fragment spread at a depth, walked as an ordinary selection
// set or as a connection's.
type fragKey struct {
	name  string
	depth int
	conn  bool
}

// limitWalker computes an operation's cost. A fragment's cost depends only
// on its depth and on whether it is spread into a connection (there it is
// a fixed part plus a part per edge), so it is computed once per depth and
// the walk is linear in the document: fragments that each spread the
// previous one twice cost nothing to count.
type limitWalker struct {
	ctx    context.Context
	ext    limitsExtension
	vars   map[string]any
	doc    *ast.QueryDocument
	err    *limitError
	steps  int
	sel    map[fragKey]tally
	conn   map[fragKey][2]tally
	active map[fragKey]bool // fragments being walked (cycles: validation rejects them)
}

func (w *limitWalker) fail(code, msg string) {
	if w.err == nil {
		w.err = &limitError{code: code, msg: msg}
	}
}

// ok counts a step of the walk and reports whether it may go on: not
// after an error, nor once the request is cancelled.
func (w *limitWalker) ok() bool {
	w.steps++
	if w.steps%256 == 0 && w.ctx.Err() != nil {
		w.fail(CodeTimeout, "The request took too long.")
	}
	return w.err == nil
}

func aliased(f *ast.Field) int {
	if f.Alias != "" && f.Alias != f.Name {
		return 1
	}
	return 0
}

// selections returns the cost of a selection set at the given depth.
func (w *limitWalker) selections(set ast.SelectionSet, depth int) tally {
	var t tally
	for _, sel := range set {
		if !w.ok() {
			return t
		}
		switch s := sel.(type) {
		case *ast.Field:
			t = t.plus(w.field(s, depth))
		case *ast.InlineFragment:
			t = t.plus(w.selections(s.SelectionSet, depth))
		case *ast.FragmentSpread:
			k := fragKey{name: s.Name, depth: depth}
			v, done := w.sel[k]
			if f := w.doc.Fragments.ForName(s.Name); !done && f != nil && !w.active[k] {
				w.active[k] = true
				v = w.selections(f.SelectionSet, depth)
				delete(w.active, k)
				w.sel[k] = v
			}
			t = t.plus(v)
		}
	}
	return t
}

func (w *limitWalker) field(f *ast.Field, depth int) tally {
	t := tally{aliases: aliased(f)}
	if f.Definition == nil {
		return t
	}
	// Introspection is exempt, structurally: its fields return the built-in
	// introspection types, which the tools need whatever their size.
	if d := w.ext.schema.Types[f.Definition.Type.Name()]; d != nil && d.BuiltIn && strings.HasPrefix(d.Name, "__") {
		return t
	}
	if depth > w.ext.limits.MaxDepth {
		w.fail(CodeQueryTooComplex, fmt.Sprintf("The operation is nested %d levels deep; at most %d are allowed.", depth, w.ext.limits.MaxDepth))
		return t
	}
	args := f.ArgumentMap(w.vars)
	if f.Name == "nodes" {
		if list, ok := args["ids"].([]any); ok && len(list) > w.ext.limits.MaxNodes {
			w.fail(CodeBadUserInput, fmt.Sprintf("nodes accepts at most %d IDs.", w.ext.limits.MaxNodes))
			return t
		}
	}
	for _, a := range f.Definition.Arguments {
		d := w.ext.schema.Types[a.Type.Name()]
		if d == nil || d.Kind != ast.InputObject {
			continue
		}
		if strings.HasSuffix(d.Name, "WhereInput") {
			w.filter(f.Name, args[a.Name], d)
		}
		w.ordering(f.Name, a, args[a.Name], d)
	}
	t.cost = 1
	if !isConnection(f.Definition) {
		return t.plus(w.selections(f.SelectionSet, depth+1))
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
			return t
		}
		n = size
	}
	for _, name := range []string{"after", "before"} {
		if v, ok := args[name].(string); ok && !validCursor(v, args["orderBy"]) {
			w.fail(CodeBadUserInput, fmt.Sprintf("%s on %s is not a cursor of this connection with this orderBy; use a cursor it returned.", name, f.Name))
			return t
		}
	}
	// A connection costs its own fields once and what each edge asks for
	// n times (edges and node themselves are free wrappers).
	fixed, per := w.connection(f.SelectionSet, depth+1)
	return t.plus(fixed).plus(tally{cost: satMul(per.cost, max(n, 1)), aliases: per.aliases})
}

// connection returns the cost of a connection's selection set: a fixed
// part, and what each edge costs.
func (w *limitWalker) connection(set ast.SelectionSet, depth int) (fixed, per tally) {
	for _, sel := range set {
		if !w.ok() {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name != "edges" {
				fixed = fixed.plus(w.field(s, depth))
				continue
			}
			fixed.aliases += aliased(s)
			for _, es := range s.SelectionSet {
				if ef, ok := es.(*ast.Field); ok && ef.Name == "node" {
					per.aliases += aliased(ef)
					per = per.plus(w.selections(ef.SelectionSet, depth+2))
				} else {
					per = per.plus(w.selections(ast.SelectionSet{es}, depth+1))
				}
			}
		case *ast.InlineFragment:
			f, p := w.connection(s.SelectionSet, depth)
			fixed, per = fixed.plus(f), per.plus(p)
		case *ast.FragmentSpread:
			k := fragKey{name: s.Name, depth: depth, conn: true}
			v, done := w.conn[k]
			if fr := w.doc.Fragments.ForName(s.Name); !done && fr != nil && !w.active[k] {
				w.active[k] = true
				v[0], v[1] = w.connection(fr.SelectionSet, depth)
				delete(w.active, k)
				w.conn[k] = v
			}
			fixed, per = fixed.plus(v[0]), per.plus(v[1])
		}
	}
	return
}

// ordering refuses an orderBy list (of input objects of type def, whose
// field is an enum) longer than the enum: more keys than there are fields
// to order by say nothing more, and thousands of them fail in the
// database (SQLite: "too many terms in ORDER BY clause").
func (w *limitWalker) ordering(field string, a *ast.ArgumentDefinition, v any, def *ast.Definition) {
	list, ok := v.([]any)
	if !ok || a.Type.Elem == nil {
		return
	}
	f := def.Fields.ForName("field")
	if f == nil {
		return
	}
	enum := w.ext.schema.Types[f.Type.Name()]
	if enum == nil || enum.Kind != ast.Enum || len(list) <= len(enum.EnumValues) {
		return
	}
	w.fail(CodeBadUserInput, fmt.Sprintf("%s on %s may list at most %d orderings, one per field.", a.Name, field, len(enum.EnumValues)))
}

// filterCount counts the terms of one where argument and the keys of its
// metadata (Map) values.
type filterCount struct {
	terms, keys int
	long        bool // a string longer than maxFilterString
	limits      Limits
}

// maxFilterString is the longest string a filter may compare with (longer
// LIKE patterns fail in the database: "pattern too complex").
const maxFilterString = 1024

func (c *filterCount) over() bool {
	return c.long || c.terms > c.limits.MaxFilterTerms || c.keys > c.limits.MaxMetadataKeys
}

// filter refuses a where argument (an input object of type def) holding
// more than MaxFilterTerms terms or MaxMetadataKeys metadata keys: each
// term becomes a SQL expression, and thousands of them fail in the
// database (SQLite: "Expression tree is too large").
func (w *limitWalker) filter(field string, v any, def *ast.Definition) {
	c := &filterCount{limits: w.ext.limits}
	w.filterObject(v, def, c)
	switch {
	case c.long:
		w.fail(CodeBadUserInput, fmt.Sprintf("The where argument of %s may compare with strings of at most %d characters.", field, maxFilterString))
	case c.keys > c.limits.MaxMetadataKeys:
		w.fail(CodeBadUserInput, fmt.Sprintf("The where argument of %s may hold at most %d metadata keys.", field, c.limits.MaxMetadataKeys))
	case c.terms > c.limits.MaxFilterTerms:
		w.fail(CodeBadUserInput, fmt.Sprintf("The where argument of %s may hold at most %d terms (values and nested filters).", field, c.limits.MaxFilterTerms))
	}
}

func (w *limitWalker) filterObject(v any, def *ast.Definition, c *filterCount) {
	m, _ := v.(map[string]any)
	for k, child := range m {
		if c.over() {
			return
		}
		if fd := def.Fields.ForName(k); fd != nil {
			w.filterValue(child, fd.Type, c)
		}
	}
}

func (w *limitWalker) filterValue(v any, t *ast.Type, c *filterCount) {
	if v == nil || c.over() {
		return
	}
	if list, ok := v.([]any); ok && t.Elem != nil {
		for _, e := range list {
			w.filterValue(e, t.Elem, c)
		}
		return
	}
	if d := w.ext.schema.Types[t.Name()]; d != nil && d.Kind == ast.InputObject {
		c.terms++
		w.filterObject(v, d, c)
		return
	}
	if _, ok := v.(map[string]any); ok {
		c.mapKeys(v)
		return
	}
	if str, ok := v.(string); ok && utf8.RuneCountInString(str) > maxFilterString {
		c.long = true
	}
	c.terms++
}

// mapKeys counts the keys of a Map value at every depth; each is a term
// too.
func (c *filterCount) mapKeys(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if c.over() {
				return
			}
			c.keys++
			c.terms++
			c.mapKeys(e)
		}
	case []any:
		for _, e := range x {
			if c.over() {
				return
			}
			c.terms++
			c.mapKeys(e)
		}
	}
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
