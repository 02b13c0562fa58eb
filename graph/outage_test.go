package graph_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"clientele/internal/testenv"

	"github.com/stretchr/testify/require"
)

// A full disk turns a write into UNAVAILABLE (retryable, typed), never
// INTERNAL, and leaves nothing half-written.
func TestDiskFullIsUnavailable(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Skip("simulated with SQLite's max_page_count")
	}
	e := testenv.New(t)
	ctx := context.Background()
	// One connection, so the page limit holds for every statement.
	e.DB.SQL.SetMaxOpenConns(1)
	e.DB.SQL.SetMaxIdleConns(1)
	var pages int
	require.NoError(t, e.DB.SQL.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages))
	_, err := e.DB.SQL.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages))
	require.NoError(t, err)

	r := e.Do(t, `mutation($m: Map) { createCustomer(input: {email: "full@example.com", metadata: $m}) { customer { id } userErrors { code } } }`,
		map[string]any{"m": map[string]any{"notes": strings.Repeat("x", 15<<10)}}) // under metadata.MaxBytes, over a free page
	require.Equal(t, []string{"UNAVAILABLE"}, r.ErrorCodes())

	_, err = e.DB.SQL.ExecContext(ctx, "PRAGMA max_page_count = 1073741823")
	require.NoError(t, err)
	n, err := e.Ent().Customer.Query().Count(e.Context())
	require.NoError(t, err)
	require.Zero(t, n, "nothing was written")
	var events int
	require.NoError(t, e.DB.SQL.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&events))
	require.Zero(t, events)
}
