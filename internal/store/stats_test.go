package store_test

import (
	"context"
	"fmt"
	"testing"

	"clientele/ent"
	"clientele/internal/store"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"
)

// rowsKnown returns what the planner statistics say the customers table
// holds: SQLite, the row count of its first sqlite_stat1 entry (0: none);
// Postgres, reltuples (-1: never analyzed).
func rowsKnown(t *testing.T, db *store.DB) float64 {
	t.Helper()
	var n float64
	if db.Dialect == dialect.Postgres {
		require.NoError(t, db.SQL.QueryRow(`SELECT c.reltuples FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
WHERE s.nspname = current_schema() AND c.relname = 'customers'`).Scan(&n))
		return n
	}
	var tables int
	require.NoError(t, db.SQL.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'`).Scan(&tables))
	if tables == 0 {
		return 0
	}
	var stat string
	err := db.SQL.QueryRow(`SELECT stat FROM sqlite_stat1 WHERE tbl = 'customers' LIMIT 1`).Scan(&stat)
	if err != nil {
		return 0
	}
	_, err = fmt.Sscanf(stat, "%g", &n)
	require.NoError(t, err)
	return n
}

func addCustomers(t *testing.T, c *ent.Client, from, n int) {
	t.Helper()
	ctx := viewer.SystemContext(context.Background(), viewer.Test)
	for n > 0 {
		k := min(n, 500)
		b := make([]*ent.CustomerCreate, k)
		for i := range b {
			b[i] = c.Customer.Create().SetEmail(fmt.Sprintf("c%d@example.com", from+i))
		}
		require.NoError(t, c.Customer.CreateBulk(b...).Exec(ctx))
		from, n = from+k, n-k
	}
}

// The server gathers the statistics itself: at start (Migrate) for tables
// loaded since, and on demand after a bulk load (Analyze).
func TestStatisticsAtStartAndAfterBulkLoads(t *testing.T) {
	t.Parallel()
	url := testenv.DatabaseURL(t)
	ctx := context.Background()
	db, err := store.Open(url, nil)
	require.NoError(t, err)
	require.NoError(t, db.Migrate(ctx))
	addCustomers(t, db.Client, 0, 100)
	require.NoError(t, db.Close())

	// A restart finds the loaded table without statistics and analyzes it.
	db, err = store.Open(url, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Migrate(ctx))
	require.InDelta(t, 100, rowsKnown(t, db), 10)

	// Nothing stale: Optimize leaves the statistics alone.
	addCustomers(t, db.Client, 100, 10)
	require.NoError(t, db.Optimize(ctx))
	require.InDelta(t, 100, rowsKnown(t, db), 10)

	// A bulk load far beyond them (ten times on SQLite, twice on
	// Postgres): Optimize catches up; Analyze always does.
	addCustomers(t, db.Client, 110, 1100)
	require.NoError(t, db.Optimize(ctx))
	require.InDelta(t, 1210, rowsKnown(t, db), 121)
	addCustomers(t, db.Client, 1210, 100)
	require.NoError(t, db.Analyze(ctx))
	require.InDelta(t, 1310, rowsKnown(t, db), 131)
}
