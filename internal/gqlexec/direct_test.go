package gqlexec

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
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

	// Errors the direct path expects (a root field's) are its answer's:
	// they reach the response.
	rctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	require.Equal(t, `{"a":null}`, string(Direct(WithDirect(rctx, m), func(ctx context.Context, w *bytes.Buffer) bool {
		graphql.AddError(ctx, errors.New("not found"))
		ExpectErrors(ctx)
		w.WriteString(`{"a":null}`)
		return true
	}, gqlgen)))
	require.Len(t, graphql.GetErrors(rctx), 1)

	var got [][2]string
	v := &DirectMode{Verify: func(d, g []byte) { got = append(got, [2]string{string(d), string(g)}) }}
	Direct(WithDirect(ctx, v), writes(`{"a":1}`), gqlgen)
	require.Empty(t, got, "the same bytes")
	Direct(WithDirect(ctx, v), writes(`{"a": 1}`), gqlgen)
	require.Equal(t, [][2]string{{`{"a": 1}`, `{"a":1}`}}, got)
}

// The direct path's leaf writers write what gqlgen's marshallers write.
func TestLeafWritersAreGqlgens(t *testing.T) {
	check := func(t *testing.T, s string) {
		var got, want bytes.Buffer
		WriteString(&got, s)
		graphql.MarshalString(s).MarshalGQL(&want)
		require.Equal(t, want.String(), got.String(), "%q", s)
	}
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "tab\tnl\ncr\r", "\x00\x01\x1f\x7f", "<>&", "é€😀", "\xff\xfe bad utf-8 \xc3", "\u2028\u2029"} {
		check(t, s)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		check(t, string(b))
	}
	for _, i := range []int64{0, -1, 1, 42, math.MaxInt64, math.MinInt64} {
		var got, want bytes.Buffer
		WriteInt(&got, i)
		graphql.MarshalInt64(i).MarshalGQL(&want)
		require.Equal(t, want.String(), got.String())
	}
	for _, b := range []bool{true, false} {
		var got, want bytes.Buffer
		WriteBool(&got, b)
		graphql.MarshalBoolean(b).MarshalGQL(&want)
		require.Equal(t, want.String(), got.String())
	}
}

func FuzzWriteString(f *testing.F) {
	f.Add("plain")
	f.Add("\x00\"\\\xff")
	f.Fuzz(func(t *testing.T, s string) {
		var got, want bytes.Buffer
		WriteString(&got, s)
		graphql.MarshalString(s).MarshalGQL(&want)
		if got.String() != want.String() {
			t.Fatalf("%q: %q, gqlgen %q", s, got.String(), want.String())
		}
	})
}
