package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"
)

// Planner statistics.
//
// Every list and eager load is filtered by the caller's mode, and most
// tables have an index that starts with the mode. Without statistics the
// planners take that index for a selective one: SQLite assumes an equality
// on an index's first column matches about 10 rows, so for a page's orders
// (customer_id IN (…) AND mode = ?) it chose (mode, created_at) and walked
// every order of the mode: 225 ms of CPU per q50 at 100,000 customers,
// 20 ms with statistics. A Postgres table nobody has analyzed yet gets
// the same mode-wide scans. With statistics both pick the foreign-key
// index. The server therefore gathers
// them itself, cheaply: at start (Migrate), after bulk loads (Analyze, run
// by `clientele seed`), and every StatsInterval while it runs (SQLite;
// Postgres has autovacuum).

// StatsInterval is how often an open SQLite database checks whether its
// statistics are stale (a few microseconds per table when they are not).
var StatsInterval = 10 * time.Minute

// SQLite's PRAGMA optimize with 0x10002 analyzes every table that has rows
// and no statistics, or that grew or shrank ten times since it was
// analyzed, under a row limit that keeps it fast on big tables
// (https://sqlite.org/pragma.html#pragma_optimize); with 0x01 as well it
// only lists the ANALYZE statements it would run.
const (
	optimizeSQLite       = "PRAGMA optimize=0x10002"
	optimizeSQLiteDryRun = "PRAGMA optimize=0x10003"
)

// Optimize gathers the statistics the database lacks: on SQLite, PRAGMA
// optimize (see optimizeSQLite); on Postgres, ANALYZE of every table of the
// current schema that was never analyzed, or has grown or changed a lot
// since (a bulk load, typically: autovacuum would get to it within a
// minute or so).
// Cheap when there is nothing to do.
func (db *DB) Optimize(ctx context.Context) error {
	if db.Dialect == dialect.Postgres {
		// Never analyzed; or twice as big as when it was (the file size
		// is always current); or due for autovacuum's next analysis
		// (threshold 50 + 10% of the rows; the activity counters can lag
		// behind by a few seconds).
		rows, err := db.SQL.QueryContext(ctx, `SELECT c.relname FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE n.nspname = current_schema() AND c.relkind = 'r' AND (
  c.reltuples < 0
  OR pg_relation_size(c.oid) / current_setting('block_size')::int > 2 * c.relpages + 8
  OR coalesce(s.n_mod_since_analyze, 0) > 50 + 0.1 * c.reltuples)`)
		if err != nil {
			return fmt.Errorf("optimize: %w", err)
		}
		tables, err := names(rows)
		if err != nil {
			return fmt.Errorf("optimize: %w", err)
		}
		return db.analyzePostgres(ctx, tables)
	}
	rows, err := db.SQL.QueryContext(ctx, optimizeSQLiteDryRun)
	if err != nil {
		return fmt.Errorf("optimize: %w", err)
	}
	stale, err := names(rows)
	if err != nil || len(stale) == 0 {
		return err
	}
	if _, err := db.SQL.ExecContext(ctx, optimizeSQLite); err != nil {
		return fmt.Errorf("optimize: %w", err)
	}
	db.renewConns()
	return nil
}

// renewConns closes the idle SQLite connections: a connection loads the
// statistics when it opens (or when the schema changes), so without this
// the others would go on planning with the old ones.
func (db *DB) renewConns() {
	db.SQL.SetMaxIdleConns(0)
	db.SQL.SetMaxIdleConns(db.maxIdle)
}

// Analyze refreshes the statistics of every table, after a bulk load has
// changed what the tables hold.
func (db *DB) Analyze(ctx context.Context) error {
	if db.Dialect == dialect.Postgres {
		rows, err := db.SQL.QueryContext(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`)
		if err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		tables, err := names(rows)
		if err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		return db.analyzePostgres(ctx, tables)
	}
	// One connection, so that the limit applies to the ANALYZE: statistics
	// from a sample of ~1,000 rows per index choose the same indexes as
	// exact ones, in milliseconds instead of seconds on big tables.
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	defer conn.Close()
	for _, q := range []string{"PRAGMA analysis_limit=1000", "ANALYZE", "PRAGMA analysis_limit=0"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
	}
	conn.Close()
	db.renewConns()
	return nil
}

func (db *DB) analyzePostgres(ctx context.Context, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	if _, err := db.SQL.ExecContext(ctx, "ANALYZE "+strings.Join(quoted, ", ")); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

func names(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// keepOptimized runs Optimize every StatsInterval until stop is closed
// (SQLite: its statistics are only refreshed when asked).
func (db *DB) keepOptimized(stop <-chan struct{}) {
	t := time.NewTicker(StatsInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			_ = db.Optimize(ctx) // best effort: the next tick tries again
			cancel()
		}
	}
}
