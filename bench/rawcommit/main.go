// Command rawcommit measures the practical limit for single-row writes on a
// database: sequential one-row transactions on the same database URL (for
// SQLite: the same file, opened with the server's settings, synchronous=FULL
// included). bench/run.sh compares clientele's createCustomer rate with it.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"time"

	"clientele/internal/store"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"
)

func main() {
	url := flag.String("database-url", "", "sqlite:<path> or postgres://…")
	d := flag.Duration("duration", 3*time.Second, "how long to write")
	flag.Parse()
	name, dsn, err := store.DriverDSN(*url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	db, err := sql.Open(name, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS bench_raw_commits (id TEXT PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	insert := `INSERT INTO bench_raw_commits (id, v) VALUES (?, ?)`
	if name == "pgx" {
		insert = `INSERT INTO bench_raw_commits (id, v) VALUES ($1, $2)`
	}
	start := time.Now()
	n := 0
	for time.Since(start) < *d {
		tx, err := db.Begin()
		if err == nil {
			_, err = tx.Exec(insert, fmt.Sprintf("%d-%d", start.UnixNano(), n), "x")
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n++
	}
	fmt.Printf("%.0f\n", float64(n)/time.Since(start).Seconds())
}
