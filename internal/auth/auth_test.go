package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clientele/ent"
	"clientele/internal/auth"
	"clientele/internal/metrics"
	"clientele/internal/store"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

// fixture is a migrated SQLite database with a token service, a sales
// channel, an integration and a customer.
type fixture struct {
	url      string
	db       *store.DB
	metrics  *metrics.Registry
	tokens   *auth.Service
	now      time.Time
	channel  *ent.Credential
	admin    *ent.Credential
	customer *ent.Customer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{metrics: metrics.New(), now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	f.url = "sqlite:" + filepath.Join(t.TempDir(), "auth.db")
	db, err := store.Open(f.url, f.metrics.WrapDriver)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	require.NoError(t, db.Migrate(ctx))
	f.db = db
	key, err := auth.SigningKey(ctx, db.Client, "")
	require.NoError(t, err)
	f.tokens = auth.NewService(db.Client, key)
	f.tokens.Now = func() time.Time { return f.now }
	credential := func(kind, role string) *ent.Credential {
		c, err := auth.CreateCredential(ctx, db.Client, kind, role, viewer.Test, "")
		require.NoError(t, err)
		row, err := db.Client.Credential.Get(ctx, c.ID)
		require.NoError(t, err)
		return row
	}
	f.channel, f.admin = credential("sales_channel", ""), credential("integration", "admin")
	f.customer, err = db.Client.Customer.Create().SetEmail("ada@example.com").SetPassword("correct horse battery").
		Save(viewer.SystemContext(ctx, viewer.Test))
	require.NoError(t, err)
	return f
}

func (f *fixture) token(t testing.TB, cr *ent.Credential, owner string) string {
	t.Helper()
	tok, _, err := f.tokens.Issue(cr, owner, "access")
	require.NoError(t, err)
	return tok
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// requireUnauthenticated requires a credential problem, not an outage.
func requireUnauthenticated(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, auth.ErrUnauthenticated)
	require.NotErrorIs(t, err, auth.ErrUnavailable)
}

// requireUnavailable requires an outage, not a credential problem, with a
// message that carries no driver text.
func requireUnavailable(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, auth.ErrUnavailable)
	require.NotErrorIs(t, err, auth.ErrUnauthenticated)
	require.Equal(t, auth.ErrUnavailable.Error(), err.Error())
	var chain interface{ Unwrap() []error }
	require.True(t, errors.As(err, &chain), "%T", err)
	require.Len(t, chain.Unwrap(), 2, "the database's error stays in the chain for the log")
	require.Contains(t, chain.Unwrap()[1].Error(), "closed")
}

func TestAuthenticateCustomerSessionInOneStatement(t *testing.T) {
	f := newFixture(t)
	sys := viewer.SystemContext(context.Background(), viewer.Test)
	tok := f.token(t, f.channel, f.customer.ID)

	before := f.metrics.Statements()
	v, err := f.tokens.Authenticate(bearer(tok))
	require.NoError(t, err)
	require.EqualValues(t, 1, f.metrics.Statements()-before, "a customer token is checked in one statement")
	require.Equal(t, viewer.Customer, v.Kind)
	require.Equal(t, f.customer.ID, v.CustomerID)
	require.Equal(t, f.channel.ID, v.CredentialID)
	require.EqualValues(t, 0, v.SessionEpoch)
	require.True(t, v.ExpiresAt.Equal(f.now.Add(auth.AccessTTL)), "ExpiresAt is the token's expiry: %v", v.ExpiresAt)

	// SQLite: nothing was committed since, so the check is not repeated
	// (cache.go).
	before = f.metrics.Statements()
	require.NoError(t, f.tokens.Recheck(context.Background(), v))
	require.EqualValues(t, 0, f.metrics.Statements()-before, "Recheck of an unchanged session runs no statement")

	// Integration tokens: one statement too, no epoch.
	admin, err := f.tokens.Authenticate(bearer(f.token(t, f.admin, "")))
	require.NoError(t, err)
	require.Equal(t, viewer.Integration, admin.Kind)
	require.EqualValues(t, 0, admin.SessionEpoch)
	require.NoError(t, f.tokens.Recheck(context.Background(), admin))

	// An admin changes the password: the earlier session ends, for
	// Authenticate and for Recheck, and new tokens carry the new epoch.
	_, err = f.db.Client.Customer.UpdateOneID(f.customer.ID).SetPassword("another good password").Save(sys)
	require.NoError(t, err)
	_, err = f.tokens.Authenticate(bearer(tok))
	requireUnauthenticated(t, err)
	requireUnauthenticated(t, f.tokens.Recheck(context.Background(), v))
	fresh, err := f.tokens.Authenticate(bearer(f.token(t, f.channel, f.customer.ID)))
	require.NoError(t, err)
	require.EqualValues(t, 1, fresh.SessionEpoch)
	require.NoError(t, f.tokens.Recheck(context.Background(), admin), "integration tokens are not tied to customers")

	// The token expires: Recheck refuses it without asking the database.
	f.now = fresh.ExpiresAt
	before = f.metrics.Statements()
	requireUnauthenticated(t, f.tokens.Recheck(context.Background(), fresh))
	require.EqualValues(t, 0, f.metrics.Statements()-before)
	f.now = fresh.ExpiresAt.Add(-time.Minute)
	require.NoError(t, f.tokens.Recheck(context.Background(), fresh))

	// The customer is deleted: its tokens stop working.
	require.NoError(t, f.db.Client.Customer.DeleteOneID(f.customer.ID).Exec(sys))
	requireUnauthenticated(t, f.tokens.Recheck(context.Background(), fresh))

	// The credential is revoked: everything of it stops working.
	require.NoError(t, auth.Revoke(context.Background(), f.db.Client, f.admin.ID, f.now))
	requireUnauthenticated(t, f.tokens.Recheck(context.Background(), admin))

	// Viewers that did not come from a token have nothing to recheck.
	require.NoError(t, f.tokens.Recheck(context.Background(), nil))
	require.NoError(t, f.tokens.Recheck(context.Background(), &viewer.Viewer{Mode: viewer.Test, Kind: viewer.System, Role: viewer.Admin}))
}

// A customer token of one mode does not match a customer of the other.
func TestAuthenticateCustomerOfOtherModeIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c, err := auth.CreateCredential(ctx, f.db.Client, "sales_channel", "", viewer.Live, "")
	require.NoError(t, err)
	live, err := f.db.Client.Credential.Get(ctx, c.ID)
	require.NoError(t, err)
	_, err = f.tokens.Authenticate(bearer(f.token(t, live, f.customer.ID)))
	requireUnauthenticated(t, err)
}

// With the database down, Authenticate and Recheck report an outage, never
// a revoked credential, and the token endpoint answers 503 with
// Retry-After instead of invalid_client or invalid_grant.
func TestDatabaseFailureIsNotBadCredentials(t *testing.T) {
	f := newFixture(t)
	customerTok := f.token(t, f.channel, f.customer.ID)
	adminTok := f.token(t, f.admin, "")
	v, err := f.tokens.Authenticate(bearer(customerTok))
	require.NoError(t, err)
	refresh, _, err := f.tokens.Issue(f.channel, f.customer.ID, "refresh")
	require.NoError(t, err)

	require.NoError(t, f.db.Client.Close())

	for _, tok := range []string{customerTok, adminTok} {
		_, err := f.tokens.Authenticate(bearer(tok))
		requireUnavailable(t, err)
	}
	requireUnavailable(t, f.tokens.Recheck(context.Background(), v))

	// A bad token is still a bad token: it is refused before any lookup.
	_, err = f.tokens.Authenticate(bearer("garbage"))
	requireUnauthenticated(t, err)

	for name, form := range map[string]url.Values{
		"client_credentials": {"grant_type": {"client_credentials"}, "client_id": {f.channel.ClientID}},
		"password":           {"grant_type": {"password"}, "client_id": {f.channel.ClientID}, "username": {"ada@example.com"}, "password": {"correct horse battery"}},
		"refresh_token":      {"grant_type": {"refresh_token"}, "refresh_token": {refresh}},
	} {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			f.tokens.TokenHandler().ServeHTTP(rec, req)
			require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
			require.NotEmpty(t, rec.Header().Get("Retry-After"))
			require.Contains(t, rec.Body.String(), `"temporarily_unavailable"`)
			require.NotContains(t, rec.Body.String(), "access_token")
			require.NotContains(t, strings.ToLower(rec.Body.String()), "sql")
		})
	}
}

// BenchmarkAuthenticate is the per-request check of an integration token
// and of a customer token (SQLite, or Postgres with TEST_DATABASE_URL).
func BenchmarkAuthenticate(b *testing.B) {
	f := newFixture(b)
	if os.Getenv("AUTH_BENCH_NO_CACHE") != "" {
		auth.WithoutCheckCache(f.tokens)
	}
	if os.Getenv("AUTH_BENCH_ENT") != "" {
		auth.WithoutLookupSQL(f.tokens)
	}
	for name, owner := range map[string]string{"integration": "", "customer": f.customer.ID} {
		cr := f.admin
		if owner != "" {
			cr = f.channel
		}
		tok, _, err := f.tokens.Issue(cr, owner, "access")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			r := bearer(tok)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.tokens.Authenticate(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
