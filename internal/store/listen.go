package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Credential versions (PostgreSQL).
//
// Postgres has no data_version. Instead a statement-level trigger on the
// credentials table (credentialNotify) calls pg_notify on
// credentialsChannel, with the table's schema as payload, in every
// transaction that updates, deletes or truncates credentials; Postgres
// delivers the notification when that transaction commits. Each process
// keeps one connection of its own (outside the request pool: see Open)
// LISTENing on the channel, and moves an in-memory epoch on at every
// notification for its schema. CredentialVersion returns that epoch.
//
// Nothing as cheap tells that nothing at all was committed, so there is no
// data version: CredentialVersion returns NoDataVersion, and package auth
// does not cache customer sessions on Postgres (a password change or a
// deleted customer commits no credential).
//
// CredentialVersion fails (the caller asks the database) unless the
// listener is connected, listening, and has heard from the server within
// listenStale: when idle it makes a round trip every listenHeartbeat, so
// a link that stalls without breaking stops the caching within
// listenStale. The database URL must reach PostgreSQL directly or through
// a pooler in session mode: in transaction mode LISTEN does not work. (The
// heartbeat requires the backend that listened, which catches a busy
// transaction pooler, not every one.)
//
// When the listener (re)connects it moves the epoch on before
// CredentialVersion succeeds again: notifications sent while nobody
// listened are lost, so every check is looked up again once. It reconnects
// with backoff (listenBackoffMin doubling up to listenBackoffMax) and stops
// on Close. It starts on the first CredentialVersion, so short-lived
// commands that never check a token open no listener.

// credentialsChannel is the channel the credentials trigger notifies.
const credentialsChannel = "clientele_credentials"

// credentialNotify installs the trigger (PostgreSQL), idempotently.
// The trigger is only created when missing: DROP/CREATE TRIGGER would take
// an exclusive lock on credentials at every start.
var credentialNotify = struct{ function, exists, trigger string }{
	function: `CREATE OR REPLACE FUNCTION clientele_credentials_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('` + credentialsChannel + `', TG_TABLE_SCHEMA);
	RETURN NULL;
END
$$`,
	exists: `SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass('credentials') AND tgname = 'credentials_notify'`,
	trigger: `CREATE TRIGGER credentials_notify AFTER UPDATE OR DELETE OR TRUNCATE ON credentials
FOR EACH STATEMENT EXECUTE FUNCTION clientele_credentials_notify()`,
}

// createCredentialNotify installs the credentials trigger (PostgreSQL) in
// one transaction, under an advisory lock of the schema: replicas that
// start together would otherwise race on CREATE OR REPLACE FUNCTION
// ("tuple concurrently updated") and CREATE TRIGGER.
func (db *DB) createCredentialNotify(ctx context.Context) (err error) {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: credential trigger: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			err = fmt.Errorf("migrate: credential trigger: %w", err)
		}
	}()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('clientele_credentials_notify:' || current_schema()))`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, credentialNotify.function); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, credentialNotify.exists).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := tx.ExecContext(ctx, credentialNotify.trigger); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// The listener's timing (variables for tests).
var (
	listenHeartbeat   = time.Second
	listenStale       = 3 * time.Second
	listenPingTimeout = 2 * time.Second
	listenBackoffMin  = 50 * time.Millisecond
	listenBackoffMax  = 2 * time.Second
)

// NoDataVersion is the data version CredentialVersion returns where there
// is none (PostgreSQL): only the credential epoch can be relied on.
const NoDataVersion int64 = -1

// ErrNotListening is returned by CredentialVersion on PostgreSQL while the
// credentials listener is not connected and listening (starting,
// reconnecting, or closed).
var ErrNotListening = errors.New("store: the credentials listener is not listening")

// listener keeps the LISTEN connection behind CredentialVersion
// (PostgreSQL).
type listener struct {
	dsn   string
	base  time.Time    // contact is measured from here (monotonic)
	epoch atomic.Int64 // moves on at every notification and reconnection
	// contact is when the listening connection last heard from the
	// server, in nanoseconds since base plus one; 0 while not listening.
	contact atomic.Int64
	pid     atomic.Uint32 // the listening backend's pid (tests)
	// hold, when set, runs before every connection attempt (tests).
	hold atomic.Pointer[func(context.Context)]

	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// ok reports whether the listener is listening and heard from the server
// recently enough.
func (l *listener) ok() bool {
	c := l.contact.Load()
	return c != 0 && int64(time.Since(l.base))+1-c < int64(listenStale)
}

func (l *listener) touch() { l.contact.Store(int64(time.Since(l.base)) + 1) }

// ensure starts the listener, once, unless the database is closed.
func (l *listener) ensure() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started || l.closed {
		return
	}
	l.started = true
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	go func() {
		defer close(l.done)
		l.run(ctx)
	}()
}

// stop ends the listener and waits for it.
func (l *listener) stop() {
	l.mu.Lock()
	l.closed = true
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	l.contact.Store(0)
}

// run connects and listens until ctx ends, reconnecting with backoff.
func (l *listener) run(ctx context.Context) {
	backoff := listenBackoffMin
	for {
		if h := l.hold.Load(); h != nil {
			(*h)(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		listened, _ := l.listen(ctx)
		l.contact.Store(0)
		if ctx.Err() != nil {
			return
		}
		if listened >= listenBackoffMax {
			// It worked for a while: reconnect at once (after the
			// shortest wait), not after the last outage's.
			backoff = listenBackoffMin
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
}

// listen opens a connection, LISTENs and waits for notifications until
// the connection fails or ctx ends; listened is how long it listened.
func (l *listener) listen(ctx context.Context) (listened time.Duration, err error) {
	// pgx's parser, as the pool's driver (pgx/v5/stdlib) uses: it knows
	// the DSN parameters that are pgx's, not the server's.
	cfg, err := pgx.ParseConfig(l.dsn)
	if err != nil {
		return 0, err
	}
	var schema string // set before LISTEN; read by the callback on this goroutine
	cfg.Config.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) {
		if n.Channel == credentialsChannel && n.Payload == schema {
			l.epoch.Add(1)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pc, err := pgconn.ConnectConfig(cctx, &cfg.Config)
	if err != nil {
		return 0, err
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = pc.Close(c)
	}()
	// The schema of the credentials table the request pool reads (the
	// same search_path): the payload of its notifications. Other schemas
	// of the database (other deployments, tests) notify the same channel.
	res, err := pc.Exec(cctx, `SELECT n.nspname, pg_backend_pid()::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('credentials')`).ReadAll()
	if err != nil {
		return 0, err
	}
	if len(res) != 1 || len(res[0].Rows) != 1 {
		return 0, errors.New("store: no credentials table (not migrated yet?)")
	}
	schema = string(res[0].Rows[0][0])
	backend := string(res[0].Rows[0][1])
	if _, err := pc.Exec(cctx, "LISTEN "+credentialsChannel).ReadAll(); err != nil {
		return 0, err
	}
	// Nothing heard while nobody listened: move the epoch on before the
	// checks may be cached again.
	l.epoch.Add(1)
	l.pid.Store(pc.PID())
	l.touch()
	since := time.Now()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenHeartbeat)
		err := pc.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return time.Since(since), ctx.Err()
		case err == nil:
			// The callback counted it.
		case pgconn.Timeout(err):
			// Quiet for a heartbeat: is the link still there, to the
			// same backend? (Behind a pooler in transaction mode, such
			// as PgBouncer's, LISTEN stays on a server connection that
			// is not ours.)
			pctx, cancel := context.WithTimeout(ctx, listenPingTimeout)
			res, err := pc.Exec(pctx, `SELECT pg_backend_pid()::text`).ReadAll()
			cancel()
			if err != nil {
				return time.Since(since), err
			}
			if len(res) != 1 || len(res[0].Rows) != 1 || string(res[0].Rows[0][0]) != backend {
				return time.Since(since), errors.New("store: the listening connection changed backends (a pooler in transaction mode?)")
			}
		default:
			return time.Since(since), err
		}
		l.touch()
	}
}
