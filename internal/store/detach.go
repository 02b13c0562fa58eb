package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"time"

	entsql "entgo.io/ent/dialect/sql"
)

// Reads outside a transaction reach the database driver with the request's
// context, but database/sql does not see it.
//
// database/sql starts a goroutine for every *sql.Rows read under a context
// that can be cancelled (Rows.awaitDone), which only waits to close the rows
// if the context ends first. It costs a goroutine start and two wake-ups of
// an idle thread per statement: about a tenth of the server's CPU for a
// page of customers with three nested connections (five statements). Both
// drivers watch the context themselves, without a goroutine
// (context.AfterFunc): pgx cancels the statement on the server and closes
// the connection, go-sqlite3 interrupts the statement. So the store hands
// database/sql a context without a Done channel (detached) and the driver
// connection (detachedConn) takes the request's context back out of it.
//
// What database/sql still needs the context for keeps it: waiting for a
// connection of the pool (DB.Conn gets the request's context), and
// transactions, whose statements are not detached.

// detached is a context that database/sql cannot see ending: no Done, no
// Err, no deadline; its values are the request's.
type detached struct{ context.Context }

func (detached) Done() <-chan struct{}       { return nil }
func (detached) Err() error                  { return nil }
func (detached) Deadline() (time.Time, bool) { return time.Time{}, false }

// attached is the request's context of ctx.
func attached(ctx context.Context) context.Context {
	if d, ok := ctx.(detached); ok {
		return d.Context
	}
	return ctx
}

// detachedReads is ent's driver with reads outside transactions detached.
type detachedReads struct {
	*entsql.Driver
	db *sql.DB
}

// badConnRetries is how many times a read is tried on another connection
// when the driver reports a connection it cannot use before anything was
// sent (driver.ErrBadConn), as database/sql's own QueryContext does.
const badConnRetries = 3

func (d detachedReads) Query(ctx context.Context, q string, args, v any) error {
	vr, ok := v.(*entsql.Rows)
	argv, ok2 := args.([]any)
	if !ok || !ok2 || ctx.Done() == nil {
		return d.Driver.Query(ctx, q, args, v)
	}
	var err error
	for range badConnRetries {
		var conn *sql.Conn
		// Waiting for a connection of the pool ends with the request.
		if conn, err = d.db.Conn(ctx); err != nil {
			return err
		}
		var rows *sql.Rows
		rows, err = conn.QueryContext(detached{ctx}, q, argv...)
		if err == nil {
			*vr = entsql.Rows{ColumnScanner: &connRows{Rows: rows, conn: conn}}
			return nil
		}
		conn.Close()
		if !errors.Is(err, driver.ErrBadConn) {
			return err
		}
	}
	return err
}

// connRows are rows read on a connection of their own, which goes back to
// the pool as *sql.Rows' would: when the rows are read to the end (or fail)
// or closed, whichever comes first.
type connRows struct {
	*sql.Rows
	conn *sql.Conn
	err  error // of the release
	done bool
}

func (r *connRows) Next() bool { return !r.done && r.ended(r.Rows.Next()) }

func (r *connRows) NextResultSet() bool { return !r.done && r.ended(r.Rows.NextResultSet()) }

// ended passes on whether the rows went on, releasing them if they did not.
func (r *connRows) ended(more bool) bool {
	if !more {
		r.release()
	}
	return more
}

// Close closes the rows and gives the connection back; closing again
// returns what the first close did.
func (r *connRows) Close() error {
	r.release()
	return r.err
}

func (r *connRows) release() {
	if !r.done {
		r.done = true
		r.err = errors.Join(r.Rows.Close(), r.conn.Close())
	}
}

// detachedConnector makes the pool's connections detachedConns.
type detachedConnector struct {
	driver.Connector
}

func (c detachedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(attached(ctx))
	if err != nil {
		return nil, err
	}
	return detachedConn{conn}, nil
}

// dsnConnector is the connector of a driver without one of its own.
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// connector is drv's connector for dsn, detaching.
func connector(drv driver.Driver, dsn string) (driver.Connector, error) {
	if dc, ok := drv.(driver.DriverContext); ok {
		c, err := dc.OpenConnector(dsn)
		if err != nil {
			return nil, err
		}
		return detachedConnector{c}, nil
	}
	return detachedConnector{dsnConnector{dsn, drv}}, nil
}

// detachedConn is a driver connection that gives the driver the request's
// context of a detached one. It offers database/sql what the driver offers:
// where the driver lacks an optional interface, it answers as database/sql
// does without it (driver.ErrSkip, nil or true).
type detachedConn struct{ driver.Conn }

func (c detachedConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(attached(ctx), q)
	}
	return c.Prepare(q)
}

func (c detachedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(attached(ctx), opts)
	}
	if opts != (driver.TxOptions{}) {
		return nil, errors.New("store: the driver does not support transaction options")
	}
	return c.Begin() //nolint:staticcheck // the driver has nothing else
}

func (c detachedConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(attached(ctx), q, args)
	}
	return nil, driver.ErrSkip
}

func (c detachedConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if e, ok := c.Conn.(driver.QueryerContext); ok {
		return e.QueryContext(attached(ctx), q, args)
	}
	return nil, driver.ErrSkip
}

func (c detachedConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(attached(ctx))
	}
	return nil
}

func (c detachedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(attached(ctx))
	}
	return nil
}

func (c detachedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c detachedConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
