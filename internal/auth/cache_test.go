package auth_test

// The cached credential checks (cache.go) must never outlive what they
// cache: a revocation, a password change or a deleted customer committed
// by another connection or another process refuses the very next request.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"clientele/internal/auth"
	"clientele/internal/store"
	"clientele/internal/viewer"

	"github.com/stretchr/testify/require"
)

// authenticated requires the token to pass and returns the statements the
// check ran.
func (f *fixture) authenticated(t *testing.T, tok string) int64 {
	t.Helper()
	before := f.metrics.Statements()
	_, err := f.tokens.Authenticate(bearer(tok))
	require.NoError(t, err)
	return f.metrics.Statements() - before
}

func TestCachedChecksSeeOtherConnections(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, err := store.Open(f.url, nil) // another pool: other connections
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	otherSys := viewer.SystemContext(ctx, viewer.Test)

	adminTok := f.token(t, f.admin, "")
	channelTok := f.token(t, f.channel, "")
	customerTok := f.token(t, f.channel, f.customer.ID)
	for _, tok := range []string{adminTok, channelTok, customerTok} {
		require.EqualValues(t, 1, f.authenticated(t, tok), "the first check looks up")
		require.EqualValues(t, 0, f.authenticated(t, tok), "nothing changed: cached")
	}

	// A commit elsewhere that changes no credential: credential tokens
	// stay cached, customer sessions are looked up again.
	_, err = other.Client.Customer.Create().SetEmail("bystander@example.com").Save(otherSys)
	require.NoError(t, err)
	require.EqualValues(t, 0, f.authenticated(t, adminTok))
	require.EqualValues(t, 1, f.authenticated(t, customerTok))
	require.EqualValues(t, 0, f.authenticated(t, customerTok))

	// A password change elsewhere ends the customer's session at once.
	_, err = other.Client.Customer.UpdateOneID(f.customer.ID).SetPassword("another good password").Save(otherSys)
	require.NoError(t, err)
	_, err = f.tokens.Authenticate(bearer(customerTok))
	requireUnauthenticated(t, err)
	// A new token carries the new epoch: the lookup that refused the old
	// one is current and holds for it.
	fresh := f.token(t, f.channel, f.customer.ID)
	require.EqualValues(t, 0, f.authenticated(t, fresh))
	// So does deleting the customer.
	require.NoError(t, other.Client.Customer.DeleteOneID(f.customer.ID).Exec(otherSys))
	_, err = f.tokens.Authenticate(bearer(fresh))
	requireUnauthenticated(t, err)

	// A revocation elsewhere refuses the next request.
	require.NoError(t, auth.Revoke(ctx, other.Client, f.admin.ID, f.now))
	_, err = f.tokens.Authenticate(bearer(adminTok))
	requireUnauthenticated(t, err)
	// Even one made by hand in SQL (the credentials trigger). The
	// revocation above moved the epoch on: one lookup, then cached.
	require.EqualValues(t, 1, f.authenticated(t, channelTok))
	require.EqualValues(t, 0, f.authenticated(t, channelTok))
	_, err = other.SQL.Exec(`UPDATE credentials SET revoked_at = ? WHERE id = ?`, f.now, f.channel.ID)
	require.NoError(t, err)
	_, err = f.tokens.Authenticate(bearer(channelTok))
	requireUnauthenticated(t, err)
}

// TestCachedChecksSeeOtherProcesses revokes from a child process (this
// test binary, running revokeInChild) while the parent's check is cached.
func TestCachedChecksSeeOtherProcesses(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, f.admin, "")
	require.EqualValues(t, 1, f.authenticated(t, tok))
	require.EqualValues(t, 0, f.authenticated(t, tok))

	cmd := exec.Command(os.Args[0], "-test.run=^TestRevokeInChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "AUTH_CHILD_URL="+f.url, "AUTH_CHILD_REVOKE="+f.admin.ID)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "revoked in child")

	_, err = f.tokens.Authenticate(bearer(tok))
	requireUnauthenticated(t, err)
}

// TestRevokeInChild is the child process of TestCachedChecksSeeOtherProcesses.
func TestRevokeInChild(t *testing.T) {
	url := os.Getenv("AUTH_CHILD_URL")
	if url == "" {
		t.Skip("runs as the child of TestCachedChecksSeeOtherProcesses")
	}
	db, err := store.Open(url, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, auth.Revoke(context.Background(), db.Client, os.Getenv("AUTH_CHILD_REVOKE"), time.Now()))
	fmt.Println("revoked in child")
}
