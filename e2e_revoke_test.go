package main

import (
	"net/http"
	"net/url"
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// A revocation by `clientele credentials revoke` (its own database
// connection, as from another process) refuses the very next request of the
// served token, although the server caches credential checks (SQLite,
// internal/auth/cache.go); likewise a credential revoked while its checks
// were cached.
func TestServedRevocationRefusesTheNextRequest(t *testing.T) {
	dbURL := testenv.DatabaseURL(t)
	s := e2eStartURL(t, dbURL)
	m := clientIDLine.FindStringSubmatch(s.stdout.String())
	require.Len(t, m, 3)
	tok := s.oauthToken(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {m[1]}, "client_secret": {m[2]}})
	const q = `{ customers(first: 1) { totalCount } }`
	for range 3 { // checked, then cached
		res, out := s.post(t, tok, q, nil)
		require.Equal(t, http.StatusOK, res.StatusCode, "%v", out)
	}
	e2eCLI(t, dbURL, "credentials", "revoke", m[1])
	res, out := s.post(t, tok, q, nil)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode, "%v", out)
}
