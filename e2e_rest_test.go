package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// restDo sends a JSON:API request to the served binary and decodes the
// answer.
func (s *e2eServer) restDo(t testing.TB, method, url, body string, header map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	// Links name the default public URL (localhost); the server listens
	// on 127.0.0.1.
	url = strings.Replace(url, "http://localhost:", "http://127.0.0.1:", 1)
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", "application/vnd.api+json")
	if body != "" {
		req.Header.Set("Content-Type", "application/vnd.api+json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	}
	return res, out
}

// TestServedLinksResolve walks every root connection of the GraphQL schema
// (found by introspection, so a new one is covered) on a seeded database:
// every record's links.self answers 200 from the JSON:API twin of the
// served binary, as the same record.
func TestServedLinksResolve(t *testing.T) {
	url := testenv.DatabaseURL(t)
	e2eCLI(t, url, "seed", "--customers=3", "--orders=2", "--groups=2")
	s := e2eStartURL(t, url)
	cus := s.createCustomer(t, "links@example.com")
	s.mustPost(t, `mutation($id: ID!) { createCustomerPasswordReset(customerEmail: "links@example.com") { userErrors { code } }
		createAttachment(input: {customerID: $id, name: "a.pdf", url: "https://example.com/a.pdf"}) { userErrors { code } }
		createCustomerSubscription(input: {customerID: $id, reference: "news"}) { userErrors { code } }
		createCustomerPaymentSource(input: {customerID: $id, name: "XXXX-1111", paymentMethodType: "stripe_payments"}) { userErrors { code } } }`, map[string]any{"id": cus})
	newOrder := func(moves ...string) string {
		d := s.mustPost(t, `mutation($id: ID!) { createOrder(input: {customerID: $id, currencyCode: "EUR", totalAmountCents: 1250}) { order { id } } }`,
			map[string]any{"id": cus})
		id := d["createOrder"].(map[string]any)["order"].(map[string]any)["id"].(string)
		for _, m := range moves {
			d := s.mustPost(t, `mutation($id: ID!) { `+m+`(id: $id) { userErrors { code } } }`, map[string]any{"id": id})
			require.Empty(t, d[m].(map[string]any)["userErrors"], m)
		}
		return id
	}
	placed := newOrder("markOrderPending", "placeOrder")
	fulfilled := newOrder("markOrderPending", "placeOrder", "approveOrder", "startFulfillingOrder", "fulfillOrder")
	d := s.mustPost(t, `mutation($f: ID!, $p: ID!) { createReturn(input: {orderID: $f, skusCount: 1}) { userErrors { code } }
		createOrderSubscription(input: {sourceOrderID: $p, frequency: "weekly"}) { userErrors { code } } }`, map[string]any{"f": fulfilled, "p": placed})
	require.Empty(t, d["createReturn"].(map[string]any)["userErrors"])
	require.Empty(t, d["createOrderSubscription"].(map[string]any)["userErrors"])

	d = s.mustPost(t, `{ __schema { queryType { fields { name type { name kind ofType { name } } } } } }`, nil)
	var roots []string
	for _, f := range d["__schema"].(map[string]any)["queryType"].(map[string]any)["fields"].([]any) {
		f := f.(map[string]any)
		typ := f["type"].(map[string]any)
		name, _ := typ["name"].(string)
		if of, ok := typ["ofType"].(map[string]any); ok && name == "" {
			name, _ = of["name"].(string)
		}
		if strings.HasSuffix(name, "Connection") {
			roots = append(roots, f["name"].(string))
		}
	}
	require.GreaterOrEqual(t, len(roots), 12, "root connections: %v", roots)
	for _, root := range roots {
		d := s.mustPost(t, `{ `+root+`(first: 3) { edges { node { ... on Node { id } links { self } } } } }`, nil)
		edges := d[root].(map[string]any)["edges"].([]any)
		require.NotEmpty(t, edges, "%s: the test needs a record of every type", root)
		for _, edge := range edges {
			n := edge.(map[string]any)["node"].(map[string]any)
			self := n["links"].(map[string]any)["self"].(string)
			res, doc := s.restDo(t, http.MethodGet, self, "", nil)
			require.Equal(t, http.StatusOK, res.StatusCode, "%s %s: %v", root, self, doc)
			require.Equal(t, "application/vnd.api+json", res.Header.Get("Content-Type"))
			data := doc["data"].(map[string]any)
			require.Equal(t, n["id"], data["id"], self)
			require.Equal(t, self, data["links"].(map[string]any)["self"])
		}
	}
}

// TestServedRESTWrites checks, through the served binary: a keyed create
// fired from many goroutines at once runs once (every caller gets the same
// 201), a stale If-Match is 409 CONFLICT and changes nothing, and browsers
// from an allowed origin may PATCH.
func TestServedRESTWrites(t *testing.T) {
	s := e2eStart(t, "--cors-origins", "https://shop.example")
	body := `{"data":{"type":"customers","attributes":{"email":"once@example.com"}}}`
	var wg sync.WaitGroup
	ids := make([]string, 8)
	codes := make([]int, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, doc := s.restDo(t, http.MethodPost, s.base+"/api/customers", body, map[string]string{"Idempotency-Key": "create-once"})
			codes[i] = res.StatusCode
			if data, ok := doc["data"].(map[string]any); ok {
				ids[i], _ = data["id"].(string)
			}
		}()
	}
	wg.Wait()
	for i := range ids {
		require.Equal(t, http.StatusCreated, codes[i])
		require.Equal(t, ids[0], ids[i], "every retry answers with the one record created")
	}
	d := s.mustPost(t, `{ customers(where: {email: "once@example.com"}) { totalCount } }`, nil)
	require.EqualValues(t, 1, d["customers"].(map[string]any)["totalCount"])

	self := s.base + "/api/customers/" + ids[0]
	res, _ := s.restDo(t, http.MethodGet, self, "", nil)
	etag := res.Header.Get("ETag")
	require.Equal(t, `"1"`, etag)
	patch := `{"data":{"type":"customers","id":"` + ids[0] + `","attributes":{"reference":"r1"}}}`
	res, doc := s.restDo(t, http.MethodPatch, self, patch, map[string]string{"If-Match": etag})
	require.Equal(t, http.StatusOK, res.StatusCode, "%v", doc)
	res, doc = s.restDo(t, http.MethodPatch, self, strings.Replace(patch, "r1", "r2", 1), map[string]string{"If-Match": etag})
	require.Equal(t, http.StatusConflict, res.StatusCode, "%v", doc)
	require.Equal(t, "CONFLICT", doc["errors"].([]any)[0].(map[string]any)["code"])
	_, doc = s.restDo(t, http.MethodGet, self, "", nil)
	require.Equal(t, "r1", doc["data"].(map[string]any)["attributes"].(map[string]any)["reference"])

	req, _ := http.NewRequest(http.MethodOptions, self, nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "PATCH")
	pre, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	pre.Body.Close()
	require.Equal(t, http.StatusNoContent, pre.StatusCode)
	require.Contains(t, pre.Header.Get("Access-Control-Allow-Methods"), "PATCH")
	require.Contains(t, pre.Header.Get("Access-Control-Allow-Headers"), "If-Match")
}

// TestServedEndpointsShareOneRateBudget checks, on the served binary, that
// /graphql and /api draw on one budget per caller.
func TestServedEndpointsShareOneRateBudget(t *testing.T) {
	s := e2eStart(t, "--rate-limit", "0.01", "--rate-burst", "2")
	res, _ := s.post(t, s.token, `{ __typename }`, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	res, _ = s.restDo(t, http.MethodGet, s.base+"/api/customers", "", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	res, doc := s.restDo(t, http.MethodGet, s.base+"/api/customers", "", nil)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode, "%v", doc)
	require.Equal(t, "RATE_LIMITED", doc["errors"].([]any)[0].(map[string]any)["code"])
	res, _ = s.post(t, s.token, `{ __typename }`, nil)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
}
