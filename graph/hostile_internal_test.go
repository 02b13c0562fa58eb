package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// hostileOperation parses and validates a document against the served
// schema and returns the operation context the limits extension sees.
func hostileOperation(t *testing.T, schema *ast.Schema, doc string) *graphql.OperationContext {
	t.Helper()
	d, err := parser.ParseQuery(&ast.Source{Input: doc})
	require.NoError(t, err)
	require.Empty(t, validator.ValidateWithRules(schema, d, nil))
	return &graphql.OperationContext{Doc: d, Operation: d.Operations[0], Variables: map[string]any{}}
}

// TestLimitWalkerIsLinear checks the cost walker on documents that pass
// validation but expand exponentially: fragments that each spread the
// previous one twice. It counts each fragment once per depth, so it
// answers at once, and its costs saturate instead of overflowing.
func TestLimitWalkerIsLinear(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	ext := limitsExtension{limits: DefaultLimits(), schema: schema}
	for _, levels := range []int{30, 64, 200} {
		var sb strings.Builder
		fmt.Fprintf(&sb, "query { customers(first: 1) { edges { node { ...F%d } } } }\n", levels)
		sb.WriteString("fragment F0 on Customer { id orders(first: 100) { edges { node { id } } } }\n")
		for i := 1; i <= levels; i++ {
			fmt.Fprintf(&sb, "fragment F%d on Customer { ...F%d ...F%d }\n", i, i-1, i-1)
		}
		oc := hostileOperation(t, schema, sb.String())
		err := ext.MutateOperationContext(context.Background(), oc)
		require.NotNil(t, err, "%d levels", levels)
		require.Equal(t, CodeQueryTooComplex, err.Extensions["code"], "%d levels: %s", levels, err.Message)
		require.Greater(t, err.Extensions["cost"], ext.limits.MaxComplexity, "%d levels", levels)
	}
}

// TestLimitWalkerStopsWhenCancelled checks that the walker gives up once
// the request is gone.
func TestLimitWalkerStopsWhenCancelled(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	ext := limitsExtension{limits: DefaultLimits(), schema: schema}
	var sb strings.Builder
	sb.WriteString("{")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sb, " a%d: __typename", i)
	}
	sb.WriteString(" }")
	oc := hostileOperation(t, schema, sb.String())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := ext.MutateOperationContext(ctx, oc)
	require.NotNil(t, err)
	require.Equal(t, "TIMEOUT", err.Extensions["code"], err.Message)
}

// TestDocumentCheckCountsSpreads checks the preflight's measure: spreads
// count as selections (validation walks each one), and a chain of
// fragments costs what it expands to.
func TestDocumentCheckCountsSpreads(t *testing.T) {
	chain := func(n int) *ast.QueryDocument {
		var sb strings.Builder
		fmt.Fprintf(&sb, "query { ...F%d }\nfragment F0 on Query { __typename }\n", n-1)
		for i := 1; i < n; i++ {
			fmt.Fprintf(&sb, "fragment F%d on Query { ...F%d }\n", i, i-1)
		}
		d, err := parser.ParseQuery(&ast.Source{Input: sb.String()})
		require.NoError(t, err)
		return d
	}
	// The operation expands to n spreads and a field, fragment Fi to i
	// spreads and a field: the document to n+1 + n(n+1)/2 selections.
	require.Nil(t, checkDocument(chain(10), 11+55))
	err := checkDocument(chain(10), 11+54)
	require.NotNil(t, err)
	require.Equal(t, CodeQueryTooComplex, err.Extensions["code"])

	d, perr := parser.ParseQuery(&ast.Source{Input: "{" + strings.Repeat(" __typename", 200) + " }"})
	require.NoError(t, perr)
	require.Nil(t, checkDocument(d, 15000), "200 same-named fields are 19,900 pairs")
	d, perr = parser.ParseQuery(&ast.Source{Input: "{" + strings.Repeat(" __typename", 201) + " }"})
	require.NoError(t, perr)
	require.NotNil(t, checkDocument(d, 15000), "201 same-named fields are 20,100 pairs")
}
