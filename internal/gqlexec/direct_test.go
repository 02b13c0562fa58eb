package gqlexec

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
)

func TestDirect(t *testing.T) {
	writes := func(s string) func(context.Context, *bytes.Buffer) bool {
		return func(_ context.Context, w *bytes.Buffer) bool { w.WriteString(s); return true }
	}
	gqlgen := func(ctx context.Context, w *bytes.Buffer) { w.WriteString(`{"a":1}`) }
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)

	require.Nil(t, Direct(ctx, writes(`{"a":1}`), gqlgen), "no mode: gqlgen's executor")
	require.Nil(t, Direct(WithDirect(ctx, &DirectMode{Off: true}), writes(`{"a":1}`), gqlgen))

	answered := 0
	m := &DirectMode{Answered: func() { answered++ }}
	require.Equal(t, `{"a":1}`, string(Direct(WithDirect(ctx, m), writes(`{"a":1}`), gqlgen)))
	require.Equal(t, 1, answered)

	for name, f := range map[string]func(context.Context, *bytes.Buffer) bool{
		"gives up": func(context.Context, *bytes.Buffer) bool { return false },
		"panics":   func(context.Context, *bytes.Buffer) bool { panic("boom") },
		"records an error": func(ctx context.Context, w *bytes.Buffer) bool {
			graphql.AddError(ctx, errors.New("boom"))
			return true
		},
	} {
		require.Nil(t, Direct(WithDirect(ctx, m), f, gqlgen), name)
		require.Empty(t, graphql.GetErrors(ctx), "%s: nothing reaches the response", name)
	}
	require.Equal(t, 1, answered)

	var got [][2]string
	v := &DirectMode{Verify: func(d, g []byte) { got = append(got, [2]string{string(d), string(g)}) }}
	Direct(WithDirect(ctx, v), writes(`{"a":1}`), gqlgen)
	require.Empty(t, got, "the same bytes")
	Direct(WithDirect(ctx, v), writes(`{"a": 1}`), gqlgen)
	require.Equal(t, [][2]string{{`{"a": 1}`, `{"a":1}`}}, got)
}
