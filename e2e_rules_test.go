package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// The session and money rules, through the served binary with real tokens
// from /oauth/token: a password reset ends earlier sessions (access and
// refresh tokens), a customer cannot touch money fields, and naming another
// customer answers like a missing one.
func TestServedSessionsAndMoneyRules(t *testing.T) {
	dbURL := testenv.DatabaseURL(t)
	s := e2eStartURL(t, dbURL)
	out := e2eCLI(t, dbURL, "credentials", "create", "--kind", "sales_channel", "--mode", "test", "--json")
	var sc struct {
		ClientID string `json:"client_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &sc))
	s.mustPost(t, `mutation { createCustomer(input: {email: "ann@example.com", password: "correct horse"}) { customer { id } } }`, nil)
	bob := s.createCustomer(t, "bob@example.com")

	login := url.Values{"grant_type": {"password"}, "client_id": {sc.ClientID}, "username": {"ann@example.com"}, "password": {"correct horse"}}
	res, err := http.PostForm(s.base+"/oauth/token", login)
	require.NoError(t, err)
	var tok struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&tok))
	res.Body.Close()
	require.NotEmpty(t, tok.Refresh)

	// Money: a customer may not set it; someone else's customerID is
	// NOT_FOUND, exactly as a missing one.
	_, r := s.post(t, tok.Access, `mutation { createOrder(input: {currencyCode: "EUR", totalAmountCents: 1}) { order { id } userErrors { code } } }`, nil)
	require.Equal(t, []string{"FORBIDDEN"}, srvErrorCodes(r))
	for _, other := range []string{bob, "cus_01JD3Q0000000000000000000"} {
		_, r = s.post(t, tok.Access, `mutation($c: ID!) { createCustomerSubscription(input: {customerID: $c, reference: "news"}) { customerSubscription { id } userErrors { code field } } }`,
			map[string]any{"c": other})
		require.Nil(t, r["errors"], "%v", r)
		ue := r["data"].(map[string]any)["createCustomerSubscription"].(map[string]any)["userErrors"].([]any)
		require.Len(t, ue, 1, "%v", r)
		require.Equal(t, "NOT_FOUND", ue[0].(map[string]any)["code"])
	}
	_, r = s.post(t, tok.Access, `{ viewer { id } }`, nil)
	require.Nil(t, r["errors"], "%v", r)

	// A password reset ends every earlier session.
	d := s.mustPost(t, `mutation { createCustomerPasswordReset(customerEmail: "ann@example.com") { customerPasswordReset { id } resetPasswordToken } }`, nil)
	p := d["createCustomerPasswordReset"].(map[string]any)
	resetID := p["customerPasswordReset"].(map[string]any)["id"].(string)
	s.mustPost(t, `mutation($id: ID!, $t: String!) { resetCustomerPassword(id: $id, token: $t, password: "battery staple") { userErrors { code } } }`,
		map[string]any{"id": resetID, "t": p["resetPasswordToken"]})

	res2, r := s.post(t, tok.Access, `{ viewer { id } }`, nil)
	require.Equal(t, http.StatusUnauthorized, res2.StatusCode)
	require.Equal(t, []string{"UNAUTHENTICATED"}, srvErrorCodes(r))
	res, err = http.PostForm(s.base+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.Refresh}})
	require.NoError(t, err)
	res.Body.Close()
	require.NotEqual(t, http.StatusOK, res.StatusCode, "the old refresh token is dead too")
	login.Set("password", "battery staple")
	res, err = http.PostForm(s.base+"/oauth/token", login)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "the new password opens a new session")
}

// The same keyed createCustomer fired from many clients at once through the
// served binary runs once; every client gets the same answer.
func TestServedIdempotencyKeyRunsOnce(t *testing.T) {
	s := e2eStart(t)
	const n = 12
	body := `{"query":"mutation { createCustomer(input: {email: \"keyed@example.com\"}) { customer { id } userErrors { code } } }"}`
	type answer struct {
		status   int
		body     string
		replayed string
	}
	answers := make(chan answer, n)
	for range n {
		go func() {
			req, _ := http.NewRequest(http.MethodPost, s.base+"/graphql", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+s.token)
			req.Header.Set("Idempotency-Key", "01JD-create-keyed")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				answers <- answer{status: -1, body: err.Error()}
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			answers <- answer{res.StatusCode, string(b), res.Header.Get("Idempotent-Replayed")}
		}()
	}
	var first answer
	originals := 0
	for i := range n {
		a := <-answers
		require.Equal(t, http.StatusOK, a.status, a.body)
		if i == 0 {
			first = a
		}
		require.Equal(t, first.body, a.body)
		if a.replayed == "" {
			originals++
		}
	}
	require.Equal(t, 1, originals)
	d := s.mustPost(t, `{ customers(first: 5) { totalCount } }`, nil)
	require.EqualValues(t, 1, d["customers"].(map[string]any)["totalCount"])
}

// Optimistic concurrency through the served binary: a change based on the
// record's version applies and moves it on; the same change sent again with
// the old version answers CONFLICT and changes nothing.
func TestServedOptimisticConcurrency(t *testing.T) {
	s := e2eStart(t)
	id := s.createCustomer(t, "versioned@example.com")
	const update = `mutation($id: ID!, $v: Int, $ref: String) {
		updateCustomer(id: $id, expectedVersion: $v, input: {reference: $ref}) { customer { reference version } userErrors { code field } } }`
	payload := func(d map[string]any) map[string]any { return d["updateCustomer"].(map[string]any) }

	p := payload(s.mustPost(t, update, map[string]any{"id": id, "v": 1, "ref": "first"}))
	require.Empty(t, p["userErrors"])
	require.Equal(t, map[string]any{"reference": "first", "version": float64(2)}, p["customer"])

	p = payload(s.mustPost(t, update, map[string]any{"id": id, "v": 1, "ref": "lost update"}))
	require.Nil(t, p["customer"])
	require.Equal(t, []any{map[string]any{"code": "CONFLICT", "field": []any{"expectedVersion"}}}, p["userErrors"])

	d := s.mustPost(t, `query($id: ID!) { node(id: $id) { ... on Customer { reference version } } }`, map[string]any{"id": id})
	require.Equal(t, map[string]any{"reference": "first", "version": float64(2)}, d["node"])
}
