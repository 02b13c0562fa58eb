package lifecycle_test

import (
	"testing"

	"clientele/internal/apperr"
	"clientele/internal/lifecycle"

	"github.com/stretchr/testify/require"
)

func TestPlacedOrders(t *testing.T) {
	require.ElementsMatch(t, []string{"PLACED", "APPROVED", "CANCELLED"}, lifecycle.PlacedOrderStatuses)
	for s, placed := range map[string]bool{"DRAFT": false, "PENDING": false, "PLACED": true, "APPROVED": true, "CANCELLED": true} {
		require.Equal(t, placed, lifecycle.OrderPlaced(s), s)
	}
}

func TestRefusedMovesAreCoded(t *testing.T) {
	none := func(string) string { return "" }
	_, err := lifecycle.Orders.Find("order", "status", "DRAFT", "APPROVED", none)
	require.True(t, apperr.Is(err, apperr.InvalidTransition), "%v", err)
	_, err = lifecycle.Orders.Find("order", "fulfillment_status", "UNFULFILLED", "IN_PROGRESS", func(string) string { return "PLACED" })
	require.True(t, apperr.Is(err, apperr.InvalidTransition), "unapproved orders are not fulfilled: %v", err)
	tr, err := lifecycle.Orders.Find("order", "fulfillment_status", "UNFULFILLED", "IN_PROGRESS", func(string) string { return "APPROVED" })
	require.NoError(t, err)
	require.Equal(t, "start_fulfilling", tr.Action)
	require.True(t, apperr.Is(lifecycle.ValidateFrequency("every tuesday"), apperr.Invalid))
	require.NoError(t, lifecycle.ValidateFrequency("0 */2 * * *"))
}

// Transports name moves by their action (REST's _place: true): within a
// machine each action must name one move.
func TestActionsAreUnique(t *testing.T) {
	for name, m := range map[string]*lifecycle.Machine{"orders": lifecycle.Orders, "returns": lifecycle.Returns, "order_subscriptions": lifecycle.OrderSubscriptions, "customers": lifecycle.Customers} {
		seen := map[string]bool{}
		for _, tr := range m.Transitions {
			if seen[tr.Action] {
				t.Fatalf("%s: action %s names two moves", name, tr.Action)
			}
			seen[tr.Action] = true
			got, ok := m.Action(tr.Action)
			if !ok || got.To != tr.To || got.Field != tr.Field {
				t.Fatalf("%s: Action(%s) = %+v", name, tr.Action, got)
			}
		}
	}
	if _, ok := lifecycle.Orders.Action("nope"); ok {
		t.Fatal("unknown action found")
	}
}
