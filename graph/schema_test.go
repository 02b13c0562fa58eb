package graph_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"clientele/graph"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/formatter"
)

var update = flag.Bool("update", false, "rewrite the golden files in graph/testdata")

// fullIntrospectionQuery is the query GraphiQL, graphql-codegen and Apollo
// Rover send (graphql-js getIntrospectionQuery with descriptions).
const fullIntrospectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

type introspectedValue struct {
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

type introspectedField struct {
	introspectedValue
	Args []introspectedValue `json:"args"`
}

type introspectedType struct {
	Kind        string              `json:"kind"`
	Name        string              `json:"name"`
	Description *string             `json:"description"`
	Fields      []introspectedField `json:"fields"`
	InputFields []introspectedValue `json:"inputFields"`
	EnumValues  []introspectedValue `json:"enumValues"`
}

func blank(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }

func TestSchemaEverythingHasADescription(t *testing.T) {
	t.Parallel()
	e := newFoundationEnv(t)
	r := e.MustDo(t, fullIntrospectionQuery, nil)
	raw, err := json.Marshal(r.Get("__schema.types"))
	require.NoError(t, err)
	var types []introspectedType
	require.NoError(t, json.Unmarshal(raw, &types))
	require.Greater(t, len(types), 50, "introspection returned too few types")
	require.Equal(t, "Query", r.Str("__schema.queryType.name"))
	require.Equal(t, "Mutation", r.Str("__schema.mutationType.name"))

	var missing []string
	checked := 0
	for _, typ := range types {
		if strings.HasPrefix(typ.Name, "__") {
			continue
		}
		checked += 1 + len(typ.Fields) + len(typ.InputFields) + len(typ.EnumValues)
		for _, f := range typ.Fields {
			checked += len(f.Args)
		}
		if blank(typ.Description) {
			missing = append(missing, "type "+typ.Name)
		}
		for _, f := range typ.Fields {
			if blank(f.Description) {
				missing = append(missing, "field "+typ.Name+"."+f.Name)
			}
			for _, a := range f.Args {
				if blank(a.Description) {
					missing = append(missing, "argument "+typ.Name+"."+f.Name+"("+a.Name+")")
				}
			}
		}
		for _, f := range typ.InputFields {
			if blank(f.Description) {
				missing = append(missing, "input field "+typ.Name+"."+f.Name)
			}
		}
		for _, v := range typ.EnumValues {
			if blank(v.Description) {
				missing = append(missing, "enum value "+typ.Name+"."+v.Name)
			}
		}
	}
	// Guard against a vacuous pass (an introspection shape this test does
	// not read).
	require.Greater(t, checked, 2000, "too few schema elements were checked")
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("%d schema elements have no description:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
}

// TestSchemaGolden pins the SDL: a change to the schema shows up as a diff
// of graph/testdata/schema.graphql in review. Regenerate with
//
//	go test ./graph -run TestSchemaGolden -update
func TestSchemaGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	formatter.NewFormatter(&buf).FormatSchema(graph.NewExecutableSchema(graph.Config{}).Schema())
	got := buf.String()
	require.NotEmpty(t, got)
	golden := filepath.Join("testdata", "schema.graphql")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "no golden file; create it with: go test ./graph -run TestSchemaGolden -update")
	require.Equal(t, string(want), got, "the schema changed; if intended, run: go test ./graph -run TestSchemaGolden -update")
}
