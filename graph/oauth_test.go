package graph_test

// POST /oauth/token (docs/domain.md, "Access"): the client_credentials,
// password and refresh_token grants, their refusals, and the brute-force
// limit on passwords. Requests go through the environment's mux, as a client
// would send them.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"clientele/internal/auth"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

// oaResponse is a decoded /oauth/token response.
type oaResponse struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (r *oaResponse) str(key string) string {
	s, _ := r.Body[key].(string)
	return s
}

// oaRequest describes one token request.
type oaRequest struct {
	json       bool   // send a JSON body instead of a form
	remoteAddr string // the client's address; default httptest's
	basic      [2]string
	params     map[string]string
}

// oaToken posts a token request through the environment's mux.
func oaToken(t testing.TB, e *testenv.Env, in oaRequest) *oaResponse {
	t.Helper()
	var req *http.Request
	if in.json {
		b, err := json.Marshal(in.params)
		require.NoError(t, err)
		req = httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
	} else {
		form := url.Values{}
		for k, v := range in.params {
			form.Set(k, v)
		}
		req = httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if in.basic[0] != "" {
		req.SetBasicAuth(in.basic[0], in.basic[1])
	}
	if in.remoteAddr != "" {
		req.RemoteAddr = in.remoteAddr
	}
	return oaServe(t, e, req)
}

func oaServe(t testing.TB, e *testenv.Env, req *http.Request) *oaResponse {
	t.Helper()
	rec := httptest.NewRecorder()
	e.Mux.ServeHTTP(rec, req)
	res := &oaResponse{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.String()}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res.Body), "not JSON (%d): %s", rec.Code, rec.Body.String())
	return res
}

// oaRequireToken requires a successful token response and returns it.
func oaRequireToken(t testing.TB, r *oaResponse) *oaResponse {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, r.Raw)
	require.NotEmpty(t, r.str("access_token"), r.Raw)
	require.Equal(t, "bearer", strings.ToLower(r.str("token_type")), r.Raw)
	require.EqualValues(t, auth.AccessTTL.Seconds(), r.Body["expires_in"], r.Raw)
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	return r
}

// oaRequireError requires an OAuth error response with the given status and
// error code, and no token.
func oaRequireError(t testing.TB, r *oaResponse, status int, code string) {
	t.Helper()
	require.Equal(t, status, r.Status, r.Raw)
	require.Equal(t, code, r.str("error"), r.Raw)
	require.NotContains(t, r.Body, "access_token", r.Raw)
	require.NotContains(t, r.Body, "refresh_token", r.Raw)
}

// oaGraphQL runs a GraphQL request through the mux with a bearer token.
func oaGraphQL(t testing.TB, e *testenv.Env, token, query string) *testenv.Response {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": query})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	e.Mux.ServeHTTP(rec, req)
	res := &testenv.Response{Status: rec.Code, Raw: rec.Body.String()}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), res), rec.Body.String())
	return res
}

// oaCustomer creates a customer with a password and returns its ID.
func oaCustomer(t testing.TB, e *testenv.Env, email, password string) string {
	t.Helper()
	b := e.Ent().Customer.Create().SetEmail(email)
	if password != "" {
		b.SetPassword(password)
	}
	c, err := b.Save(e.Context())
	require.NoError(t, err)
	return c.ID
}

func TestOAuthClientCredentialsIntegration(t *testing.T) {
	e := acNewEnv(t)
	admin := e.Credential(t, "integration", "admin", viewer.Test)
	params := map[string]string{"grant_type": "client_credentials", "client_id": admin.ClientID, "client_secret": admin.ClientSecret}
	for _, tc := range []struct {
		name string
		req  oaRequest
	}{
		{"json body", oaRequest{json: true, params: params}},
		{"form body", oaRequest{params: params}},
		{"basic auth", oaRequest{basic: [2]string{admin.ClientID, admin.ClientSecret}, params: map[string]string{"grant_type": "client_credentials"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := oaRequireToken(t, oaToken(t, e, tc.req))
			require.Empty(t, r.str("refresh_token"), "client_credentials gives no refresh token: %s", r.Raw)
			require.Empty(t, r.str("owner_id"), r.Raw)
			g := oaGraphQL(t, e, r.str("access_token"), `mutation { createCustomer(input: {email: "`+acEmail("cc")+`"}) { customer { id mode } userErrors { code } } }`)
			require.Empty(t, g.Errors, g.Raw)
			require.Equal(t, "TEST", g.Str("createCustomer.customer.mode"), g.Raw)
		})
	}

	t.Run("the token carries role and mode", func(t *testing.T) {
		ro := e.Credential(t, "integration", "read_only", viewer.Test)
		r := oaRequireToken(t, oaToken(t, e, oaRequest{params: map[string]string{"grant_type": "client_credentials", "client_id": ro.ClientID, "client_secret": ro.ClientSecret}}))
		g := oaGraphQL(t, e, r.str("access_token"), `mutation { createCustomer(input: {email: "ro@example.com"}) { customer { id } } }`)
		require.Equal(t, []string{"FORBIDDEN"}, g.ErrorCodes(), g.Raw)
		g = oaGraphQL(t, e, r.str("access_token"), `{ customers { totalCount } }`)
		require.Empty(t, g.Errors, g.Raw)
		require.Positive(t, g.Int("customers.totalCount"), g.Raw)

		live := e.Credential(t, "integration", "admin", viewer.Live)
		r = oaRequireToken(t, oaToken(t, e, oaRequest{params: map[string]string{"grant_type": "client_credentials", "client_id": live.ClientID, "client_secret": live.ClientSecret}}))
		g = oaGraphQL(t, e, r.str("access_token"), `{ customers { totalCount } }`)
		require.Empty(t, g.Errors, g.Raw)
		require.Zero(t, g.Int("customers.totalCount"), "a live token sees test customers: %s", g.Raw)
	})
}

func TestOAuthClientCredentialsRefusals(t *testing.T) {
	e := acNewEnv(t)
	admin := e.Credential(t, "integration", "admin", viewer.Test)
	revoked := e.Credential(t, "integration", "admin", viewer.Test)
	require.NoError(t, auth.Revoke(context.Background(), e.Ent(), revoked.ID, e.Now))
	channel := e.Credential(t, "sales_channel", "", viewer.Test)
	require.NoError(t, auth.Revoke(context.Background(), e.Ent(), channel.ID, e.Now))
	cc := func(id, secret string) map[string]string {
		return map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}
	}
	for _, tc := range []struct {
		name string
		req  oaRequest
	}{
		{"wrong secret, json", oaRequest{json: true, params: cc(admin.ClientID, admin.ClientSecret+"x")}},
		{"wrong secret, form", oaRequest{params: cc(admin.ClientID, "nope")}},
		{"wrong secret, basic auth", oaRequest{basic: [2]string{admin.ClientID, "nope"}, params: map[string]string{"grant_type": "client_credentials"}}},
		{"no secret", oaRequest{params: map[string]string{"grant_type": "client_credentials", "client_id": admin.ClientID}}},
		{"another credential's secret", oaRequest{params: cc(admin.ClientID, revoked.ClientSecret)}},
		{"unknown client", oaRequest{params: cc("no-such-client", admin.ClientSecret)}},
		{"no client", oaRequest{params: map[string]string{"grant_type": "client_credentials"}}},
		{"revoked integration", oaRequest{params: cc(revoked.ClientID, revoked.ClientSecret)}},
		{"revoked sales channel", oaRequest{params: map[string]string{"grant_type": "client_credentials", "client_id": channel.ClientID}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oaRequireError(t, oaToken(t, e, tc.req), http.StatusUnauthorized, "invalid_client")
		})
	}
}

func TestOAuthSalesChannelClientCredentials(t *testing.T) {
	e := acNewEnv(t)
	channel := e.Credential(t, "sales_channel", "", viewer.Test)
	for _, asJSON := range []bool{false, true} {
		r := oaRequireToken(t, oaToken(t, e, oaRequest{json: asJSON, params: map[string]string{"grant_type": "client_credentials", "client_id": channel.ClientID}}))
		require.Empty(t, r.str("owner_id"), r.Raw)
		g := oaGraphQL(t, e, r.str("access_token"), `{ viewer { id } }`)
		require.Empty(t, g.Errors, g.Raw)
		require.Nil(t, g.Get("viewer"), g.Raw)
		g = oaGraphQL(t, e, r.str("access_token"), `mutation { createCustomer(input: {email: "`+acEmail("signup")+`"}) { customer { id } userErrors { code } } }`)
		require.Empty(t, g.Errors, g.Raw)
		require.NotEmpty(t, g.Str("createCustomer.customer.id"), g.Raw)
	}
}

const oaPassword = "correct horse battery staple"

func TestOAuthPasswordGrant(t *testing.T) {
	e := acNewEnv(t)
	channel := e.Credential(t, "sales_channel", "", viewer.Test)
	email := acEmail("login")
	id := oaCustomer(t, e, email, oaPassword)
	guest := acEmail("guest")
	oaCustomer(t, e, guest, "")
	pw := func(username, password string) map[string]string {
		return map[string]string{"grant_type": "password", "client_id": channel.ClientID, "username": username, "password": password}
	}

	for _, tc := range []struct {
		name string
		req  oaRequest
	}{
		{"form body", oaRequest{params: pw(email, oaPassword)}},
		{"json body", oaRequest{json: true, params: pw(email, oaPassword)}},
		{"email in another case, with spaces", oaRequest{params: pw("  "+strings.ToUpper(email)+" ", oaPassword)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := oaRequireToken(t, oaToken(t, e, tc.req))
			require.Equal(t, id, r.str("owner_id"), r.Raw)
			require.Equal(t, "customer", r.str("owner_type"), r.Raw)
			require.NotEmpty(t, r.str("refresh_token"), r.Raw)
			g := oaGraphQL(t, e, r.str("access_token"), `{ viewer { id email } }`)
			require.Empty(t, g.Errors, g.Raw)
			require.Equal(t, id, g.Str("viewer.id"), g.Raw)
		})
	}

	t.Run("wrong password and unknown email look the same", func(t *testing.T) {
		wrong := oaToken(t, e, oaRequest{params: pw(email, oaPassword+"!")})
		oaRequireError(t, wrong, http.StatusUnauthorized, "invalid_grant")
		unknown := oaToken(t, e, oaRequest{params: pw(acEmail("nobody"), oaPassword)})
		oaRequireError(t, unknown, http.StatusUnauthorized, "invalid_grant")
		noPassword := oaToken(t, e, oaRequest{params: pw(guest, oaPassword)})
		oaRequireError(t, noPassword, http.StatusUnauthorized, "invalid_grant")
		require.Equal(t, wrong.Raw, unknown.Raw)
		require.Equal(t, wrong.Raw, noPassword.Raw)
		require.Equal(t, wrong.Header, unknown.Header)
	})

	t.Run("integration client", func(t *testing.T) {
		integ := e.Credential(t, "integration", "admin", viewer.Test)
		in := pw(email, oaPassword)
		in["client_id"], in["client_secret"] = integ.ClientID, integ.ClientSecret
		r := oaToken(t, e, oaRequest{params: in})
		oaRequireError(t, r, http.StatusBadRequest, "unauthorized_client")
	})

	t.Run("sales channel of the other mode", func(t *testing.T) {
		live := e.Credential(t, "sales_channel", "", viewer.Live)
		in := pw(email, oaPassword)
		in["client_id"] = live.ClientID
		oaRequireError(t, oaToken(t, e, oaRequest{params: in}), http.StatusUnauthorized, "invalid_grant")
	})
}

func TestOAuthRefreshTokenGrant(t *testing.T) {
	e := acNewEnv(t)
	channel := e.Credential(t, "sales_channel", "", viewer.Test)
	email := acEmail("refresh")
	id := oaCustomer(t, e, email, oaPassword)
	login := oaRequireToken(t, oaToken(t, e, oaRequest{params: map[string]string{
		"grant_type": "password", "client_id": channel.ClientID, "username": email, "password": oaPassword}}))
	refresh := func(token string) *oaResponse {
		return oaToken(t, e, oaRequest{params: map[string]string{"grant_type": "refresh_token", "refresh_token": token}})
	}

	r := oaRequireToken(t, refresh(login.str("refresh_token")))
	require.Equal(t, id, r.str("owner_id"), r.Raw)
	require.NotEmpty(t, r.str("refresh_token"), r.Raw)
	g := oaGraphQL(t, e, r.str("access_token"), `{ viewer { id } }`)
	require.Empty(t, g.Errors, g.Raw)
	require.Equal(t, id, g.Str("viewer.id"), g.Raw)

	// An access token is not a refresh token, nor is garbage.
	oaRequireError(t, refresh(login.str("access_token")), http.StatusUnauthorized, "invalid_grant")
	oaRequireError(t, refresh("abc"), http.StatusUnauthorized, "invalid_grant")

	// Revoking the credential stops the refresh token and every access
	// token at once.
	require.NoError(t, auth.Revoke(context.Background(), e.Ent(), channel.ID, e.Now))
	oaRequireError(t, refresh(login.str("refresh_token")), http.StatusUnauthorized, "invalid_grant")
	oaRequireError(t, refresh(r.str("refresh_token")), http.StatusUnauthorized, "invalid_grant")
	for _, tok := range []string{login.str("access_token"), r.str("access_token")} {
		g := oaGraphQL(t, e, tok, `{ viewer { id } }`)
		require.Equal(t, http.StatusUnauthorized, g.Status, g.Raw)
		require.Equal(t, []string{"UNAUTHENTICATED"}, g.ErrorCodes(), g.Raw)
	}
}

func TestOAuthRefreshTokenExpiresAndFollowsTheCustomer(t *testing.T) {
	e := acNewEnv(t)
	channel := e.Credential(t, "sales_channel", "", viewer.Test)
	email := acEmail("refresh")
	id := oaCustomer(t, e, email, oaPassword)
	login := func() *oaResponse {
		return oaRequireToken(t, oaToken(t, e, oaRequest{params: map[string]string{
			"grant_type": "password", "client_id": channel.ClientID, "username": email, "password": oaPassword}}))
	}
	refresh := func(token string) *oaResponse {
		return oaToken(t, e, oaRequest{params: map[string]string{"grant_type": "refresh_token", "refresh_token": token}})
	}

	first := login()
	start := e.Now
	e.Now = start.Add(auth.RefreshTTL - time.Hour)
	oaRequireToken(t, refresh(first.str("refresh_token")))
	e.Now = start.Add(auth.RefreshTTL + time.Second)
	oaRequireError(t, refresh(first.str("refresh_token")), http.StatusUnauthorized, "invalid_grant")

	e.Now = start
	second := login()
	require.NoError(t, e.Ent().Customer.DeleteOneID(id).Exec(e.Context()))
	oaRequireError(t, refresh(second.str("refresh_token")), http.StatusUnauthorized, "invalid_grant")
}

func TestOAuthGrantTypeRefusals(t *testing.T) {
	e := acNewEnv(t)
	admin := e.Credential(t, "integration", "admin", viewer.Test)
	for _, tc := range []struct {
		name, grant, code string
	}{
		{"unsupported grant", "authorization_code", "unsupported_grant_type"},
		{"implicit grant", "implicit", "unsupported_grant_type"},
		{"jwt bearer grant", "urn:ietf:params:oauth:grant-type:jwt-bearer", "unsupported_grant_type"},
		{"no grant", "", "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params := map[string]string{"client_id": admin.ClientID, "client_secret": admin.ClientSecret}
			if tc.grant != "" {
				params["grant_type"] = tc.grant
			}
			oaRequireError(t, oaToken(t, e, oaRequest{params: params}), http.StatusBadRequest, tc.code)
		})
	}
	t.Run("malformed json", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(`{"grant_type":`))
		req.Header.Set("Content-Type", "application/json")
		oaRequireError(t, oaServe(t, e, req), http.StatusBadRequest, "invalid_request")
	})
	t.Run("GET", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/oauth/token?grant_type=client_credentials&client_id="+admin.ClientID+"&client_secret="+admin.ClientSecret, nil)
		r := oaServe(t, e, req)
		require.Equal(t, http.StatusMethodNotAllowed, r.Status, r.Raw)
		require.NotContains(t, r.Body, "access_token")
	})
}

// TestOAuthPasswordBruteForce checks that password guessing is limited per
// account: after 10 wrong passwords the account is refused with 429 and
// Retry-After, even with the right password and from another address, until
// the wait is over. The server's clock is moved, never waited for.
func TestOAuthPasswordBruteForce(t *testing.T) {
	e := acNewEnv(t)
	channel := e.Credential(t, "sales_channel", "", viewer.Test)
	victim, bystander := acEmail("victim"), acEmail("bystander")
	oaCustomer(t, e, victim, oaPassword)
	oaCustomer(t, e, bystander, oaPassword)
	attempt := func(email, password, addr string) *oaResponse {
		return oaToken(t, e, oaRequest{remoteAddr: addr, params: map[string]string{
			"grant_type": "password", "client_id": channel.ClientID, "username": email, "password": password}})
	}
	const attacker, victimAddr, otherAddr = "203.0.113.9:4000", "198.51.100.1:5000", "198.51.100.2:5000"

	for i := 1; i <= 10; i++ {
		oaRequireError(t, attempt(victim, "guess-"+strconv.Itoa(i), attacker), http.StatusUnauthorized, "invalid_grant")
	}
	limited := attempt(victim, "guess-11", attacker)
	require.Equal(t, http.StatusTooManyRequests, limited.Status, limited.Raw)
	require.NotContains(t, limited.Body, "access_token")
	retry, err := strconv.Atoi(limited.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After: %q", limited.Header.Get("Retry-After"))
	require.Positive(t, retry)

	// The right password is refused too while the account is limited, from
	// any address.
	for _, addr := range []string{attacker, victimAddr} {
		r := attempt(victim, oaPassword, addr)
		require.Equal(t, http.StatusTooManyRequests, r.Status, r.Raw)
		require.NotContains(t, r.Body, "access_token")
	}
	// Another account from another address is not affected.
	oaRequireToken(t, attempt(bystander, oaPassword, otherAddr))

	// Once the wait is over, the owner gets in.
	e.Now = e.Now.Add(time.Duration(retry) * time.Second)
	oaRequireToken(t, attempt(victim, oaPassword, victimAddr))
}
