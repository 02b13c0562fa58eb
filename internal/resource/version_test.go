package resource_test

import (
	"context"
	"strings"
	"testing"

	"clientele/internal/apperr"
	"clientele/internal/resource"

	"github.com/stretchr/testify/require"
)

func TestExpectVersion(t *testing.T) {
	ctx := context.Background()
	_, ok := resource.TakeExpectedVersion(ctx, "cus_1")
	require.False(t, ok, "no expectation by default")

	a := resource.ExpectVersion(ctx, "cus_1", 3)
	b := resource.ExpectVersion(a, "ord_1", 5)
	_, ok = resource.TakeExpectedVersion(a, "ord_1")
	require.False(t, ok, "a parent context does not see its children's expectations")

	v, ok := resource.TakeExpectedVersion(b, "ord_1")
	require.True(t, ok)
	require.Equal(t, 5, v)
	_, ok = resource.TakeExpectedVersion(b, "ord_1")
	require.False(t, ok, "an expectation is used once")
	v, ok = resource.TakeExpectedVersion(b, "cus_1")
	require.True(t, ok, "each record has its own")
	require.Equal(t, 3, v)
	_, ok = resource.TakeExpectedVersion(a, "cus_1")
	require.False(t, ok, "used through a child context, used for the parent too")
}

func TestConflictNamesTheCurrentVersion(t *testing.T) {
	err := resource.Get(resource.Orders).Conflict(2, 4)
	require.True(t, apperr.Is(err, apperr.Conflict))
	require.Equal(t, []string{"expectedVersion"}, err.Field)
	require.True(t, strings.Contains(err.Message, "4"), err.Message)
}
