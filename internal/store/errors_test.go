package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

func TestUnavailable(t *testing.T) {
	for _, c := range []struct {
		err         error
		unavailable bool
		full        bool
	}{
		{sqlite3.Error{Code: sqlite3.ErrFull}, true, true},
		{fmt.Errorf("insert: %w", sqlite3.Error{Code: sqlite3.ErrIoErr}), true, false},
		{sqlite3.Error{Code: sqlite3.ErrConstraint}, false, false},
		{&pgconn.PgError{Code: "53100"}, true, true},
		{&pgconn.PgError{Code: "08006"}, true, false},
		{&pgconn.PgError{Code: "57P01"}, true, false},
		{&pgconn.PgError{Code: "23505"}, false, false},
		{errors.New("some bug"), false, false},
		{context.Canceled, false, false},
		{nil, false, false},
	} {
		if got := Unavailable(c.err); got != c.unavailable {
			t.Errorf("Unavailable(%v) = %v, want %v", c.err, got, c.unavailable)
		}
		if got := DiskFull(c.err); got != c.full {
			t.Errorf("DiskFull(%v) = %v, want %v", c.err, got, c.full)
		}
	}
}
