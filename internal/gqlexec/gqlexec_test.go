package gqlexec

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
)

func field(name string, sub ...ast.Selection) *ast.Field {
	return &ast.Field{Name: name, SelectionSet: sub}
}

func TestBatchedLooksAtEveryDepthAndFragment(t *testing.T) {
	require.False(t, batched(ast.SelectionSet{field("node", field("id"), field("orders", field("edges", field("node", field("number")))))}))
	require.True(t, batched(ast.SelectionSet{field("node", field("orders", field("edges", field("node", field("events", field("totalCount"))))))}))
	require.True(t, batched(ast.SelectionSet{&ast.InlineFragment{SelectionSet: ast.SelectionSet{field("customerEmail")}}}))
	require.True(t, batched(ast.SelectionSet{&ast.FragmentSpread{Definition: &ast.FragmentDefinition{SelectionSet: ast.SelectionSet{field("resource", field("id"))}}}}))
	require.False(t, batched(ast.SelectionSet{&ast.FragmentSpread{Definition: &ast.FragmentDefinition{SelectionSet: ast.SelectionSet{field("id")}}}}))
}

func TestMarshalSliceInOrderWithIndexAndRecoveredPanics(t *testing.T) {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	var running, most atomic.Int32
	ret := MarshalSlice(ctx, ast.SelectionSet{field("id")}, 4, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		most.Store(max(most.Load(), running.Add(1)))
		defer running.Add(-1)
		require.Equal(t, i, *graphql.GetFieldContext(ctx).Index)
		if i == 2 {
			panic("boom")
		}
		return graphql.MarshalString(strconv.Itoa(i))
	})
	require.Equal(t, int32(1), most.Load(), "one element at a time")
	require.Len(t, ret, 4)
	out := func(m graphql.Marshaler) string {
		var b strings.Builder
		m.MarshalGQL(&b)
		return b.String()
	}
	require.Equal(t, []string{`"0"`, `"1"`, "null", `"3"`}, []string{out(ret[0]), out(ret[1]), out(ret[2]), out(ret[3])})
	require.Len(t, graphql.GetErrors(ctx), 1)
}

func TestObjectWritesWhatFieldSetWrites(t *testing.T) {
	fields := []graphql.CollectedField{
		{Field: &ast.Field{Alias: "a", Name: "a"}},
		{Field: &ast.Field{Alias: "_b2", Name: "b"}},
		{Field: &ast.Field{Alias: "a", Name: "a"}},
		{Field: &ast.Field{Alias: "c", Name: "c"}},
	}
	out := graphql.NewFieldSet(fields)
	out.Values = []graphql.Marshaler{graphql.MarshalString("x\"y"), graphql.Null, graphql.MarshalInt(3), graphql.MarshalBoolean(true)}
	var want, got strings.Builder
	out.MarshalGQL(&want)
	Object(fields, out, 0).MarshalGQL(&got)
	require.Equal(t, want.String(), got.String())
	require.Equal(t, `{"a":"x\"y","_b2":null,"c":true}`, got.String())
	require.Same(t, out, Object(fields, out, 1), "with deferred fields the field set writes itself")
}

// A sequential object (NewObject) writes what a field set of the same
// values writes, with its values inline or not.
func TestNewObjectWritesWhatFieldSetWrites(t *testing.T) {
	for n := 1; n <= 7; n++ {
		var fields []graphql.CollectedField
		var values []graphql.Marshaler
		for i := range n {
			alias := "f" + strconv.Itoa(i%5)
			fields = append(fields, graphql.CollectedField{Field: &ast.Field{Alias: alias, Name: alias}})
			values = append(values, graphql.MarshalInt(i))
		}
		fs := graphql.NewFieldSet(fields)
		copy(fs.Values, values)
		o := NewObject(fields)
		require.Len(t, o.Values, n)
		copy(o.Values, values)
		var want, got strings.Builder
		fs.MarshalGQL(&want)
		o.MarshalGQL(&got)
		require.Equal(t, want.String(), got.String(), "%d fields", n)
	}
}

// Collected answers what graphql.CollectFields answers, once per selection
// and implementors slice, and keeps apart what gqlgen keeps apart.
func TestCollectedIsCollectFieldsCachedPerSelectionAndType(t *testing.T) {
	op := &graphql.OperationContext{Variables: map[string]any{}}
	sel := ast.SelectionSet{field("id"), field("email")}
	customer, order := []string{"Customer", "Node"}, []string{"Order", "Node"}
	var c Collected
	first := c.Fields(op, sel, customer)
	require.Equal(t, graphql.CollectFields(op, sel, customer), first)
	again := c.Fields(op, sel, customer)
	require.Same(t, &first[0], &again[0], "the second lookup is the cached slice")
	require.Len(t, c.fields, 1)
	c.Fields(op, sel, order)
	c.Fields(op, sel[:1], customer)
	require.Len(t, c.fields, 3, "another type or a shorter selection is another key")
	require.Empty(t, c.Fields(op, nil, customer))
}

func TestArgsParsedOncePerFieldAndResponse(t *testing.T) {
	f1, f2 := field("orders"), field("orders")
	parses := 0
	parse := func(v int) func() (map[string]any, error) {
		return func() (map[string]any, error) { parses++; return map[string]any{"first": v}, nil }
	}
	ctx := WithArgs(context.Background())
	for range 3 {
		a, err := Args(ctx, graphql.CollectedField{Field: f1}, parse(1))
		require.NoError(t, err)
		require.Equal(t, 1, a["first"])
	}
	a, err := Args(ctx, graphql.CollectedField{Field: f2}, parse(2))
	require.NoError(t, err)
	require.Equal(t, 2, a["first"], "another field of the document has its own arguments")
	require.Equal(t, 2, parses)

	_, err = Args(WithArgs(context.Background()), graphql.CollectedField{Field: f1}, parse(3))
	require.NoError(t, err)
	require.Equal(t, 3, parses, "another response parses again")

	fails := 0
	bad := func() (map[string]any, error) { fails++; return nil, errors.New("bad") }
	for range 2 {
		_, err := Args(ctx, graphql.CollectedField{Field: field("x")}, bad)
		require.Error(t, err)
	}
	require.Equal(t, 2, fails, "a refusal is reported by every record")
}
