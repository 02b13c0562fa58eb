package graph_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A record field's arguments are parsed once per response and shared by
// every record (internal/gqlexec.Args): each customer's nested connection,
// filtered and ordered through variables, must list what the same
// connection lists for that customer alone. Aliases with other arguments
// on the same field keep their own.
func TestNestedArgumentsAreTheSameForEveryRecord(t *testing.T) {
	e := newFoundationEnv(t)
	ids := mustCustomers(t, e, "args-a@example.com", "args-b@example.com", "args-c@example.com")
	for i, id := range ids {
		for range i + 1 {
			mustDraftOrder(t, e, id)
			mustPlacedOrder(t, e, id)
		}
	}
	const sel = `placed: orders(first: 2, where: {status: $st}, orderBy: {field: CREATED_AT, direction: $dir}) { totalCount edges { node { id status } } }
		drafts: orders(first: 5, where: {status: DRAFT}) { totalCount edges { node { id status } } }`
	vars := map[string]any{"st": "PLACED", "dir": "DESC"}
	all := e.MustDo(t, `query($st: OrderStatus, $dir: OrderDirection!) { customers(first: 3) { edges { node { id `+sel+` } } } }`, vars)
	for i := range ids {
		node := all.Get("customers.edges").([]any)[i].(map[string]any)["node"].(map[string]any)
		vars["id"] = node["id"]
		one := e.MustDo(t, `query($id: ID!, $st: OrderStatus, $dir: OrderDirection!) { node(id: $id) { ... on Customer { `+sel+` } } }`, vars)
		require.Equal(t, one.Get("node.placed"), node["placed"], node["id"])
		require.Equal(t, one.Get("node.drafts"), node["drafts"], node["id"])
		require.NotEmpty(t, one.Get("node.placed.edges"), node["id"])
	}
}
