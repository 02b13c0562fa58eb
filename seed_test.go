package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"clientele/ent"
	"clientele/ent/event"
	"clientele/internal/lifecycle"
	"clientele/internal/store"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

// TestSeedKeepsTheRules checks that seeded data is what the rules make of
// it: each customer's placed-order count and status match its placed
// orders, placed orders carry their placement, order numbers come from the
// mode's counter, and the events tell the same story.
func TestSeedKeepsTheRules(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DatabaseURL = testenv.DatabaseURL(t)
	cfg.Seed = defaultSeedArgs()
	cfg.Seed.customers, cfg.Seed.orders, cfg.Seed.groups, cfg.Seed.batch = 40, 4, 3, 15
	require.NoError(t, seed(context.Background(), cfg, &bytes.Buffer{}))

	db, err := store.Open(cfg.DatabaseURL, nil)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	ctx := viewer.SystemContext(context.Background(), viewer.Test)
	c := db.Client

	customers, err := c.Customer.Query().WithOrders().All(ctx)
	require.NoError(t, err)
	require.Len(t, customers, 40)
	events, err := c.Event.Query().Order(ent.Asc(event.FieldSequence)).All(ctx)
	require.NoError(t, err)
	named := map[string]int{}
	for _, e := range events {
		named[e.ResourceID+" "+e.Name]++
	}

	numbers := map[string]bool{}
	var statuses = map[string]bool{}
	for _, cu := range customers {
		placed := 0
		for _, o := range cu.Edges.Orders {
			require.False(t, numbers[o.Number], "order number %s used twice", o.Number)
			numbers[o.Number] = true
			require.Equal(t, 1, named[o.ID+" orders.create"], o.ID)
			require.Equal(t, 1, named[o.ID+" orders.pending"], o.ID)
			if !lifecycle.OrderPlaced(string(o.Status)) {
				require.Nil(t, o.PlacedAt, o.ID)
				require.Zero(t, named[o.ID+" orders.place"], o.ID)
				continue
			}
			placed++
			require.NotNil(t, o.PlacedAt, o.ID)
			require.True(t, o.PlacedAt.After(o.CreatedAt), "order %s placed before it was created", o.ID)
			require.True(t, o.CreatedAt.After(cu.CreatedAt), "order %s created before its customer", o.ID)
			require.Equal(t, "AUTHORIZED", string(o.PaymentStatus), o.ID)
			require.Equal(t, 1, named[o.ID+" orders.place"], o.ID)
		}
		require.Equal(t, placed, cu.TotalOrdersCount, cu.Email)
		require.Equal(t, lifecycle.CustomerStatus(placed), string(cu.Status), cu.Email)
		statuses[string(cu.Status)] = true
		require.Equal(t, 1, named[cu.ID+" customers.create"], cu.Email)
		require.Equal(t, min(placed, 1), named[cu.ID+" customers.acquired"], cu.Email)
		require.Equal(t, max(min(placed-1, 1), 0), named[cu.ID+" customers.repeat"], cu.Email)
	}
	require.Len(t, statuses, 3, "the seed gives prospects, acquired and repeat customers")

	// The order numbers are 1..n from the mode's counter.
	require.Len(t, numbers, 40*4)
	for i := 1; i <= 40*4; i++ {
		require.True(t, numbers[fmt.Sprint(i)], "order number %d missing", i)
	}
	counter, err := c.Counter.Get(ctx, "orders:"+string(viewer.Test))
	require.NoError(t, err)
	require.EqualValues(t, 40*4, counter.Value)
}
