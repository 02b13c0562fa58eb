package graph_test

// Concurrent writes (customer status, password reset, orders; SQLite locking
// and Postgres READ COMMITTED): counters and state
// machines must not lose or duplicate a move when requests race.

import (
	"fmt"
	"sync"
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// lcRace runs fn(i) for i in [0, n) from n goroutines released together
// (a barrier, no sleeps) and waits for all of them.
func lcRace(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// lcSucceeded reports whether a mutation's response is a success.
func lcSucceeded(t testing.TB, r *testenv.Response, mutation string) bool {
	t.Helper()
	return len(r.Errors) == 0 && len(lcUserErrorsOf(t, r, mutation)) == 0 && r.Get(mutation+"."+lcPayloadField(mutation)) != nil
}

func TestConcurrentPlacementsOfOneProspect(t *testing.T) {
	e := lcNewEnv(t)
	for round := 0; round < 10; round++ {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			cus := lcNewCustomer(t, e)
			orders := []string{lcNewOrder(t, e, cus, lcToPending...), lcNewOrder(t, e, cus, lcToPending...)}
			res := make([]*testenv.Response, len(orders))
			lcRace(len(orders), func(i int) { res[i] = lcTransition(t, e, "placeOrder", orders[i]) })

			for i, r := range res {
				require.Empty(t, r.Errors, "placement %d: %s", i, r.Raw)
				require.Empty(t, lcUserErrorsOf(t, r, "placeOrder"), "placement %d: %s", i, r.Raw)
				require.Equal(t, "PLACED", r.Str("placeOrder.order.status"), r.Raw)
			}
			status, count := lcCustomerState(t, e, cus)
			require.Equal(t, "REPEAT", status, "two placements at once end in REPEAT")
			require.Equal(t, 2, count)
			evs := lcEventsOf(t, e, cus)
			require.Equal(t, 1, lcCountName(evs, "customers.acquired"), lcNamesOf(evs))
			require.Equal(t, 1, lcCountName(evs, "customers.repeat"), lcNamesOf(evs))
			for _, o := range orders {
				require.Equal(t, 1, lcCountName(lcEventsOf(t, e, o), "orders.place"))
			}
		})
	}
}

func TestConcurrentPlacementOfOneOrder(t *testing.T) {
	e := lcNewEnv(t)
	const callers = 4
	for round := 0; round < 5; round++ {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			cus := lcNewCustomer(t, e)
			ord := lcNewOrder(t, e, cus, lcToPending...)
			res := make([]*testenv.Response, callers)
			lcRace(callers, func(i int) { res[i] = lcTransition(t, e, "placeOrder", ord) })

			wins := 0
			for _, r := range res {
				if lcSucceeded(t, r, "placeOrder") {
					wins++
					continue
				}
				lcRequireRefused(t, r, "placeOrder", "INVALID_TRANSITION")
			}
			require.Equal(t, 1, wins, "exactly one placement wins")
			require.Equal(t, "PLACED", lcMustNode(t, e, ord)["status"])
			status, count := lcCustomerState(t, e, cus)
			require.Equal(t, "ACQUIRED", status)
			require.Equal(t, 1, count, "one order placed once counts once")
			require.Equal(t, 1, lcCountName(lcEventsOf(t, e, ord), "orders.place"))
			evs := lcEventsOf(t, e, cus)
			require.Equal(t, 1, lcCountName(evs, "customers.acquired"), lcNamesOf(evs))
			require.Zero(t, lcCountName(evs, "customers.repeat"), lcNamesOf(evs))
		})
	}
}

func TestConcurrentResetsWithOneToken(t *testing.T) {
	e := lcNewEnv(t)
	for round := 0; round < 3; round++ {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			email := lcUniqueEmail("racer")
			cus := lcCreateCustomer(t, e, map[string]any{"email": email})
			id, token, _ := lcCreateReset(t, e, email)
			passwords := []string{"password-of-caller-0", "password-of-caller-1"}
			res := make([]*testenv.Response, len(passwords))
			lcRace(len(passwords), func(i int) { res[i] = lcResetPassword(t, e, id, token, passwords[i]) })

			winner := -1
			for i, r := range res {
				if lcSucceeded(t, r, "resetCustomerPassword") {
					require.Equal(t, -1, winner, "two resets succeeded with one token: %s / %s", res[0].Raw, res[1].Raw)
					winner = i
					continue
				}
				lcRequireRefused(t, r, "resetCustomerPassword", "INVALID", "token")
			}
			require.NotEqual(t, -1, winner, "one of the resets must succeed: %s / %s", res[0].Raw, res[1].Raw)
			lcRequirePassword(t, e, cus, passwords[winner])
			require.NotNil(t, lcMustNode(t, e, id)["resetPasswordAt"])
			require.Equal(t, 1, lcCountName(lcEventsOf(t, e, id), "customer_password_resets.reset_password"))
			require.Equal(t, 1, lcCountName(lcEventsOf(t, e, cus), "customers.create_password"))
		})
	}
}
