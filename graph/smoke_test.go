package graph_test

import (
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

func TestSmokeCreateAndList(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	r := e.MustDo(t, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id email } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"email": "A@b.co"}})
	require.Equal(t, "a@b.co", r.Str("createCustomer.customer.email"))
	r = e.MustDo(t, `{ customers { totalCount } }`, nil)
	require.Equal(t, 1, r.Int("customers.totalCount"))
}
