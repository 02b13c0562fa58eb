package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// ErrUnavailable marks an error that already says the service cannot
// answer right now (packages that wrap a database failure use it so that
// the driver's text stays out of the message).
var ErrUnavailable = errors.New("the service is temporarily unavailable; retry later")

// Unavailable reports whether err means the database cannot serve the
// request right now, through no fault of the caller's: unreachable, shutting
// down, out of disk space or otherwise out of resources. Callers answer
// such errors with a retryable "unavailable" code instead of an internal
// error (or, worse, a refusal of the caller's credentials).
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrCantOpen, sqlite3.ErrNomem, sqlite3.ErrReadonly, sqlite3.ErrBusy, sqlite3.ErrLocked:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 53: insufficient resources (disk full,
		// out of memory, too many connections); 57P01-57P03: the server is
		// shutting down or cannot accept connections yet.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") || strings.HasPrefix(pe.Code, "57P")
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ENOSPC) || pgconn.SafeToRetry(err)
}

// DiskFull reports whether err is the database running out of space.
func DiskFull(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrFull
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "53100"
	}
	return errors.Is(err, syscall.ENOSPC)
}
