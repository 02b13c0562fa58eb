package metadata

import (
	"strings"
	"testing"

	"clientele/internal/apperr"

	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	deep := func(levels int, wrap func(any) any) map[string]any {
		var v any = 1
		for range levels - 1 {
			v = wrap(v)
		}
		return map[string]any{"k": v}
	}
	inMap := func(v any) any { return map[string]any{"k": v} }
	inList := func(v any) any { return []any{v} }
	require.NoError(t, Check(nil))
	require.NoError(t, Check(map[string]any{}))
	require.NoError(t, Check(deep(MaxDepth, inMap)))
	require.NoError(t, Check(deep(MaxDepth, inList)))
	require.True(t, apperr.Is(Check(deep(MaxDepth+1, inMap)), apperr.Invalid))
	require.True(t, apperr.Is(Check(deep(MaxDepth+1, inList)), apperr.Invalid), "lists nest too")
	require.True(t, apperr.Is(Check(deep(100000, inList)), apperr.Invalid))
	require.NoError(t, Check(map[string]any{"b": strings.Repeat("x", MaxBytes-20)}))
	require.True(t, apperr.Is(Check(map[string]any{"b": strings.Repeat("x", MaxBytes)}), apperr.TooLong))
}
