package store_test

// The credential checks cached on PostgreSQL (listen.go, auth's cache.go):
// a change committed by another connection or process refuses the token
// as soon as the notification arrives; while the listener is down every
// check asks the database; customer tokens are never cached.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"clientele/ent"
	"clientele/internal/auth"
	"clientele/internal/metrics"
	"clientele/internal/store"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

type pgFixture struct {
	url      string
	db       *store.DB // the server's, counting its statements
	other    *store.DB // another pool: other connections
	metrics  *metrics.Registry
	tokens   *auth.Service
	admin    *ent.Credential
	channel  *ent.Credential
	customer *ent.Customer
}

func newPGFixture(t *testing.T) *pgFixture {
	t.Helper()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs TEST_DATABASE_URL (PostgreSQL)")
	}
	ctx := context.Background()
	f := &pgFixture{url: testenv.DatabaseURL(t), metrics: metrics.New()}
	var err error
	f.db, err = store.Open(f.url, f.metrics.WrapDriver)
	require.NoError(t, err)
	t.Cleanup(func() { f.db.Close() })
	require.NoError(t, f.db.Migrate(ctx))
	f.other, err = store.Open(f.url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { f.other.Close() })
	key, err := auth.SigningKey(ctx, f.db.Client, "")
	require.NoError(t, err)
	f.tokens = auth.NewService(f.db.Client, key)
	credential := func(kind, role string) *ent.Credential {
		c, err := auth.CreateCredential(ctx, f.db.Client, kind, role, viewer.Test, "")
		require.NoError(t, err)
		row, err := f.db.Client.Credential.Get(ctx, c.ID)
		require.NoError(t, err)
		return row
	}
	f.admin, f.channel = credential("integration", "admin"), credential("sales_channel", "")
	f.customer, err = f.db.Client.Customer.Create().SetEmail("ada@example.com").SetPassword("correct horse battery").
		Save(viewer.SystemContext(ctx, viewer.Test))
	require.NoError(t, err)
	return f
}

func (f *pgFixture) token(t *testing.T, cr *ent.Credential, owner string) string {
	t.Helper()
	tok, _, err := f.tokens.Issue(cr, owner, "access")
	require.NoError(t, err)
	return tok
}

func (f *pgFixture) authenticate(tok string) error {
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	_, err := f.tokens.Authenticate(r)
	return err
}

// authenticated requires the token to pass and returns the statements the
// check ran.
func (f *pgFixture) authenticated(t *testing.T, tok string) int64 {
	t.Helper()
	before := f.metrics.Statements()
	require.NoError(t, f.authenticate(tok))
	return f.metrics.Statements() - before
}

func requireRefused(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, auth.ErrUnauthenticated)
	require.NotErrorIs(t, err, auth.ErrUnavailable)
}

// waitListening waits for the credentials listener to listen (it starts
// on the first check).
func (f *pgFixture) waitListening(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, _, err := f.db.CredentialVersion(context.Background())
		return err == nil
	}, 5*time.Second, 5*time.Millisecond, "the listener never listened")
}

// refusedWithin polls until the token is refused and returns how long that
// took; it fails past the deadline.
func (f *pgFixture) refusedWithin(t *testing.T, tok string, deadline time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := f.authenticate(tok)
		if err != nil {
			requireRefused(t, err)
			return time.Since(start)
		}
		if time.Since(start) > deadline {
			t.Fatalf("the token still passes %v after the change committed", deadline)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPostgresCachedCheckRefusedAfterRevocationElsewhere(t *testing.T) {
	f := newPGFixture(t)
	adminTok, channelTok := f.token(t, f.admin, ""), f.token(t, f.channel, "")
	require.NoError(t, f.authenticate(adminTok)) // starts the listener
	f.waitListening(t)

	for _, tok := range []string{adminTok, channelTok} {
		require.EqualValues(t, 1, f.authenticated(t, tok), "the first check looks up")
		for range 5 {
			require.EqualValues(t, 0, f.authenticated(t, tok), "nothing changed: cached")
		}
	}

	// Revoked by another process (`clientele credentials revoke`).
	cmd := exec.Command(os.Args[0], "-test.run=^TestRevokeInChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "STORE_CHILD_URL="+f.url, "STORE_CHILD_REVOKE="+f.admin.ID)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "revoked in child")
	took := f.refusedWithin(t, adminTok, 2*time.Second)
	t.Logf("refused %v after the revoking process exited", took)

	// By hand in SQL, from another connection: the trigger notifies too.
	// The revocation above moved the epoch on: one lookup, then cached.
	require.EqualValues(t, 1, f.authenticated(t, channelTok))
	require.EqualValues(t, 0, f.authenticated(t, channelTok))
	_, err = f.other.SQL.Exec(`UPDATE credentials SET revoked_at = now() WHERE id = $1`, f.channel.ID)
	require.NoError(t, err)
	took = f.refusedWithin(t, channelTok, 2*time.Second)
	t.Logf("refused %v after the UPDATE committed", took)
}

// TestRevokeInChild is the child process of
// TestPostgresCachedCheckRefusedAfterRevocationElsewhere.
func TestRevokeInChild(t *testing.T) {
	url := os.Getenv("STORE_CHILD_URL")
	if url == "" {
		t.Skip("runs as the child of TestPostgresCachedCheckRefusedAfterRevocationElsewhere")
	}
	db, err := store.Open(url, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, auth.Revoke(context.Background(), db.Client, os.Getenv("STORE_CHILD_REVOKE"), time.Now()))
	fmt.Println("revoked in child")
}

func TestPostgresListenerOutageFallsBackToTheDatabase(t *testing.T) {
	f := newPGFixture(t)
	ctx := context.Background()
	adminTok, channelTok := f.token(t, f.admin, ""), f.token(t, f.channel, "")
	require.NoError(t, f.authenticate(adminTok))
	f.waitListening(t)
	for _, tok := range []string{adminTok, channelTok} {
		require.EqualValues(t, 1, f.authenticated(t, tok))
		require.EqualValues(t, 0, f.authenticated(t, tok))
	}

	// Kill the listener's connection, and keep it from reconnecting.
	release := store.HoldListener(f.db)
	defer func() {
		if release != nil {
			release()
		}
	}()
	pid := store.ListenerPID(f.db)
	require.NotZero(t, pid)
	var killed bool
	require.NoError(t, f.other.SQL.QueryRow(`SELECT pg_terminate_backend($1)`, int(pid)).Scan(&killed))
	require.True(t, killed)
	require.Eventually(t, func() bool {
		_, _, err := f.db.CredentialVersion(ctx)
		return errors.Is(err, store.ErrNotListening)
	}, 2*time.Second, time.Millisecond, "the listener did not notice")

	// Every check asks the database meanwhile, and sees a revocation
	// at once.
	for range 3 {
		require.EqualValues(t, 1, f.authenticated(t, adminTok), "not listening: looked up")
	}
	require.NoError(t, auth.Revoke(ctx, f.other.Client, f.admin.ID, time.Now()))
	requireRefused(t, f.authenticate(adminTok))

	// Reconnected: what was cached before the outage is looked up once
	// (the epoch moved on), then cached again.
	release()
	release = nil
	f.waitListening(t)
	require.NotEqual(t, pid, store.ListenerPID(f.db), "a new connection")
	require.EqualValues(t, 1, f.authenticated(t, channelTok))
	require.EqualValues(t, 0, f.authenticated(t, channelTok))
	requireRefused(t, f.authenticate(adminTok))
}

func TestPostgresCustomerTokensAreNotCached(t *testing.T) {
	f := newPGFixture(t)
	sys := viewer.SystemContext(context.Background(), viewer.Test)
	tok := f.token(t, f.channel, f.customer.ID)
	require.NoError(t, f.authenticate(tok))
	f.waitListening(t)
	for range 3 {
		require.EqualValues(t, 1, f.authenticated(t, tok), "a customer token is always looked up")
	}

	// A password change elsewhere ends the session on the next request.
	_, err := f.other.Client.Customer.UpdateOneID(f.customer.ID).SetPassword("another good password").Save(sys)
	require.NoError(t, err)
	requireRefused(t, f.authenticate(tok))

	// So does deleting the customer.
	fresh := f.token(t, f.channel, f.customer.ID)
	require.EqualValues(t, 1, f.authenticated(t, fresh))
	require.NoError(t, f.other.Client.Customer.DeleteOneID(f.customer.ID).Exec(sys))
	requireRefused(t, f.authenticate(fresh))
}

func TestPostgresCredentialTriggerMigratesIdempotently(t *testing.T) {
	f := newPGFixture(t)
	require.NoError(t, f.db.Migrate(context.Background()))
	require.NoError(t, f.other.Migrate(context.Background()))
	var n int
	require.NoError(t, f.db.SQL.QueryRow(`SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass('credentials') AND NOT tgisinternal`).Scan(&n))
	require.Equal(t, 1, n)
}

func TestPostgresClosedDatabaseDoesNotAnswerFromTheCache(t *testing.T) {
	f := newPGFixture(t)
	require.NoError(t, f.authenticate(f.token(t, f.admin, "")))
	f.waitListening(t)
	pid := store.ListenerPID(f.db)
	require.NoError(t, f.db.Close())
	_, _, err := f.db.CredentialVersion(context.Background())
	require.ErrorIs(t, err, store.ErrNotListening)
	// Its connection is gone, not left behind.
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, f.other.SQL.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, int(pid)).Scan(&n))
		return n == 0
	}, 2*time.Second, 5*time.Millisecond)
}

// TestPostgresListenerStaysHealthyWhenIdle: with no notifications, the
// heartbeat keeps the listener trusted past listenStale (3 s), on the same
// connection.
func TestPostgresListenerStaysHealthyWhenIdle(t *testing.T) {
	f := newPGFixture(t)
	tok := f.token(t, f.admin, "")
	require.NoError(t, f.authenticate(tok))
	f.waitListening(t)
	pid := store.ListenerPID(f.db)
	require.EqualValues(t, 1, f.authenticated(t, tok))
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		_, _, err := f.db.CredentialVersion(context.Background())
		require.NoError(t, err)
	}
	require.Equal(t, pid, store.ListenerPID(f.db))
	require.EqualValues(t, 0, f.authenticated(t, tok))
}
