package graph_test

// The event log records causes before their effects: the events of one
// transaction are written when it commits, the change a mutation asked for
// first and what that change caused after it, with consecutive sequence
// values (sequence order is commit order).

import (
	"sync"
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// eoEventsSince returns the events recorded after sequence `after`, by
// sequence.
func eoEventsSince(t testing.TB, e *testenv.Env, after int64) []lcEvent {
	t.Helper()
	all, _ := lcFetchEvents(t, e, map[string]any{"sequenceGT": after})
	return all
}

// eoRequireSequence checks that the events are exactly the given names
// about the given resources, with consecutive sequence values.
func eoRequireSequence(t testing.TB, got []lcEvent, want ...[2]string) {
	t.Helper()
	var names [][2]string
	for _, ev := range got {
		names = append(names, [2]string{ev.Name, ev.ResourceID})
	}
	require.Equal(t, want, names)
	for i := 1; i < len(got); i++ {
		require.Equal(t, got[i-1].Sequence+1, got[i].Sequence, "the events of one transaction take consecutive sequence values")
	}
}

func TestEventOrderCauseBeforeEffect(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	first := lcNewOrder(t, e, cus, "markOrderPending")
	second := lcNewOrder(t, e, cus, "markOrderPending")
	third := lcNewOrder(t, e, cus, "markOrderPending")

	t.Run("first placement: orders.place, then customers.acquired", func(t *testing.T) {
		last := lcLastSequence(t, e)
		lcMustTransition(t, e, "placeOrder", first)
		eoRequireSequence(t, eoEventsSince(t, e, last),
			[2]string{"orders.place", first}, [2]string{"customers.acquired", cus})
	})

	t.Run("cancelling records orders.cancel only: the status never moves back", func(t *testing.T) {
		last := lcLastSequence(t, e)
		lcMustTransition(t, e, "cancelOrder", first)
		eoRequireSequence(t, eoEventsSince(t, e, last), [2]string{"orders.cancel", first})
		status, count := lcCustomerState(t, e, cus)
		require.Equal(t, "ACQUIRED", status)
		require.Equal(t, 1, count)
	})

	t.Run("second placement: orders.place, then customers.repeat", func(t *testing.T) {
		last := lcLastSequence(t, e)
		lcMustTransition(t, e, "placeOrder", second)
		eoRequireSequence(t, eoEventsSince(t, e, last),
			[2]string{"orders.place", second}, [2]string{"customers.repeat", cus})
	})

	t.Run("third placement: orders.place alone", func(t *testing.T) {
		last := lcLastSequence(t, e)
		lcMustTransition(t, e, "placeOrder", third)
		eoRequireSequence(t, eoEventsSince(t, e, last), [2]string{"orders.place", third})
	})

	t.Run("the customer's events list each cause before its effect", func(t *testing.T) {
		names := lcNamesOf(lcCustomerEvents(t, e, cus))
		// Customer.events is ordered by ID, which follows the write order.
		require.Less(t, lcIndexOf(names, "orders.place"), lcIndexOf(names, "customers.acquired"), names)
		require.Less(t, lcIndexOf(names, "customers.acquired"), lcIndexOf(names, "customers.repeat"), names)
	})
}

// Two first orders placed at once: each placement's events are contiguous,
// cause first, whichever commits first is the acquisition.
func TestEventOrderConcurrentPlacements(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	a := lcNewOrder(t, e, cus, "markOrderPending")
	b := lcNewOrder(t, e, cus, "markOrderPending")
	last := lcLastSequence(t, e)
	var wg sync.WaitGroup
	for _, id := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lcMustTransition(t, e, "placeOrder", id)
		}()
	}
	wg.Wait()
	got := eoEventsSince(t, e, last)
	require.Len(t, got, 4)
	firstOrder := got[0].ResourceID
	secondOrder := a
	if firstOrder == a {
		secondOrder = b
	}
	eoRequireSequence(t, got,
		[2]string{"orders.place", firstOrder}, [2]string{"customers.acquired", cus},
		[2]string{"orders.place", secondOrder}, [2]string{"customers.repeat", cus})
}

// Deleting a customer records customers.destroy first, then the deletion of
// the address book and the other records that go with it.
func TestEventOrderCascadeAfterTheDeletion(t *testing.T) {
	e := lcNewEnv(t)
	cus := lcNewCustomer(t, e)
	addr := lcCreate(t, e, "Address", lcAddressInput())
	cad := lcCreate(t, e, "CustomerAddress", map[string]any{"customerID": cus, "addressID": addr})
	csb := lcCreate(t, e, "CustomerSubscription", map[string]any{"customerID": cus, "reference": "newsletter"})
	last := lcLastSequence(t, e)
	lcDelete(t, e, "Customer", cus)
	got := eoEventsSince(t, e, last)
	require.NotEmpty(t, got)
	require.Equal(t, [2]string{"customers.destroy", cus}, [2]string{got[0].Name, got[0].ResourceID})
	ids := map[string]string{}
	for i, ev := range got {
		if i > 0 {
			require.Equal(t, got[i-1].Sequence+1, ev.Sequence)
		}
		ids[ev.ResourceID] = ev.Name
	}
	require.Equal(t, "customer_addresses.destroy", ids[cad])
	require.Equal(t, "customer_subscriptions.destroy", ids[csb])
	// The customer is gone: none of the events, older or new, is still its.
	r := e.MustDo(t, `query($ids: [String!]) { events(first: 100, where: {hasCustomer: true, resourceIDIn: $ids}) { totalCount } }`,
		map[string]any{"ids": []string{cus, cad, csb}})
	require.Equal(t, 0, r.Int("events.totalCount"), r.Raw)
}
