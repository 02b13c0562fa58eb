package auth

import (
	"context"
	"sync"

	"clientele/internal/store"
	"clientele/internal/viewer"
)

// Cached credential checks.
//
// Authenticate and Recheck look the credential (and, for a customer token,
// the customer's session) up on every request: the database decides, so a
// revocation, a password change or a deleted customer takes effect on the
// next request, whichever process made it. Package store tells cheaply
// whether that lookup can have changed (store.CredentialVersion): the
// credential epoch moves on with every change to a credential, and on
// SQLite the data version with every commit of any other connection or
// process. A found session is kept with the versions read before its
// lookup, and reused while
//
//   - for an integration or sales-channel token: the credential epoch is
//     the same (only a change to a credential can end such a session);
//   - for a customer token (SQLite only): the data version is the same
//     (nothing at all was committed since: the customer, its password and
//     the credential are as they were).
//
// SQLite: both numbers are read from the database (a trigger moves the
// epoch on in the changing transaction), so a change committed before a
// request began is always seen by it.
//
// PostgreSQL: there is no data version (store.NoDataVersion), so customer
// tokens are never cached: every request looks them up. The epoch is kept
// in memory by a connection LISTENing for the NOTIFY that a trigger on the
// credentials table sends at commit. A revocation committed by any process
// is therefore refused from the moment this process receives its
// notification (typically a millisecond or less after the commit); a
// request whose check was cached and that is authenticated in between may
// still pass. While the listener is not listening (starting, reconnecting
// after the connection broke, or silent for more than 3 s: it makes a
// round trip every second when idle) CredentialVersion fails and every
// check is looked up; on reconnection the epoch moves on, so nothing
// cached before the outage is reused. So the window is the notification's
// delivery time, or at worst 3 s if the listener's link stalls without
// breaking (the notification is lost and the heartbeat is what notices).
//
// Failed lookups are never cached. Anything that fails on the way (the
// versions cannot be read) falls back to the lookup.

// versionSource is what store.DB offers (and tests fake).
type versionSource interface {
	CredentialVersion(ctx context.Context) (data, epoch int64, err error)
}

// checkVersion is the database's versions at one moment.
type checkVersion struct{ data, epoch int64 }

type checkKey struct {
	credential, owner string
	mode              viewer.Mode
}

type checkEntry struct {
	ver checkVersion
	ss  *session
}

// maxCachedChecks bounds the cache: past it, it starts again empty.
const maxCachedChecks = 10000

type checkCache struct {
	versions versionSource
	mu       sync.RWMutex
	entries  map[checkKey]checkEntry
}

func (c *checkCache) version(ctx context.Context) (checkVersion, error) {
	d, e, err := c.versions.CredentialVersion(ctx)
	return checkVersion{d, e}, err
}

// cacheable reports whether the check of key may be cached at ver: a
// customer session only where there is a data version (not PostgreSQL).
func (c *checkCache) cacheable(key checkKey, ver checkVersion) bool {
	return key.owner == "" || ver.data != store.NoDataVersion
}

// get returns the cached session of key if it still holds at ver.
func (c *checkCache) get(key checkKey, ver checkVersion) *session {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	switch {
	case !ok:
		return nil
	case key.owner == "" && e.ver.epoch == ver.epoch:
		return e.ss
	case key.owner != "" && e.ver == ver && c.cacheable(key, ver):
		return e.ss
	}
	return nil
}

func (c *checkCache) put(key checkKey, ver checkVersion, ss *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedChecks {
		clear(c.entries)
	}
	c.entries[key] = checkEntry{ver: ver, ss: ss}
}

// tokenCache holds the claims of access tokens whose signature, issuer and
// shape checked, by the token's text; expiry is checked on every use.
type tokenCache struct {
	mu     sync.RWMutex
	claims map[string]*Claims
}

// maxCachedTokens bounds the token cache: past it, it starts again empty.
const maxCachedTokens = 10000

func (t *tokenCache) get(token string) *Claims {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.claims[token]
}

func (t *tokenCache) put(token string, c *Claims) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.claims == nil || len(t.claims) >= maxCachedTokens {
		t.claims = map[string]*Claims{}
	}
	t.claims[token] = c
}
