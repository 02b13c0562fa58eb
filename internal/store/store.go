// Package store opens clientele's database from a URL: sqlite:<path> (the
// embedded default) or postgres://… (many server replicas on one database).
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"clientele/ent"
	_ "clientele/ent/runtime" // registers the schema hooks, policies and interceptors

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"
)

// DB is an open database: the ent client and what it runs on.
type DB struct {
	Client  *ent.Client
	Dialect string
	SQL     *sql.DB

	maxIdle   int
	stop      chan struct{} // ends keepOptimized (SQLite)
	closeOnce sync.Once
	versions  versions // CredentialVersion's connection (SQLite)
	listen    listener // CredentialVersion's LISTEN connection (PostgreSQL)
}

// Open opens the database at rawURL. SQLite files get WAL, foreign keys, a
// busy timeout, BEGIN IMMEDIATE transactions (a read lock that upgrades to a
// write lock would skip the busy handler and fail) and synchronous=FULL (an
// acknowledged write survives a power loss). opts wrap the driver (tests
// count statements with it).
func Open(rawURL string, wrap func(dialect.Driver) dialect.Driver) (*DB, error) {
	name, dsn, err := DriverDSN(rawURL)
	if err != nil {
		return nil, err
	}
	probe, err := sql.Open(name, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	c, err := connector(probe.Driver(), dsn)
	probe.Close()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := sql.OpenDB(c)
	d, conns := dialect.SQLite, 8
	if name == "pgx" {
		d, conns = dialect.Postgres, 32
	} else {
		// Readers run in parallel (WAL); each connection keeps its own page
		// cache, so a few are enough for a couple of cores. A connection
		// reads the planner statistics once, when it opens: renew them as
		// often as the statistics are (see StatsInterval).
		db.SetConnMaxLifetime(StatsInterval)
	}
	if d == dialect.SQLite {
		// One more for CredentialVersion's connection, which it keeps.
		db.SetMaxOpenConns(conns + 1)
	} else {
		// CredentialVersion's LISTEN connection (listen.go) is not the
		// pool's: one more server connection per process, no slot taken.
		db.SetMaxOpenConns(conns)
	}
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	var drv dialect.Driver = detachedReads{entsql.OpenDB(d, db), db}
	if d == dialect.Postgres {
		drv = newKeyArrayDriver(drv)
	}
	if wrap != nil {
		drv = wrap(drv)
	}
	out := &DB{Client: ent.NewClient(ent.Driver(drv)), Dialect: d, SQL: db, maxIdle: conns, stop: make(chan struct{})}
	out.listen.dsn, out.listen.base = dsn, time.Now()
	if d == dialect.SQLite {
		go out.keepOptimized(out.stop)
	}
	opened.Store(out.Client, out)
	return out, nil
}

// DriverDSN turns a database URL into a database/sql driver name and DSN.
func DriverDSN(rawURL string) (string, string, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return "pgx", rawURL, nil
	case strings.HasPrefix(rawURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//")
		if path == "" {
			return "", "", fmt.Errorf("database URL %q has no file path", rawURL)
		}
		q := url.Values{}
		if i := strings.IndexByte(path, '?'); i >= 0 {
			q, _ = url.ParseQuery(path[i+1:])
			path = path[:i]
		}
		for k, v := range map[string]string{"_fk": "1", "_journal_mode": "WAL", "_busy_timeout": "10000", "_txlock": "immediate", "_sync": "FULL"} {
			if q.Get(k) == "" {
				q.Set(k, v)
			}
		}
		return "sqlite3", "file:" + path + "?" + q.Encode(), nil
	}
	return "", "", fmt.Errorf("unsupported database URL %q: use sqlite:<path> or postgres://…", rawURL)
}

// migrateMu serialises migrations in one process: ent's migration mutates
// the generated package-level table descriptions.
var migrateMu sync.Mutex

// Migrate creates or upgrades the tables, then gathers the planner
// statistics they lack (Optimize).
func (db *DB) Migrate(ctx context.Context) error {
	migrateMu.Lock()
	defer migrateMu.Unlock()
	// On ent's own driver: the migration reads its *sql.Rows, which a
	// detached read (detach.go) does not give.
	plain := ent.NewClient(ent.Driver(entsql.OpenDB(db.Dialect, db.SQL)))
	if err := plain.Schema.Create(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// The row counters behind unfiltered totalCounts: the first start on
	// a database counts its rows once; the ent hooks keep them since.
	if err := ent.InitRowCounts(ctx, entsql.OpenDB(db.Dialect, db.SQL)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := db.createCredentialTriggers(ctx); err != nil {
		return err
	}
	return db.Optimize(ctx)
}

// Ping checks the database is reachable.
func (db *DB) Ping(ctx context.Context) error { return db.SQL.PingContext(ctx) }

// Close closes the database.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.stop)
		opened.Delete(db.Client)
		db.closeVersions()
	})
	return db.Client.Close()
}
