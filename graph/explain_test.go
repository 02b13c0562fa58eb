package graph_test

// Query plans of the statements a nested query produces, on a database big
// enough for a bad plan to matter and with only the statistics the server
// gathers by itself (store.Open/Migrate; no ANALYZE by hand).
//
// entgql eager-loads an edge with one statement per level: the children of
// every parent on the page, filtered by the foreign key (IN list) and the
// caller's mode, with a window function when the connection has a page size,
// plus one grouped COUNT for totalCount. The planner may serve that
// statement from an index on (mode, …) and walk every row of the mode
// instead of the few rows of the page's parents: fine on a small database,
// 15× slower at 100,000 customers. An unfiltered root totalCount reads a
// row counter; a COUNT of the root table would read every row of the mode.
// This test captures every statement of q50, the flat list, each root
// connection's totalCount, and a query per nested connection and edge of
// every type the schema lists at the root, runs EXPLAIN QUERY PLAN (SQLite) or
// EXPLAIN (PostgreSQL, with TEST_DATABASE_URL) on each with its arguments,
// and fails when a statement that loads the children of a page reads a big
// table in full or through an index whose only key is the mode. On Postgres
// the statement is explained as the store sends it (key lists as one array,
// store.KeyArrays), twice: the custom plan, made for its values, and the
// generic plan, made without them, which Postgres keeps for a prepared
// statement once it costs no more than the custom ones.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"clientele/ent"
	"clientele/ent/order"
	"clientele/graph"
	"clientele/internal/httpapi"
	"clientele/internal/store"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
)

// bigTable is the row count from which a table is "big": a full scan of it,
// or a scan of all its rows of one mode, fails the test. With statistics,
// Postgres's cost model reads the ~2,500 orders of a mode (~70 pages)
// through the mode index rather than probe the customer index 50 times
// (0.7 ms either way): below bigTable, such a plan fails only when its row
// estimate was off (no statistics).
var bigTable = map[string]int64{dialect.SQLite: 250, dialect.Postgres: 20000}

// pgSmallTable is the row count below which any Postgres plan goes.
const pgSmallTable = 1000

// explainCustomers is the number of customers seeded per mode (override
// with EXPLAIN_CUSTOMERS): enough for a few big tables within seconds
// (Postgres, with a round trip per hook statement, seeds slower).
var explainCustomers = map[string]int{dialect.SQLite: 1500, dialect.Postgres: 400}

// captured is one statement the handler ran.
type captured struct {
	query string
	args  []any
}

// capturingDriver records the statements run through it while on.
type capturingDriver struct {
	dialect.Driver
	mu  sync.Mutex
	on  bool
	got []captured
}

func (d *capturingDriver) Query(ctx context.Context, q string, args, v any) error {
	d.record(q, args)
	return d.Driver.Query(ctx, q, args, v)
}

func (d *capturingDriver) record(q string, args any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.on {
		a, _ := args.([]any)
		d.got = append(d.got, captured{q, slices.Clone(a)})
	}
}

func (d *capturingDriver) capture(f func()) []captured {
	d.mu.Lock()
	d.on, d.got = true, nil
	d.mu.Unlock()
	f()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.on = false
	return d.got
}

func TestEagerLoadPlans(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a few thousand customers")
	}
	url := testenv.DatabaseURL(t)
	ctx := context.Background()
	seedDB, err := store.Open(url, nil)
	require.NoError(t, err)
	n := explainCustomers[seedDB.Dialect]
	if s := os.Getenv("EXPLAIN_CUSTOMERS"); s != "" {
		n, err = strconv.Atoi(s)
		require.NoError(t, err)
	}

	// Seed through a first connection, then open the database again as the
	// server does: whatever statistics there are, the server gathered.
	start := time.Now()
	require.NoError(t, seedDB.Migrate(ctx))
	// Both modes at once on Postgres; SQLite has one writer anyway.
	var wg sync.WaitGroup
	for _, m := range []viewer.Mode{viewer.Test, viewer.Live} {
		wg.Add(1)
		seed := func() { defer wg.Done(); bulkSeed(t, seedDB.Client, m, n) }
		if seedDB.Dialect == dialect.Postgres {
			go seed()
		} else {
			seed()
		}
	}
	wg.Wait()
	require.NoError(t, seedDB.Close())
	t.Logf("seeded %d customers per mode in %s", n, time.Since(start).Round(time.Millisecond))

	drv := &capturingDriver{}
	db, err := store.Open(url, func(d dialect.Driver) dialect.Driver { drv.Driver = d; return drv })
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(ctx))

	sizes := tableSizes(t, db)
	requireStatistics(t, db, sizes)
	admin := &viewer.Viewer{Mode: viewer.Test, Kind: viewer.Integration, Role: viewer.Admin}
	l := graph.DefaultLimits()
	l.MaxComplexity = 1 << 30
	h := (&httpapi.Options{Authenticate: func(*http.Request) (*viewer.Viewer, error) { return admin, nil }}).
		GraphQL(graph.NewServer(graph.Options{Client: db.Client, Dialect: db.Dialect, PublicURL: "https://clientele.test", Limits: l}))
	e := &testenv.Env{Handler: h, As: admin}

	type checked struct{ name, query string }
	queries := append([]checked{
		{"q50", q50},
		{"flat", `{ customers(first: 50) { edges { node { id email status createdAt } } } }`},
	}, func() (out []checked) {
		for _, q := range nestedQueries(t) {
			out = append(out, checked{q[0], q[1]})
		}
		return out
	}()...)

	var failures []string
	seen := map[string]bool{}
	explained := 0
	for _, q := range queries {
		stmts := drv.capture(func() {
			r := e.Do(t, q.query, map[string]any{"n": 50})
			require.Empty(t, r.Errors, "%s: %s", q.name, r.Raw)
		})
		require.NotEmpty(t, stmts, q.name)
		for _, s := range stmts {
			key := s.query
			if seen[key] {
				continue
			}
			seen[key] = true
			explained++
			nested := strings.Contains(s.query, " IN (")
			page := strings.Contains(s.query, " LIMIT ")
			// A COUNT that is not a nested connection's counts a root
			// connection: the tests' root queries have no filter, so
			// their totalCount must come from the row counters, not
			// from every row of the mode.
			count := !nested && strings.Contains(strings.ToUpper(s.query), "COUNT(")
			if db.Dialect == dialect.Postgres {
				// What the store sends: key lists as one array.
				s.query, s.args = store.KeyArrays(s.query, s.args)
			}
			for kind, plan := range explain(t, db, s) {
				for _, bad := range badPlan(db.Dialect, plan, sizes, nested || count, page) {
					failures = append(failures, fmt.Sprintf("%s (%s plan): %s\n    SQL: %s\n    plan:\n      %s", q.name, kind, bad, s.query, strings.Join(plan, "\n      ")))
				}
				if testing.Verbose() {
					t.Logf("%s (%s plan, nested %v):\n  %s\n  %s", q.name, kind, nested, s.query, strings.Join(plan, "\n  "))
				}
			}
		}
	}
	t.Logf("%d queries, %d distinct statements explained", len(queries), explained)
	require.Greater(t, explained, 20)
	require.Empty(t, failures, "statements that read a big table in full or mode-wide:\n%s", strings.Join(failures, "\n"))
}

// nestedQueries returns, for every type with a root connection, its
// unfiltered totalCount, and one query per nested connection (a full page of 1 so that totalCount is counted;
// then once per orderBy field) and one per unique edge.
func nestedQueries(t *testing.T) [][2]string {
	t.Helper()
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	nodeOf := func(conn string) string { return connectionNode(s, conn) }
	var out [][2]string
	for _, root := range s.Query.Fields {
		typ := nodeOf(root.Type.Name())
		if typ == "" || root.Arguments.ForName("first") == nil {
			continue
		}
		out = append(out, [2]string{root.Name + ".totalCount",
			fmt.Sprintf(`query($n: Int!) { %s(first: $n) { totalCount pageInfo { hasNextPage } } }`, root.Name)})
		def := s.Types[typ]
		for _, f := range def.Fields {
			inner := wrapNested(root.Name, f.Name)
			if child := nodeOf(f.Type.Name()); child != "" {
				out = append(out, [2]string{root.Name + "." + f.Name,
					inner(`(first: 1) { totalCount edges { node { id } } }`)})
				if a := f.Arguments.ForName("orderBy"); a != nil {
					for _, v := range orderFields(s, a.Type) {
						out = append(out, [2]string{root.Name + "." + f.Name + " by " + v,
							inner(fmt.Sprintf(`(first: 3, orderBy: {field: %s, direction: DESC}) { totalCount edges { node { id } } }`, v))})
					}
				}
				continue
			}
			if ft := s.Types[f.Type.Name()]; ft != nil && ft.Kind == ast.Object && ft.Fields.ForName("id") != nil && len(f.Arguments) == 0 &&
				slices.Contains(s.GetPossibleTypes(s.Types["Node"]), ft) {
				out = append(out, [2]string{root.Name + "." + f.Name, inner(` { id }`)})
			}
		}
	}
	require.NotEmpty(t, out)
	return out
}

// connectionNode returns the node type of a connection type (XConnection
// → X), "" for any other type.
func connectionNode(s *ast.Schema, conn string) string {
	def := s.Types[conn]
	if def == nil || !strings.HasSuffix(conn, "Connection") {
		return ""
	}
	if f := def.Fields.ForName("edges"); f != nil {
		if edge := s.Types[f.Type.Name()]; edge != nil {
			if nf := edge.Fields.ForName("node"); nf != nil {
				return nf.Type.Name()
			}
		}
	}
	return ""
}

// wrapNested returns a function that puts a field selection under the
// nodes of a page of the root connection.
func wrapNested(root, field string) func(string) string {
	return func(sel string) string {
		return fmt.Sprintf(`query($n: Int!) { %s(first: $n) { edges { node { id %s%s } } } }`, root, field, sel)
	}
}

// orderFields lists the values of an orderBy argument's field enum.
func orderFields(s *ast.Schema, t *ast.Type) []string {
	in := s.Types[t.Name()]
	if in == nil {
		return nil
	}
	f := in.Fields.ForName("field")
	if f == nil || s.Types[f.Type.Name()] == nil {
		return nil
	}
	var out []string
	for _, v := range s.Types[f.Type.Name()].EnumValues {
		out = append(out, v.Name)
	}
	return out
}

// tableSizes counts the rows of every table.
func tableSizes(t *testing.T, db *store.DB) map[string]int64 {
	t.Helper()
	var q string
	if db.Dialect == dialect.Postgres {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`
	} else {
		q = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	}
	rows, err := db.SQL.Query(q)
	require.NoError(t, err)
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	sizes := map[string]int64{}
	for _, n := range names {
		var c int64
		require.NoError(t, db.SQL.QueryRow(`SELECT COUNT(*) FROM "`+n+`"`).Scan(&c))
		sizes[n] = c
	}
	return sizes
}

// requireStatistics checks that every table of more than a few pages has
// planner statistics that know roughly how many rows it has (SQLite: rows
// in sqlite_stat1; Postgres: reltuples within a factor of 2).
func requireStatistics(t *testing.T, db *store.DB, sizes map[string]int64) {
	t.Helper()
	for table, n := range sizes {
		if n < 100 {
			continue
		}
		if db.Dialect == dialect.Postgres {
			var est float64
			require.NoError(t, db.SQL.QueryRow(`SELECT c.reltuples FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
WHERE s.nspname = current_schema() AND c.relname = $1`, table).Scan(&est))
			require.True(t, est >= float64(n)/2 && est <= float64(n)*2, "%s: %d rows, statistics say %.0f", table, n, est)
			continue
		}
		var stats int
		require.NoError(t, db.SQL.QueryRow(`SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = ?`, table).Scan(&stats))
		require.Positive(t, stats, "%s: %d rows and no statistics", table, n)
	}
}

// explain returns the plans of a captured statement, one line per node:
// on SQLite the plan; on Postgres the custom plan (made for the statement's
// values) and the generic plan (made without them, which Postgres keeps for
// a prepared statement once it costs no more than the custom plans did).
func explain(t *testing.T, db *store.DB, s captured) map[string][]string {
	t.Helper()
	if db.Dialect == dialect.Postgres {
		var custom string
		require.NoError(t, db.SQL.QueryRow("EXPLAIN (ANALYZE, FORMAT JSON) "+s.query, s.args...).Scan(&custom), s.query)
		// PostgreSQL 15 has no EXPLAIN (GENERIC_PLAN): prepare the
		// statement on one connection that always uses generic plans.
		ctx := context.Background()
		conn, err := db.SQL.Conn(ctx)
		require.NoError(t, err)
		defer conn.Close()
		lits := make([]string, len(s.args))
		for i, a := range s.args {
			lits[i] = pgLiteral(t, a)
		}
		var generic string
		_, err = conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan")
		require.NoError(t, err)
		_, err = conn.ExecContext(ctx, "PREPARE explained AS "+s.query)
		require.NoError(t, err, s.query)
		q := "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE explained"
		if len(lits) > 0 {
			q += "(" + strings.Join(lits, ", ") + ")"
		}
		err = conn.QueryRowContext(ctx, q).Scan(&generic)
		_, _ = conn.ExecContext(ctx, "DEALLOCATE explained")
		_, _ = conn.ExecContext(ctx, "RESET plan_cache_mode")
		require.NoError(t, err, s.query)
		return map[string][]string{"custom": pgPlanLines(t, custom), "generic": pgPlanLines(t, generic)}
	}
	return map[string][]string{"": sqlitePlan(t, db, s)}
}

// pgLiteral writes a statement argument as a Postgres literal.
func pgLiteral(t *testing.T, a any) string {
	t.Helper()
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	switch v := a.(type) {
	case nil:
		return "NULL"
	case string:
		return quote(v)
	case []string:
		elems := make([]string, len(v))
		for i, e := range v {
			elems[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(e) + `"`
		}
		return quote("{" + strings.Join(elems, ",") + "}")
	case []int64:
		elems := make([]string, len(v))
		for i, e := range v {
			elems[i] = strconv.FormatInt(e, 10)
		}
		return quote("{" + strings.Join(elems, ",") + "}")
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return quote(v.Format(time.RFC3339Nano))
	}
	t.Fatalf("no literal for %T", a)
	return ""
}

// pgPlanLines flattens an EXPLAIN (FORMAT JSON) document.
func pgPlanLines(t *testing.T, raw string) []string {
	t.Helper()
	var doc []struct{ Plan pgPlan }
	require.NoError(t, json.Unmarshal([]byte(raw), &doc))
	var lines []string
	var walk func(p pgPlan, rel string, depth int)
	walk = func(p pgPlan, rel string, depth int) {
		if p.Relation != "" {
			rel = p.Relation
		}
		lines = append(lines, fmt.Sprintf("%s%s|%s|%s|%s|%.0f|%.0f", strings.Repeat(" ", depth), p.NodeType, rel, p.IndexName, p.IndexCond, p.PlanRows, p.ActualRows))
		for _, c := range p.Plans {
			walk(c, rel, depth+1)
		}
	}
	for _, d := range doc {
		walk(d.Plan, "", 0)
	}
	return lines
}

// sqlitePlan returns EXPLAIN QUERY PLAN's lines.
func sqlitePlan(t *testing.T, db *store.DB, s captured) []string {
	t.Helper()
	// entgql's LimitPerRow reads its CTE under the table's name
	// ("FROM `limited_query` AS `orders`"); its top-level SCAN is of the
	// CTE's rows, not of the table.
	var ctes []string
	for _, m := range cteAlias.FindAllStringSubmatch(s.query, -1) {
		if strings.Contains(s.query, "`"+m[1]+"` AS (") {
			ctes = append(ctes, "SCAN "+m[2])
		}
	}
	rows, err := db.SQL.Query("EXPLAIN QUERY PLAN "+s.query, s.args...)
	require.NoError(t, err, s.query)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		if parent == 0 && slices.Contains(ctes, detail) {
			detail += " (the CTE)"
		}
		lines = append(lines, detail)
	}
	require.NoError(t, rows.Err())
	return lines
}

// cteAlias matches "FROM `cte` AS `alias`".
var cteAlias = regexp.MustCompile("FROM `(\\w+)` AS `(\\w+)`")

type pgPlan struct {
	NodeType   string   `json:"Node Type"`
	Relation   string   `json:"Relation Name"`
	IndexName  string   `json:"Index Name"`
	IndexCond  string   `json:"Index Cond"`
	PlanRows   float64  `json:"Plan Rows"`
	ActualRows float64  `json:"Actual Rows"`
	Plans      []pgPlan `json:"Plans"`
}

// sqliteScan matches an EXPLAIN QUERY PLAN line that reads a table:
// SCAN|SEARCH table [AS alias] [USING … [(constraints)]].
var sqliteScan = regexp.MustCompile(`^(SCAN|SEARCH) (\S+)(?: AS \S+)?(?: USING (.*?)(?: \((.*)\))?)?$`)

// badPlan returns what is wrong with a plan: a big table read in full, or
// through an index whose only equality is the mode, in a statement that
// loads the children of a page (nested: an IN list), or that reads a page
// (a LIMIT) by sorting the rows so read.
func badPlan(d string, plan []string, sizes map[string]int64, nested, page bool) []string {
	var wide []string
	sorted := false
	for _, line := range plan {
		if d == dialect.Postgres {
			f := strings.Split(strings.TrimSpace(line), "|")
			node, rel, idx, cond := f[0], f[1], f[2], f[3]
			if node == "Sort" || node == "Incremental Sort" {
				sorted = true
			}
			// Below bigTable, a scan Postgres chose knowing how many
			// rows it would read (estimate within 4× of the actual
			// count) is its cost model's call, not luck.
			est, _ := strconv.ParseFloat(f[4], 64)
			act, _ := strconv.ParseFloat(f[5], 64)
			if sizes[rel] < pgSmallTable || sizes[rel] < bigTable[d] && act <= 4*est {
				continue
			}
			switch {
			case node == "Seq Scan":
				wide = append(wide, fmt.Sprintf("sequential scan of %s (%d rows)", rel, sizes[rel]))
			case strings.Contains(node, "Index") && idx != "" && cond == "":
				wide = append(wide, fmt.Sprintf("full index scan of %s on %s (%d rows)", idx, rel, sizes[rel]))
			case strings.Contains(node, "Index") && modeOnly(cond):
				wide = append(wide, fmt.Sprintf("mode-wide scan of %s on %s (%d rows): %s", idx, rel, sizes[rel], cond))
			}
			continue
		}
		if strings.HasPrefix(line, "USE TEMP B-TREE FOR ORDER BY") {
			sorted = true
		}
		m := sqliteScan.FindStringSubmatch(line)
		if m == nil || sizes[m[2]] < bigTable[d] {
			continue
		}
		switch {
		case m[1] == "SCAN":
			wide = append(wide, fmt.Sprintf("full scan of %s (%d rows): %s", m[2], sizes[m[2]], line))
		case modeOnlySQLite(m[4]):
			wide = append(wide, fmt.Sprintf("mode-wide scan of %s (%d rows): %s", m[2], sizes[m[2]], line))
		}
	}
	switch {
	case nested:
		return wide
	case page && sorted && len(wide) > 0:
		return []string{"a page sorted out of a " + strings.Join(wide, ", ")}
	}
	return nil
}

// modeOnlySQLite reports whether the constraints of a SEARCH ("mode=? AND
// created_at>?") have an equality on the mode and on nothing else.
func modeOnlySQLite(cons string) bool {
	mode := false
	for _, c := range strings.Split(cons, " AND ") {
		col, _, eq := strings.Cut(c, "=?")
		if !eq || strings.ContainsAny(col, "<>") {
			continue
		}
		if col != "mode" {
			return false
		}
		mode = true
	}
	return mode
}

// pgIndexKey matches the column of each condition in a Postgres Index Cond:
// "(customer_id = ANY (…))", "((mode)::text = 'TEST'::text)".
var pgIndexKey = regexp.MustCompile(`\(\(?([a-z_]+)\)?(?:::[a-z ]+)? (?:=|<|>|<=|>=|<>) `)

// modeOnly reports whether a Postgres index condition constrains the mode
// and nothing else.
func modeOnly(cond string) bool {
	cols := pgIndexKey.FindAllStringSubmatch(cond, -1)
	if len(cols) == 0 {
		return false
	}
	for _, c := range cols {
		if c[1] != "mode" {
			return false
		}
	}
	return true
}

// bulkSeed creates n customers of mode m, about 15 to a group (at least 10
// groups: a page of groups does not hold every customer), each with
// 2 address-book entries, 4 orders (the first fulfilled, some in an order
// subscription), a payment source, a newsletter subscription and an
// attachment; every 10th customer gets a return and an order subscription with
// one more order.
// The ent hooks run (numbers, events), in transactions of 250 customers.
func bulkSeed(t *testing.T, c *ent.Client, m viewer.Mode, n int) {
	t.Helper()
	ctx := viewer.SystemContext(context.Background(), m)
	var groups []string
	for i := 0; i < max(10, n/15); i++ {
		g, err := c.CustomerGroup.Create().SetName(fmt.Sprintf("Group %d", i)).SetCode(fmt.Sprintf("%s-g%d", m.Lower(), i)).Save(ctx)
		require.NoError(t, err)
		groups = append(groups, g.ID)
	}
	now := time.Now().Add(-time.Hour)
	const batch = 250
	for from := 0; from < n; from += batch {
		to := min(from+batch, n)
		tx, err := c.Tx(ctx)
		require.NoError(t, err)
		tc := tx.Client()
		custs := make([]*ent.CustomerCreate, 0, to-from)
		for i := from; i < to; i++ {
			custs = append(custs, tc.Customer.Create().SetEmail(fmt.Sprintf("c%d@%s.example.com", i, m.Lower())).
				SetCustomerGroupID(groups[i%len(groups)]).SetCreatedAt(now.Add(-time.Duration(i)*time.Minute)))
		}
		cs, err := tc.Customer.CreateBulk(custs...).Save(ctx)
		require.NoError(t, err)
		var addrs []*ent.AddressCreate
		for range cs {
			for j := 0; j < 2; j++ {
				addrs = append(addrs, tc.Address.Create().SetFirstName("Ann").SetLastName("Lee").SetLine1("Via Roma 1").
					SetCity(fmt.Sprintf("City %d", j)).SetCountryCode("IT").SetPhone("+39 555"))
			}
		}
		as, err := tc.Address.CreateBulk(addrs...).Save(ctx)
		require.NoError(t, err)
		var entries []*ent.CustomerAddressCreate
		var orders []*ent.OrderCreate
		var sources []*ent.CustomerPaymentSourceCreate
		var subs []*ent.CustomerSubscriptionCreate
		var atts []*ent.AttachmentCreate
		for k, cu := range cs {
			for j := 0; j < 2; j++ {
				entries = append(entries, tc.CustomerAddress.Create().SetCustomerID(cu.ID).SetAddressID(as[2*k+j].ID))
			}
			for j := 0; j < 4; j++ {
				o := tc.Order.Create().SetCustomerID(cu.ID).SetCurrencyCode("EUR").SetTotalAmountCents(int64(1000 + j)).
					SetCreatedAt(now.Add(-time.Duration(k*4+j) * time.Second))
				if j == 0 {
					o.SetStatus(order.StatusPLACED).SetPlacedAt(now).SetFulfillmentStatus(order.FulfillmentStatusFULFILLED)
				}
				orders = append(orders, o)
			}
			sources = append(sources, tc.CustomerPaymentSource.Create().SetCustomerID(cu.ID).SetName("XXXX-XXXX-XXXX-1111").SetPaymentMethodType("stripe_payments"))
			subs = append(subs, tc.CustomerSubscription.Create().SetCustomerID(cu.ID).SetReference("newsletter"))
			atts = append(atts, tc.Attachment.Create().SetCustomerID(cu.ID).SetName("contract"))
		}
		_, err = tc.CustomerAddress.CreateBulk(entries...).Save(ctx)
		require.NoError(t, err)
		ords, err := tc.Order.CreateBulk(orders...).Save(ctx)
		require.NoError(t, err)
		_, err = tc.CustomerPaymentSource.CreateBulk(sources...).Save(ctx)
		require.NoError(t, err)
		_, err = tc.CustomerSubscription.CreateBulk(subs...).Save(ctx)
		require.NoError(t, err)
		_, err = tc.Attachment.CreateBulk(atts...).Save(ctx)
		require.NoError(t, err)
		for k := 0; k < len(cs); k += 10 {
			src := ords[4*k]
			_, err = tc.OrderReturn.Create().SetOrderID(src.ID).SetSkusCount(1).Save(ctx)
			require.NoError(t, err)
			sub, err := tc.OrderSubscription.Create().SetSourceOrderID(src.ID).SetFrequency("monthly").Save(ctx)
			require.NoError(t, err)
			_, err = tc.Order.Create().SetCustomerID(src.CustomerID).SetCurrencyCode("EUR").SetOrderSubscriptionID(sub.ID).Save(ctx)
			require.NoError(t, err)
		}
		require.NoError(t, tx.Commit())
	}
}
