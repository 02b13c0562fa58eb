package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"clientele/ent"

	"entgo.io/ent/dialect"
)

// Credential versions (SQLite).
//
// Every authenticated request checks that its credential is still active.
// On SQLite that check can usually skip the database: PRAGMA data_version,
// asked on a connection of its own, changes whenever any other connection
// (of this process or another: `clientele credentials revoke`) commits, and
// costs a few microseconds. While it stands still, nothing changed; when it
// moves, one primary-key read of the credential epoch, which a trigger on
// the credentials table moves on at every update or delete (a revocation,
// by any writer, in the revoking transaction), says whether a credential
// can have changed. Package auth caches its checks on these two numbers.
// PostgreSQL has an epoch only, kept by LISTEN/NOTIFY: see listen.go.

// credentialEpoch is the counter the credentials triggers move on.
const credentialEpoch = "credential_epoch"

// credentialTriggers keep the credential epoch (SQLite): any update or
// delete of a credential moves it on, in the same transaction.
var credentialTriggers = []string{
	`CREATE TRIGGER IF NOT EXISTS credentials_epoch_update AFTER UPDATE ON credentials BEGIN
INSERT INTO counters (id, value) VALUES ('` + credentialEpoch + `', 1) ON CONFLICT (id) DO UPDATE SET value = value + 1;
END`,
	`CREATE TRIGGER IF NOT EXISTS credentials_epoch_delete AFTER DELETE ON credentials BEGIN
INSERT INTO counters (id, value) VALUES ('` + credentialEpoch + `', 1) ON CONFLICT (id) DO UPDATE SET value = value + 1;
END`,
}

// createCredentialTriggers installs the triggers (SQLite; a migration
// that rebuilds the table drops them, so every Migrate runs this), or the
// notifying trigger on PostgreSQL (listen.go).
func (db *DB) createCredentialTriggers(ctx context.Context) error {
	switch db.Dialect {
	case dialect.Postgres:
		return db.createCredentialNotify(ctx)
	case dialect.SQLite:
	default:
		return nil
	}
	for _, q := range credentialTriggers {
		if _, err := db.SQL.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("migrate: credential triggers: %w", err)
		}
	}
	return nil
}

// HasCredentialVersions reports whether CredentialVersion works here
// (SQLite, and PostgreSQL without a data version: see listen.go).
func (db *DB) HasCredentialVersions() bool {
	return db.Dialect == dialect.SQLite || db.Dialect == dialect.Postgres
}

// ErrNoVersions is returned by CredentialVersion on a database that has no
// cheap change detection.
var ErrNoVersions = errors.New("store: no credential versions on this database")

// versions is the dedicated connection behind CredentialVersion.
type versions struct {
	mu      sync.Mutex
	conn    *sql.Conn
	data    int64 // last data_version seen
	epoch   int64 // the credential epoch read at that data_version
	started bool
}

// CredentialVersion returns the database's data version and the
// credential epoch (see above). The data version moves on with every
// commit of another connection; the epoch with every change to a
// credential. On SQLite both are read after every commit that precedes the
// call. On PostgreSQL (listen.go) the data version is NoDataVersion and
// the epoch is the listener's, which moves on when the notification of a
// committed change arrives (milliseconds after the commit); it fails while
// the listener is not listening. An error means the caller must ask the
// database itself.
func (db *DB) CredentialVersion(ctx context.Context) (data, epoch int64, err error) {
	switch db.Dialect {
	case dialect.Postgres:
		l := &db.listen
		if !l.ok() {
			l.ensure()
			return 0, 0, ErrNotListening
		}
		return NoDataVersion, l.epoch.Load(), nil
	case dialect.SQLite:
	default:
		return 0, 0, ErrNoVersions
	}
	// The dedicated connection outlives a closed pool: a closed database
	// must not answer from the cache.
	if err := db.SQL.PingContext(ctx); err != nil {
		return 0, 0, err
	}
	v := &db.versions
	v.mu.Lock()
	defer v.mu.Unlock()
	// Taken on first use, and kept: one more than the pool's readers
	// (Open).
	if v.conn == nil {
		if v.conn, err = db.SQL.Conn(ctx); err != nil {
			v.conn = nil
			return 0, 0, err
		}
		v.started = false
	}
	fail := func(err error) (int64, int64, error) {
		v.conn.Close()
		v.conn = nil
		return 0, 0, err
	}
	var dv int64
	if err := v.conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&dv); err != nil {
		return fail(err)
	}
	if !v.started || dv != v.data {
		// Read the epoch after the data version: a commit in between
		// moves the data version on again, and the next call reads the
		// epoch again.
		var e int64
		err := v.conn.QueryRowContext(ctx, "SELECT value FROM counters WHERE id = '"+credentialEpoch+"'").Scan(&e)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fail(err)
		}
		v.data, v.epoch, v.started = dv, e, true
	}
	return v.data, v.epoch, nil
}

// closeVersions releases the dedicated connection (SQLite) or stops the
// listener (PostgreSQL).
func (db *DB) closeVersions() {
	db.listen.stop()
	db.versions.mu.Lock()
	defer db.versions.mu.Unlock()
	if db.versions.conn != nil {
		db.versions.conn.Close()
		db.versions.conn = nil
	}
}

// opened maps the ent client of every open DB to it, so that packages
// handed only the client (auth) find the database's version source.
var opened sync.Map // *ent.Client -> *DB

// Of returns the open DB whose client c is, or nil.
func Of(c *ent.Client) *DB {
	if db, ok := opened.Load(c); ok {
		return db.(*DB)
	}
	return nil
}
