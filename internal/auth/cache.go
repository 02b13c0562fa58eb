package auth

import (
	"context"
	"sync"

	"clientele/internal/viewer"
)

// Cached credential checks.
//
// Authenticate and Recheck look the credential (and, for a customer token,
// the customer's session) up on every request: the database decides, so a
// revocation, a password change or a deleted customer takes effect on the
// next request, whichever process made it. On SQLite, package store tells
// cheaply whether that lookup can have changed (store.CredentialVersion):
// the data version moves on with every commit of any other connection or
// process, the credential epoch with every change to a credential (a
// trigger, in the changing transaction). A found session is kept with the
// versions read before its lookup, and reused while
//
//   - for an integration or sales-channel token: the credential epoch is
//     the same (only a change to a credential can end such a session);
//   - for a customer token: the data version is the same (nothing at all
//     was committed since: the customer, its password and the credential
//     are as they were).
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
	case key.owner != "" && e.ver == ver:
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
