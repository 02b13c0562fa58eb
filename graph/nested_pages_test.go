package graph_test

import (
	"fmt"
	"testing"
	"time"

	"clientele/ent"
	"clientele/graph"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"
)

// addOrders gives customer c n orders through ent, created a minute apart
// from base, every third one at the same time as the one before it (ties
// broken by ID).
func addOrders(t *testing.T, e *testenv.Env, c string, n int, base time.Time) {
	t.Helper()
	ctx := e.Context()
	for from := 0; from < n; from += 100 {
		var b []*ent.OrderCreate
		for i := from; i < min(n, from+100); i++ {
			at := base.Add(-time.Duration(i) * time.Minute)
			if i%3 == 2 {
				at = at.Add(time.Minute)
			}
			b = append(b, e.Ent().Order.Create().SetCustomerID(c).SetCurrencyCode("EUR").SetCreatedAt(at))
		}
		require.NoError(t, e.Ent().Order.CreateBulk(b...).Exec(ctx))
	}
}

// A nested connection's page for many parents at once holds, for each, what
// the same page of that parent's children read on its own holds: the same
// nodes in the same order, cursors and pageInfo, forward and backward, with
// fewer children than the page, as many, and more.
func TestNestedPagesMatchEachParentsOwnPage(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	counts := []int{0, 1, 2, 3, 4, 7, 12}
	ids := make([]string, len(counts))
	for i, n := range counts {
		ids[i] = e.MustDo(t, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } } }`,
			map[string]any{"in": map[string]any{"email": fmt.Sprintf("n%d@example.com", i)}}).Str("createCustomer.customer.id")
		addOrders(t, e, ids[i], n, base.Add(time.Duration(i)*time.Second))
	}
	page := `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id createdAt } }`
	for _, args := range []string{
		`first: 3, orderBy: {field: CREATED_AT, direction: DESC}`,
		`first: 3, orderBy: {field: CREATED_AT, direction: ASC}`,
		`first: 1`,
		`last: 2, orderBy: {field: CREATED_AT, direction: DESC}`,
		`first: 4, orderBy: {field: NUMBER, direction: ASC}`,
	} {
		t.Run(args, func(t *testing.T) {
			nested := e.MustDo(t, fmt.Sprintf(`{ customers(first: 20) { edges { node { id orders(%s) { %s } } } } }`, args, page), nil)
			edges := nested.Get("customers.edges").([]any)
			require.Len(t, edges, len(counts))
			seen := map[string]bool{}
			for i := range edges {
				id := nested.Str(fmt.Sprintf("customers.edges.%d.node.id", i))
				seen[id] = true
				own := e.MustDo(t, fmt.Sprintf(`query($c: ID!) { orders(where: {customerID: $c}, %s) { %s } }`, args, page), map[string]any{"c": id})
				require.Equal(t, own.Get("orders"), nested.Get(fmt.Sprintf("customers.edges.%d.node.orders", i)), "customer %s", id)
			}
			require.Len(t, seen, len(counts))
		})
	}
}

// When the page's parents have more children than the plain read of a
// nested page returns on SQLite (100 times the page size plus one), the
// page is read again with a window per parent, and it is still right.
func TestNestedPagesPastThePlainReadsBound(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	var ids []string
	for i, n := range []int{150, 3, 60} {
		ids = append(ids, e.MustDo(t, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } } }`,
			map[string]any{"in": map[string]any{"email": fmt.Sprintf("b%d@example.com", i)}}).Str("createCustomer.customer.id"))
		addOrders(t, e, ids[i], n, base.Add(time.Duration(i)*time.Second))
	}
	page := `pageInfo { hasNextPage endCursor } edges { cursor node { id } }`
	// first: 1 reads at most 2 per parent: 213 rows are past 100 × 2.
	q := fmt.Sprintf(`{ customers(first: 10) { edges { node { id orders(first: 1, orderBy: {field: CREATED_AT, direction: DESC}) { %s } } } } }`, page)
	over, nested := statements(t, e, q, nil)
	// first: 2 reads at most 3 per parent: 213 rows are within 100 × 3.
	within, _ := statements(t, e, fmt.Sprintf(`{ customers(first: 10) { edges { node { id orders(first: 2) { %s } } } } }`, page), nil)
	for i := range ids {
		id := nested.Str(fmt.Sprintf("customers.edges.%d.node.id", i))
		own := e.MustDo(t, fmt.Sprintf(`query($c: ID!) { orders(where: {customerID: $c}, first: 1, orderBy: {field: CREATED_AT, direction: DESC}) { %s } }`, page), map[string]any{"c": id})
		require.Equal(t, own.Get("orders"), nested.Get(fmt.Sprintf("customers.edges.%d.node.orders", i)), "customer %s", id)
	}
	if e.DB.Dialect == dialect.SQLite {
		require.Equal(t, within+1, over, "past the bound, the page is read a second time")
	} else {
		require.Equal(t, within, over)
	}
}

// For every nested connection of every type with a root connection (first
// one, then two in its first order), the page read for several parents at
// once is, for each parent, the page read for that parent alone through
// node(id:).
func TestEveryNestedPageMatchesItsParentsOwnPage(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	bulkSeed(t, e.Ent(), viewer.Test, 30)
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	page := `{ totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } }`
	compared := 0
	for _, root := range s.Query.Fields {
		typ := connectionNode(s, root.Type.Name())
		if typ == "" || root.Arguments.ForName("first") == nil {
			continue
		}
		for _, f := range s.Types[typ].Fields {
			if connectionNode(s, f.Type.Name()) == "" {
				continue
			}
			args := []string{`first: 1`}
			if a := f.Arguments.ForName("orderBy"); a != nil {
				if v := orderFields(s, a.Type); len(v) > 0 {
					args = append(args, fmt.Sprintf(`first: 2, orderBy: {field: %s, direction: DESC}`, v[0]))
				}
			}
			for _, arg := range args {
				nested := e.MustDo(t, fmt.Sprintf(`{ %s(first: 4) { edges { node { id %s(%s) %s } } } }`, root.Name, f.Name, arg, page), nil)
				edges, _ := nested.Get(root.Name + ".edges").([]any)
				for i := range edges {
					id := nested.Str(fmt.Sprintf("%s.edges.%d.node.id", root.Name, i))
					own := e.MustDo(t, fmt.Sprintf(`query($id: ID!) { node(id: $id) { ... on %s { %s(%s) %s } } }`, typ, f.Name, arg, page), map[string]any{"id": id})
					require.Equal(t, own.Get("node."+f.Name), nested.Get(fmt.Sprintf("%s.edges.%d.node.%s", root.Name, i, f.Name)), "%s %s.%s(%s)", id, typ, f.Name, arg)
					compared++
				}
			}
		}
	}
	t.Logf("%d nested pages compared", compared)
	require.Greater(t, compared, 40)
}
