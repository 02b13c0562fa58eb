package graph

import (
	"context"
	"fmt"

	"clientele/internal/viewer"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// What a document may cost to validate. gqlparser's validation walks every
// fragment once per operation and once per fragment definition, and its
// OverlappingFieldsCanBeMerged rule compares every pair of fields that
// share a response name (and, below them, every pair of their children),
// reporting one error per conflicting pair: a 50 KB document of 1,500
// `customers` fields with two different arguments took 20 s and answered
// with 139 MB of errors. These bounds refuse such documents before gqlgen
// validates them, in time linear in the document.
const (
	// anonymousMaxBytes is the largest document a request without a token
	// may send: it may only ask for __typename.
	anonymousMaxBytes = 1024
	// maxSameNamePairs bounds the pairs of fields sharing a response name
	// the overlapping-fields rule compares in one document (fragments and
	// same-named parents merged): 200 fields answering to one name in a
	// selection set are 19,900 pairs.
	maxSameNamePairs = 20000
	// maxValidationErrors is the most validation errors one response
	// carries; one more says that validation stopped there.
	maxValidationErrors = 10
)

// preflight checks a document before gqlgen parses and validates it:
//   - a request without a token may send at most anonymousMaxBytes;
//   - a new document (one not in the query cache, where only validated,
//     checked documents are) is parsed once more and refused when its
//     selections, with fragments written out, exceed Limits.MaxSelections,
//     or when validating it would compare more than maxSameNamePairs pairs
//     of same-named fields.
//
// The second parse costs what gqlgen's own does, and only for documents the
// cache has not seen; what it saves is validation work out of proportion to
// the document's size.
type preflight struct {
	limits Limits
	cache  graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = preflight{}

func (preflight) ExtensionName() string                   { return "Preflight" }
func (preflight) Validate(graphql.ExecutableSchema) error { return nil }

func (p preflight) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if viewer.FromContext(ctx) == nil && len(params.Query) > anonymousMaxBytes {
		return &gqlerror.Error{Message: "Authenticate with Authorization: Bearer <token> (see POST /oauth/token).",
			Extensions: map[string]any{"code": CodeUnauthenticated}}
	}
	if params.Query == "" {
		return nil
	}
	if _, ok := p.cache.Get(ctx, params.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, p.limits.MaxTokens)
	if err != nil {
		return nil // gqlgen parses it again and reports the error
	}
	return checkDocument(doc, p.limits.MaxSelections)
}

// checkDocument measures what validating doc would cost: the selections
// its operations and fragment definitions hold with every fragment spread
// written out (validation walks each fragment once per operation and once
// per fragment definition that reaches it), and the pairs of same-named
// fields the overlapping-fields rule compares. It stops counting as soon
// as a bound is passed, so it costs at most maxSelections steps.
func checkDocument(doc *ast.QueryDocument, maxSelections int) *gqlerror.Error {
	c := &docChecker{doc: doc, budget: maxSelections, active: map[string]bool{}}
	for _, op := range doc.Operations {
		c.merged([]ast.SelectionSet{op.SelectionSet})
	}
	for _, f := range doc.Fragments {
		c.active[f.Name] = true
		c.merged([]ast.SelectionSet{f.SelectionSet})
		delete(c.active, f.Name)
	}
	switch {
	case c.budget < 0:
		return &gqlerror.Error{
			Message:    fmt.Sprintf("The document has more than %d selections once its fragments are written out.", maxSelections),
			Extensions: map[string]any{"code": CodeQueryTooComplex, "maxSelections": maxSelections}}
	case c.pairs > maxSameNamePairs:
		return &gqlerror.Error{
			Message:    fmt.Sprintf("The document repeats fields under one response name too often (more than %d pairs to compare once its fragments are written out). Ask for each field once.", maxSameNamePairs),
			Extensions: map[string]any{"code": CodeQueryTooComplex}}
	}
	return nil
}

type docChecker struct {
	doc    *ast.QueryDocument
	budget int             // selections still allowed; negative: too many
	pairs  int             // pairs of same-named fields in merged selection sets
	active map[string]bool // fragments on the current spread path (cycles)
}

func (c *docChecker) over() bool { return c.budget < 0 || c.pairs > maxSameNamePairs }

// merged counts the fields of selection sets that are merged into one
// (an operation's, or the children of same-named fields), grouped by
// response name, then does the same for each group's children.
func (c *docChecker) merged(sets []ast.SelectionSet) {
	type group struct {
		n    int
		sets []ast.SelectionSet
	}
	var order []string
	groups := map[string]*group{}
	var collect func(ast.SelectionSet)
	collect = func(set ast.SelectionSet) {
		for _, sel := range set {
			if c.budget--; c.over() {
				return
			}
			switch s := sel.(type) {
			case *ast.Field:
				name := s.Alias
				if name == "" {
					name = s.Name
				}
				g := groups[name]
				if g == nil {
					g = &group{}
					groups[name] = g
					order = append(order, name)
				}
				c.pairs += g.n // the new field pairs with each one before it
				g.n++
				if len(s.SelectionSet) > 0 {
					g.sets = append(g.sets, s.SelectionSet)
				}
			case *ast.InlineFragment:
				collect(s.SelectionSet)
			case *ast.FragmentSpread:
				f := c.doc.Fragments.ForName(s.Name)
				if f == nil || c.active[s.Name] {
					continue // unknown or cyclic: validation reports it
				}
				c.active[s.Name] = true
				collect(f.SelectionSet)
				delete(c.active, s.Name)
			}
		}
	}
	for _, set := range sets {
		collect(set)
	}
	for _, name := range order {
		if c.over() {
			return
		}
		if g := groups[name]; len(g.sets) > 0 {
			c.merged(g.sets)
		}
	}
}

// validationRules returns gqlgen's default validation rules, each reporting
// through one counter: after maxValidationErrors errors, one more says that
// validation stopped, and later errors are dropped without being formatted.
// It is called once per validation, so each document gets its own counter.
// Both variants of the rules with and without suggestions are included:
// gqlgen removes the one the server does not use and keeps the other.
func validationRules() *rules.Rules {
	n := 0
	limited := func(f core.RuleFunc) core.RuleFunc {
		return func(observers *core.Events, addError core.AddErrFunc) {
			f(observers, func(options ...core.ErrorOption) {
				n++
				switch {
				case n <= maxValidationErrors:
					addError(options...)
				case n == maxValidationErrors+1:
					addError(core.Message("Too many validation errors; validation stopped after %d.", maxValidationErrors))
				}
			})
		}
	}
	out := rules.NewRules()
	for name, f := range rules.NewDefaultRules().GetInner() {
		out.AddRule(name, limited(f))
	}
	for _, r := range []core.Rule{rules.FieldsOnCorrectTypeRule, rules.FieldsOnCorrectTypeRuleWithoutSuggestions,
		rules.ScalarLeafsRule, rules.ScalarLeafsRuleWithoutSuggestions} {
		out.AddRule(r.Name, limited(r.RuleFunc))
	}
	return out
}
