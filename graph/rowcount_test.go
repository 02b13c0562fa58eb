package graph_test

// The totalCount of an unfiltered root connection comes from the row
// counters the ent hooks keep (ent/template/row_count.tmpl,
// ent/schema/hooks.go), not from a COUNT of every row of the mode. These
// tests check that the counters stay exact through creates, bulk creates,
// deletes and rolled-back transactions in both modes, that store.Migrate
// creates missing ones from a COUNT, that the API really reads them, and
// that filtered and customer-token counts are still counted.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"clientele/ent"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"
)

// rowCounters returns the value of every row counter.
func rowCounters(t *testing.T, e *testenv.Env) map[string]int64 {
	t.Helper()
	rows, err := e.DB.SQL.Query(`SELECT id, value FROM counters WHERE id LIKE 'rows:%'`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var v int64
		require.NoError(t, rows.Scan(&id, &v))
		out[id] = v
	}
	require.NoError(t, rows.Err())
	return out
}

// requireExactCounters checks every row counter against a COUNT.
func requireExactCounters(t *testing.T, e *testenv.Env) {
	t.Helper()
	have := rowCounters(t, e)
	require.Len(t, have, 2*len(ent.RowCountTables))
	for _, table := range ent.RowCountTables {
		for _, m := range []viewer.Mode{viewer.Test, viewer.Live} {
			var n int64
			q := `SELECT COUNT(*) FROM "` + table + `" WHERE mode = ?`
			if e.DB.Dialect == dialect.Postgres {
				q = `SELECT COUNT(*) FROM "` + table + `" WHERE mode = $1`
			}
			require.NoError(t, e.DB.SQL.QueryRow(q, string(m)).Scan(&n))
			require.Equal(t, n, have[ent.RowCountName(table, m)], "%s in %s", table, m)
		}
	}
}

func TestRowCountersStayExact(t *testing.T) {
	e := testenv.New(t)
	ctx := context.Background()
	requireExactCounters(t, e) // created empty by Migrate

	// Every kind of record, in transactions, through the hooks.
	bulkSeed(t, e.Ent(), viewer.Test, 30)
	bulkSeed(t, e.Ent(), viewer.Live, 12)
	requireExactCounters(t, e)

	// A rolled-back transaction counts nothing.
	sys := viewer.SystemContext(ctx, viewer.Test)
	tx, err := e.Ent().Tx(sys)
	require.NoError(t, err)
	_, err = tx.Client().Customer.Create().SetEmail("rolled.back@example.com").Save(sys)
	require.NoError(t, err)
	require.NoError(t, tx.Rollback())
	requireExactCounters(t, e)

	// Outside a transaction, over the API, and deletes.
	_, err = e.Ent().CustomerGroup.Create().SetName("Loose").SetCode("loose").Save(sys)
	require.NoError(t, err)
	created := e.MustDo(t, `mutation { createCustomer(input: {email: "gone@example.com"}) { customer { id } userErrors { code } } }`, nil)
	id := created.Str("createCustomer.customer.id")
	require.NotEmpty(t, id)
	requireExactCounters(t, e)
	deleted := e.MustDo(t, `mutation($id: ID!) { deleteCustomer(id: $id) { deletedID } }`, map[string]any{"id": id})
	require.Equal(t, id, deleted.Str("deleteCustomer.deletedID"))
	n, err := e.Ent().CustomerSubscription.Delete().Exec(viewer.SystemContext(ctx, viewer.Live))
	require.NoError(t, err)
	require.Equal(t, 12, n)
	requireExactCounters(t, e)

	// The API's totalCounts are the counted ones, per mode.
	for _, m := range []viewer.Mode{viewer.Test, viewer.Live} {
		e.As = &viewer.Viewer{Mode: m, Kind: viewer.Integration, Role: viewer.Admin}
		r := e.MustDo(t, `{ customers(first: 2) { totalCount } orders(first: 2) { totalCount } events(first: 1) { totalCount }
			customerSubscriptions(first: 1) { totalCount } }`, nil)
		c := rowCounters(t, e)
		require.Equal(t, int(c[ent.RowCountName("customers", m)]), r.Int("customers.totalCount"), m)
		require.Equal(t, int(c[ent.RowCountName("orders", m)]), r.Int("orders.totalCount"), m)
		require.Equal(t, int(c[ent.RowCountName("events", m)]), r.Int("events.totalCount"), m)
		require.Equal(t, int(c[ent.RowCountName("customer_subscriptions", m)]), r.Int("customerSubscriptions.totalCount"), m)
	}

	// Migrate creates missing counters from a COUNT and leaves the others.
	_, err = e.DB.SQL.Exec(`DELETE FROM counters WHERE id LIKE 'rows:orders:%' OR id LIKE 'rows:customers:%'`)
	require.NoError(t, err)
	require.NoError(t, e.DB.Migrate(ctx))
	requireExactCounters(t, e)
}

func TestRootTotalCountReadsTheCounter(t *testing.T) {
	e := testenv.New(t)
	bulkSeed(t, e.Ent(), viewer.Test, 8)
	bulkSeed(t, e.Ent(), viewer.Live, 3)
	admin := &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Integration, Role: viewer.Admin}
	readOnly := &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Integration, Role: viewer.ReadOnly}

	// Nudge the counter: the unfiltered count shows it, so it is what the
	// API reads (one statement, not a COUNT).
	_, err := e.DB.SQL.Exec(`UPDATE counters SET value = value + 1000 WHERE id = 'rows:customers:TEST'`)
	require.NoError(t, err)
	for _, v := range []*viewer.Viewer{admin, readOnly} {
		e.As = v
		before := e.Statements()
		r := e.MustDo(t, `{ customers(first: 2) { totalCount } }`, nil)
		require.Equal(t, 1008, r.Int("customers.totalCount"))
		require.EqualValues(t, 1, e.Statements()-before, "the counter")
	}
	// With the page, the counter comes in the page's statement; an empty
	// page (past the last record) reads it on its own.
	e.As = admin
	before := e.Statements()
	r := e.MustDo(t, `{ customers(first: 2) { totalCount edges { cursor node { id } } } }`, nil)
	require.Equal(t, 1008, r.Int("customers.totalCount"))
	require.Len(t, r.Get("customers.edges").([]any), 2)
	require.EqualValues(t, 1, e.Statements()-before, "the page and its counter")
	last := e.MustDo(t, `{ customers(last: 1) { edges { cursor } } }`, nil).Str("customers.edges.0.cursor")
	before = e.Statements()
	r = e.MustDo(t, `query($a: Cursor) { customers(first: 2, after: $a) { totalCount edges { node { id } } } }`, map[string]any{"a": last})
	require.Equal(t, 1008, r.Int("customers.totalCount"))
	require.Empty(t, r.Get("customers.edges"))
	require.EqualValues(t, 2, e.Statements()-before, "an empty page, then the counter")
	// Every counted root connection reads its own table's counter, with
	// its page (one statement) as without, and so does the REST twin's
	// record_count (CountOf).
	for _, table := range ent.RowCountTables {
		field := rootConnectionOf(t, table)
		// The names are the schema's tables: quoted as literals, the
		// statement is the same on SQLite and PostgreSQL.
		_, err := e.DB.SQL.Exec(fmt.Sprintf(`UPDATE counters SET value = value + 500 WHERE id = '%s'`, ent.RowCountName(table, viewer.Test)))
		require.NoError(t, err)
		want := int(rowCounters(t, e)[ent.RowCountName(table, viewer.Test)])
		before := e.Statements()
		r := e.MustDo(t, fmt.Sprintf(`{ %s(first: 1) { totalCount edges { node { id } } } }`, field), nil)
		stmts := int64(1) // the page and its counter
		if len(r.Get(field+".edges").([]any)) == 0 {
			stmts = 2 // an empty page, then the counter
		}
		require.EqualValues(t, stmts, e.Statements()-before, field)
		require.Equal(t, want, r.Int(field+".totalCount"), field)
		r = e.MustDo(t, fmt.Sprintf(`{ %s(first: 1) { totalCount } }`, field), nil)
		require.Equal(t, want, r.Int(field+".totalCount"), field)
		n, err := e.Ent().CountOf(viewer.NewContext(context.Background(), admin), table)
		require.NoError(t, err)
		require.Equal(t, want, n, table)
		_, err = e.DB.SQL.Exec(fmt.Sprintf(`UPDATE counters SET value = value - 500 WHERE id = '%s'`, ent.RowCountName(table, viewer.Test)))
		require.NoError(t, err)
	}

	// A filter is counted.
	r = e.MustDo(t, `{ customers(first: 2, where: {emailHasPrefix: "c1"}) { totalCount } }`, nil)
	require.Equal(t, 1, r.Int("customers.totalCount"))
	_, err = e.DB.SQL.Exec(`UPDATE counters SET value = value - 1000 WHERE id = 'rows:customers:TEST'`)
	require.NoError(t, err)

	// A customer counts its own orders only (privacy), whatever the
	// counter says.
	_, err = e.DB.SQL.Exec(`UPDATE counters SET value = value + 1000 WHERE id = 'rows:orders:TEST'`)
	require.NoError(t, err)
	cu, err := e.Ent().Customer.Query().First(e.Context())
	require.NoError(t, err)
	own, err := cu.QueryOrders().Count(e.Context())
	require.NoError(t, err)
	e.As = &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Customer, CustomerID: cu.ID}
	r = e.MustDo(t, `{ orders(first: 2) { totalCount } customers(first: 5) { totalCount } }`, nil)
	require.Equal(t, own, r.Int("orders.totalCount"))
	require.Equal(t, 1, r.Int("customers.totalCount"))

	// pageInfo without totalCount needs no count when the page is read.
	e.As = admin
	before = e.Statements()
	r = e.MustDo(t, `{ customers(first: 3) { pageInfo { hasNextPage } edges { node { id } } } }`, nil)
	require.Equal(t, true, r.Get("customers.pageInfo.hasNextPage"))
	require.EqualValues(t, 1, e.Statements()-before, "the page")
	r = e.MustDo(t, `{ customers(first: 30) { pageInfo { hasNextPage } edges { node { id } } } }`, nil)
	require.Equal(t, false, r.Get("customers.pageInfo.hasNextPage"))
	// pageInfo alone still counts.
	r = e.MustDo(t, `{ customers(first: 3) { pageInfo { hasNextPage hasPreviousPage } } }`, nil)
	require.Equal(t, true, r.Get("customers.pageInfo.hasNextPage"))
	require.Equal(t, false, r.Get("customers.pageInfo.hasPreviousPage"))
}

// rootConnectionOf names the root connection of a counted table
// (customer_addresses: customerAddresses).
func rootConnectionOf(t *testing.T, table string) string {
	t.Helper()
	parts := strings.Split(table, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}
