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

// The scalars tell tools what travels on the wire, and IDs are spelled one
// way (…ID, never …Id) in every field and argument.
func TestScalarsAndIDSpelling(t *testing.T) {
	e := testenv.New(t)
	r := e.MustDo(t, `{ t: __type(name: "Time") { description specifiedByURL } m: __type(name: "Map") { description }
		c: __type(name: "Cursor") { description } }`, nil)
	require.Equal(t, "https://scalars.graphql.org/andimarek/date-time", r.Str("t.specifiedByURL"))
	require.Contains(t, r.Str("c.description"), "opaque")
	require.Contains(t, r.Str("m.description"), "JSON object")
	for _, def := range graph.PublicSchema().Types {
		if def.BuiltIn {
			continue
		}
		for _, f := range def.Fields {
			require.False(t, strings.HasSuffix(f.Name, "Id"), "%s.%s: spell it ID", def.Name, f.Name)
			for _, a := range f.Arguments {
				require.False(t, strings.HasSuffix(a.Name, "Id"), "%s.%s(%s): spell it ID", def.Name, f.Name, a.Name)
			}
		}
	}
}
