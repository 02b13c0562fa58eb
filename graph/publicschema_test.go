package graph_test

import (
	"strings"
	"testing"

	"clientele/graph"
	"clientele/internal/testenv"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/stretchr/testify/require"
)

// Introspection shows only directives a client can use or needs to know,
// each described; @defer is not advertised and a document using it is
// refused rather than answered without incremental delivery.
func TestIntrospectionHidesInternalDirectives(t *testing.T) {
	e := testenv.New(t)
	r := e.MustDo(t, `{ __schema { directives { name description } } }`, nil)
	var names []string
	for _, d := range r.Get("__schema.directives").([]any) {
		m := d.(map[string]any)
		names = append(names, m["name"].(string))
		require.NotEmpty(t, m["description"], "directive @%s has no description", m["name"])
	}
	for _, hidden := range []string{"goField", "goModel", "defer"} {
		require.NotContains(t, names, hidden)
	}
	require.Contains(t, names, "include")
	require.Contains(t, names, "skip")

	r = e.Do(t, `{ customers(first: 1) { ... @defer { totalCount } } }`, nil)
	require.Len(t, r.Errors, 1)
	require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, r.ErrorCodes())
}

// The printed SDL is a valid schema on its own (no directive used that it
// does not declare), for graphql-js, codegen and graphql-config.
func TestPrintedSDLLoads(t *testing.T) {
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(graph.SDLSchema())
	_, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: b.String()})
	require.Nil(t, err, "%v", err)
	require.NotContains(t, b.String(), "@go")
}
