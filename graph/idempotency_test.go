package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"clientele/ent/event"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

const idemCreate = `mutation($e: String!) { createCustomer(input: {email: $e}) { customer { id } userErrors { code } } }`

func idemRequest(t testing.TB, key, token, email string) *http.Request {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": idemCreate, "variables": map[string]any{"e": email}})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func idemSend(e *testenv.Env, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	return rec
}

func idemCustomers(t testing.TB, e *testenv.Env) int {
	t.Helper()
	n, err := e.Ent().Customer.Query().Count(e.Context())
	require.NoError(t, err)
	return n
}

func TestIdempotencyKeyRunsOnceUnderConcurrency(t *testing.T) {
	e := testenv.New(t)
	const n = 16
	bodies := make([]string, n)
	replayed := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := idemSend(e, idemRequest(t, "create-ann-1", "", "ann@example.com"))
			bodies[i], replayed[i] = rec.Body.String(), rec.Header().Get("Idempotent-Replayed")
		}()
	}
	wg.Wait()
	require.Equal(t, 1, idemCustomers(t, e), "the keyed mutation ran once")
	first := 0
	for i := range n {
		require.Equal(t, bodies[0], bodies[i], "every duplicate gets the same answer")
		require.Contains(t, bodies[i], `"customer":{"id":"cus_`)
		if replayed[i] == "" {
			first++
		}
	}
	require.Equal(t, 1, first, "exactly one response is the original, the others say they are replays")
	events, err := e.Ent().Event.Query().Count(e.Context())
	require.NoError(t, err)
	require.Equal(t, 1, events, "one customers.create event")
}

func TestIdempotencyKeyRefusesADifferentRequest(t *testing.T) {
	e := testenv.New(t)
	require.Equal(t, http.StatusOK, idemSend(e, idemRequest(t, "k", "", "ann@example.com")).Code)
	rec := idemSend(e, idemRequest(t, "k", "", "bob@example.com"))
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	require.Contains(t, rec.Body.String(), `"code":"IDEMPOTENCY_KEY_REUSED"`)
	require.Equal(t, 1, idemCustomers(t, e), "the refused request changed nothing")

	// The same body with other spacing and key order is the same request.
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader([]byte(
		`{ "variables": {"e": "ann@example.com"},   "query": "`+idemCreate+`" }`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "k")
	rec = idemSend(e, req)
	require.Equal(t, "true", rec.Header().Get("Idempotent-Replayed"))

	// Without a key, nothing is remembered; an over-long key is refused.
	require.Equal(t, http.StatusOK, idemSend(e, idemRequest(t, "", "", "carl@example.com")).Code)
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'x'
	}
	rec = idemSend(e, idemRequest(t, string(long), "", "dan@example.com"))
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, 2, idemCustomers(t, e))
}

func TestIdempotencyKeysArePerCallerAndExpire(t *testing.T) {
	e := testenv.New(t, testenv.WithRealAuth())
	ca := e.Credential(t, "integration", "admin", viewer.Test)
	a := e.Token(t, ca, "")
	b := e.Token(t, e.Credential(t, "integration", "admin", viewer.Test), "")
	ra := idemSend(e, idemRequest(t, "same", a, "ann@example.com"))
	require.Equal(t, http.StatusOK, ra.Code)
	rb := idemSend(e, idemRequest(t, "same", b, "ann@example.com"))
	require.Empty(t, rb.Header().Get("Idempotent-Replayed"), "another caller's key is another key")
	require.Contains(t, rb.Body.String(), `"code":"TAKEN"`, "it ran: the email is taken by the first")

	// After 24 hours the key is forgotten and the request runs again.
	e.Now = e.Now.Add(25 * time.Hour)
	a = e.Token(t, ca, "") // the same credential, a fresh token
	ra2 := idemSend(e, idemRequest(t, "same", a, "ann@example.com"))
	require.Empty(t, ra2.Header().Get("Idempotent-Replayed"))
	require.Contains(t, ra2.Body.String(), `"code":"TAKEN"`)
}

// TestEveryCreateRunsOnceUnderConcurrency walks the schema's create
// mutations (a new one without a fixture here fails the test) and fires
// each, with one Idempotency-Key, from many goroutines at once: one record
// and one create event, and the same answer for every caller.
func TestEveryCreateRunsOnceUnderConcurrency(t *testing.T) {
	e := lcNewEnv(t)
	type fixture struct {
		args  string // the mutation's arguments, in GraphQL
		vars  func() map[string]any
		table string // whose create event counts
	}
	in := func(f func() map[string]any) func() map[string]any {
		return func() map[string]any { return map[string]any{"in": f()} }
	}
	fixtures := map[string]fixture{
		"createCustomer":      {"(input: $in)", in(func() map[string]any { return map[string]any{"email": "idem@example.com"} }), "customers"},
		"createCustomerGroup": {"(input: $in)", in(func() map[string]any { return map[string]any{"name": "Idem"} }), "customer_groups"},
		"createAddress":       {"(input: $in)", in(lcAddressInput), "addresses"},
		"createCustomerAddress": {"(input: $in)", in(func() map[string]any {
			return map[string]any{"customerID": vsCustomer(t, e), "addressID": vsAddress(t, e)}
		}), "customer_addresses"},
		"createCustomerPaymentSource": {"(input: $in)", in(func() map[string]any {
			return map[string]any{"customerID": vsCustomer(t, e), "name": "XXXX-1111", "paymentMethodType": "stripe_payments"}
		}), "customer_payment_sources"},
		"createCustomerSubscription": {"(input: $in)", in(func() map[string]any {
			return map[string]any{"customerID": vsCustomer(t, e), "reference": "news"}
		}), "customer_subscriptions"},
		"createAttachment": {"(input: $in)", in(func() map[string]any {
			return map[string]any{"customerID": vsCustomer(t, e), "name": "a.pdf", "url": "https://example.com/a.pdf"}
		}), "attachments"},
		"createOrder": {"(input: $in)", in(func() map[string]any {
			return map[string]any{"customerID": vsCustomer(t, e), "currencyCode": "EUR", "totalAmountCents": 100}
		}), "orders"},
		"createReturn": {"(input: $in)", in(func() map[string]any {
			return map[string]any{"orderID": vsOrder(lcToFulfilled...)(t, e), "skusCount": 1}
		}), "returns"},
		"createOrderSubscription": {"(input: $in)", in(func() map[string]any {
			return map[string]any{"sourceOrderID": vsOrder(lcToPlaced...)(t, e), "frequency": "weekly"}
		}), "order_subscriptions"},
		"createCustomerPasswordReset": {"(customerEmail: $in)", func() map[string]any {
			r := e.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer { email } } }`, map[string]any{"id": vsCustomer(t, e)})
			return map[string]any{"in": r.Str("node.email")}
		}, "customer_password_resets"},
	}
	schema := vsSchema(t, e)
	var creates []string
	for _, f := range schema["Mutation"].Fields {
		if strings.HasPrefix(f.Name, "create") {
			creates = append(creates, f.Name)
		}
	}
	require.Len(t, creates, len(fixtures), "create mutations: %v", creates)
	for _, name := range creates {
		t.Run(name, func(t *testing.T) {
			fx, ok := fixtures[name]
			require.True(t, ok, "no fixture for %s", name)
			vars := fx.vars()
			var argType string
			for _, f := range schema["Mutation"].Fields {
				if f.Name == name {
					argType = f.Args[0].Type.String()
				}
			}
			query := `mutation($in: ` + argType + `) { ` + name + fx.args + ` { __typename } }`
			body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
			require.NoError(t, err)
			count := func() int {
				n, err := e.Ent().Event.Query().Where(event.Name(fx.table + ".create")).Count(viewer.Elevated(t.Context()))
				require.NoError(t, err)
				return n
			}
			before := count()
			const n = 8
			answers := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", "every-create-"+name)
					answers[i] = idemSend(e, req).Body.String()
				}()
			}
			wg.Wait()
			for i := range n {
				require.Equal(t, answers[0], answers[i])
			}
			require.NotContains(t, answers[0], `"errors"`)
			require.Equal(t, before+1, count(), "%s ran once", name)
		})
	}
}
