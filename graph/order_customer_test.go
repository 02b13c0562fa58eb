package graph_test

import (
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// TestCreateOrderByEmailIsOneWrite checks that an order naming its customer
// by email finds or creates that customer in the order's own transaction:
// a refused order leaves no customer behind, an accepted one links the
// customer with the normalised email.
func TestCreateOrderByEmailIsOneWrite(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	const q = `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id customerEmail customer { id email } } userErrors { code field } } }`
	const count = `query($e: String!) { customers(where: {email: $e}) { totalCount } }`

	r := e.Do(t, q, map[string]any{"in": map[string]any{"customerEmail": " New.Buyer@Example.com ", "currencyCode": "euro"}})
	require.Empty(t, r.Errors, r.Raw)
	require.Equal(t, []any{map[string]any{"code": "INVALID", "field": []any{"currencyCode"}}}, r.Get("createOrder.userErrors"), r.Raw)
	require.Equal(t, 0, e.MustDo(t, count, map[string]any{"e": "new.buyer@example.com"}).Int("customers.totalCount"),
		"a refused order created its customer")

	r = e.MustDo(t, q, map[string]any{"in": map[string]any{"customerEmail": " New.Buyer@Example.com ", "currencyCode": "EUR"}})
	require.Equal(t, "new.buyer@example.com", r.Str("createOrder.order.customer.email"))
	require.Equal(t, "new.buyer@example.com", r.Str("createOrder.order.customerEmail"))
	cus := r.Str("createOrder.order.customer.id")

	// The same email again links the same customer.
	r = e.MustDo(t, q, map[string]any{"in": map[string]any{"customerEmail": "NEW.BUYER@example.com", "currencyCode": "EUR"}})
	require.Equal(t, cus, r.Str("createOrder.order.customer.id"))
	require.Equal(t, 1, e.MustDo(t, count, map[string]any{"e": "new.buyer@example.com"}).Int("customers.totalCount"))
}
