// Command baseline is the "practical limit" that bench/run.sh compares
// clientele's reference query q50 with: a hand-written net/http +
// database/sql server that answers exactly q50's data shape (a page of
// customers with their group, the first 5 address-book entries with the
// address city, the first 10 orders by created_at desc, and the counts) with
// three prepared SQL statements and encoding/json.
//
// It reads the same database as clientele (same drivers, same URL format,
// same SQLite pragmas) and does nothing else: no authentication, no
// authorization beyond the mode filter, no GraphQL parsing, no limits.
//
//	go build -o baseline ./bench/baseline
//	baseline --addr 127.0.0.1:8090 --database-url sqlite:clientele.db
//	curl -d '{"variables":{"n":50}}' 127.0.0.1:8090/q50
//
// GET /metrics exposes clientele_sql_statements_total like clientele does,
// so the benchmark counts its statements the same way.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"
)

// timeLayout is how clientele writes Time: UTC with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// Three statements: the page of customers with its group and the total
// count (read from the row counter clientele keeps, as clientele reads it:
// counting the table would make the floor slower than what it bounds), then the first address-book entries and the first orders of the
// customers on the page, each with a per-customer count, by window functions.
// The nested two take the page's IDs as an IN list, prepared once per list
// length; on Postgres as one array (= ANY($1)), one statement for any
// length, as clientele's store sends them.
const (
	customersSQL = `SELECT c.id, c.email, c.status, g.name, g.code,
  (SELECT value FROM counters WHERE id = ?)
FROM customers c LEFT JOIN customer_groups g ON g.id = c.customer_group_customers
WHERE c.mode = ? ORDER BY c.id LIMIT ?`

	addressesSQL = `SELECT x.customer_id, x.cnt, a.business, a.company, a.first_name, a.last_name,
  a.line_1, a.line_2, a.zip_code, a.city, a.state_code, a.country_code, a.phone
FROM (SELECT ca.id, ca.customer_id, ca.address_id,
    row_number() OVER (PARTITION BY ca.customer_id ORDER BY ca.id) AS rn,
    count(*) OVER (PARTITION BY ca.customer_id) AS cnt
  FROM customer_addresses ca WHERE ca.customer_id IN (%s)) x
JOIN addresses a ON a.id = x.address_id
WHERE x.rn <= 5
ORDER BY x.customer_id, x.id`

	ordersSQL = `SELECT x.customer_id, x.cnt, x.number, x.status, x.total_amount_cents, x.placed_at
FROM (SELECT o.customer_id, o.number, o.status, o.total_amount_cents, o.placed_at,
    row_number() OVER (PARTITION BY o.customer_id ORDER BY o.created_at DESC, o.id) AS rn,
    count(*) OVER (PARTITION BY o.customer_id) AS cnt
  FROM orders o WHERE o.customer_id IN (%s)) x
WHERE x.rn <= 10
ORDER BY x.customer_id, x.rn`
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	dbURL := flag.String("database-url", "sqlite:clientele.db", "sqlite:<path> or postgres://…")
	mode := flag.String("mode", "TEST", "the mode column value to read (TEST or LIVE)")
	flag.Parse()

	s, err := open(*dbURL, *mode)
	if err != nil {
		log.Fatal(err)
	}
	defer s.db.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/q50", s.q50)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE clientele_sql_statements_total counter\nclientele_sql_statements_total %d\n", s.statements.Load())
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("baseline listening on %s", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

type server struct {
	db         *sql.DB
	postgres   bool
	mode       string
	customers  *sql.Stmt
	statements atomic.Int64

	mu     sync.Mutex
	nested map[int][2]*sql.Stmt // addresses and orders by number of IDs
}

// open opens the database like clientele's internal/store does and prepares
// the three statements.
func open(rawURL, mode string) (*server, error) {
	name, dsn, err := driverDSN(rawURL)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(name, dsn)
	if err != nil {
		return nil, err
	}
	if name == "pgx" {
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
	} else {
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
	}
	s := &server{db: db, postgres: name == "pgx", mode: mode, nested: map[int][2]*sql.Stmt{}}
	if s.customers, err = db.Prepare(s.placeholders(customersSQL)); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return s, nil
}

// nestedStmts returns the addresses and orders statements for k IDs.
func (s *server) nestedStmts(k int) ([2]*sql.Stmt, error) {
	if s.postgres {
		k = 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.nested[k]; ok {
		return st, nil
	}
	in := strings.TrimSuffix(strings.Repeat("?,", k), ",")
	var st [2]*sql.Stmt
	for i, q := range []string{addressesSQL, ordersSQL} {
		if s.postgres {
			q, in = strings.Replace(q, " IN (%s)", " = ANY(%s)", 1), "?"
		}
		var err error
		if st[i], err = s.db.Prepare(s.placeholders(fmt.Sprintf(q, in))); err != nil {
			return st, fmt.Errorf("prepare: %w", err)
		}
	}
	s.nested[k] = st
	return st, nil
}

// placeholders turns ? into Postgres's $1, $2, … when needed.
func (s *server) placeholders(q string) string {
	if !s.postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// driverDSN mirrors clientele's internal/store.DriverDSN.
func driverDSN(rawURL string) (string, string, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return "pgx", rawURL, nil
	case strings.HasPrefix(rawURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//")
		q := url.Values{}
		if i := strings.IndexByte(path, '?'); i >= 0 {
			q, _ = url.ParseQuery(path[i+1:])
			path = path[:i]
		}
		if path == "" {
			return "", "", fmt.Errorf("database URL %q has no file path", rawURL)
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

// The response, field for field in q50's order.
type (
	response struct {
		Data struct {
			Customers connection `json:"customers"`
		} `json:"data"`
	}
	connection struct {
		TotalCount int64 `json:"totalCount"`
		PageInfo   struct {
			HasNextPage bool    `json:"hasNextPage"`
			EndCursor   *string `json:"endCursor"`
		} `json:"pageInfo"`
		Edges []customerEdge `json:"edges"`
	}
	customerEdge struct {
		Node *customer `json:"node"`
	}
	customer struct {
		ID                string    `json:"id"`
		Email             string    `json:"email"`
		Status            string    `json:"status"`
		CustomerGroup     *group    `json:"customerGroup"`
		CustomerAddresses addrConn  `json:"customerAddresses"`
		Orders            orderConn `json:"orders"`
	}
	group struct {
		Name string  `json:"name"`
		Code *string `json:"code"`
	}
	addrConn struct {
		TotalCount int64      `json:"totalCount"`
		Edges      []addrEdge `json:"edges"`
	}
	addrEdge struct {
		Node struct {
			Name    string `json:"name"`
			Address struct {
				City string `json:"city"`
			} `json:"address"`
		} `json:"node"`
	}
	orderConn struct {
		TotalCount int64       `json:"totalCount"`
		Edges      []orderEdge `json:"edges"`
	}
	orderEdge struct {
		Node struct {
			Number           string  `json:"number"`
			Status           string  `json:"status"`
			TotalAmountCents int64   `json:"totalAmountCents"`
			PlacedAt         *string `json:"placedAt"`
		} `json:"node"`
	}
)

// q50 answers {"variables":{"n":N}} (POST) or ?n=N (GET); n defaults to 50
// and is at most 100.
func (s *server) q50(w http.ResponseWriter, r *http.Request) {
	n := 50
	switch r.Method {
	case http.MethodPost:
		var req struct {
			Variables struct {
				N *int `json:"n"`
			} `json:"variables"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
			http.Error(w, `{"errors":[{"message":"bad request body"}]}`, http.StatusBadRequest)
			return
		}
		if req.Variables.N != nil {
			n = *req.Variables.N
		}
	case http.MethodGet:
		if v := r.URL.Query().Get("n"); v != "" {
			var err error
			if n, err = strconv.Atoi(v); err != nil {
				http.Error(w, `{"errors":[{"message":"n must be a number"}]}`, http.StatusBadRequest)
				return
			}
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if n < 0 || n > 100 {
		http.Error(w, `{"errors":[{"message":"n must be between 0 and 100"}]}`, http.StatusBadRequest)
		return
	}
	res, err := s.load(r.Context(), n)
	if err != nil {
		log.Printf("q50: %v", err)
		http.Error(w, `{"errors":[{"message":"internal error"}]}`, http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(res); err != nil {
		http.Error(w, `{"errors":[{"message":"internal error"}]}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf.Bytes())
}

func (s *server) load(ctx context.Context, n int) (*response, error) {
	res := &response{}
	c := &res.Data.Customers
	c.Edges = []customerEdge{}
	byID := make(map[string]*customer, n)

	s.statements.Add(1)
	rows, err := s.customers.QueryContext(ctx, "rows:customers:"+s.mode, s.mode, n+1)
	if err != nil {
		return nil, fmt.Errorf("customers: %w", err)
	}
	for rows.Next() {
		cu := &customer{}
		var gName, gCode sql.NullString
		if err := rows.Scan(&cu.ID, &cu.Email, &cu.Status, &gName, &gCode, &c.TotalCount); err != nil {
			rows.Close()
			return nil, fmt.Errorf("customers: %w", err)
		}
		if len(c.Edges) == n {
			c.PageInfo.HasNextPage = true
			break
		}
		if gName.Valid {
			cu.CustomerGroup = &group{Name: gName.String}
			if gCode.Valid {
				cu.CustomerGroup.Code = &gCode.String
			}
		}
		cu.CustomerAddresses.Edges = []addrEdge{}
		cu.Orders.Edges = []orderEdge{}
		c.Edges = append(c.Edges, customerEdge{Node: cu})
		byID[cu.ID] = cu
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customers: %w", err)
	}
	if len(c.Edges) == 0 {
		return res, nil
	}
	cursor := endCursor(c.Edges[len(c.Edges)-1].Node.ID)
	c.PageInfo.EndCursor = &cursor
	// The nested statements' arguments: the page's IDs one by one, or on
	// Postgres as one array.
	var ids []any
	if s.postgres {
		keys := make([]string, len(c.Edges))
		for i, e := range c.Edges {
			keys[i] = e.Node.ID
		}
		ids = []any{keys}
	} else {
		ids = make([]any, len(c.Edges))
		for i, e := range c.Edges {
			ids[i] = e.Node.ID
		}
	}
	nested, err := s.nestedStmts(len(c.Edges))
	if err != nil {
		return nil, err
	}

	s.statements.Add(1)
	rows, err = nested[0].QueryContext(ctx, ids...)
	if err != nil {
		return nil, fmt.Errorf("addresses: %w", err)
	}
	for rows.Next() {
		var cid string
		var cnt int64
		var business bool
		var company, first, last, line2, zip, state sql.NullString
		var e addrEdge
		var line1, country, phone string
		if err := rows.Scan(&cid, &cnt, &business, &company, &first, &last,
			&line1, &line2, &zip, &e.Node.Address.City, &state, &country, &phone); err != nil {
			rows.Close()
			return nil, fmt.Errorf("addresses: %w", err)
		}
		cu := byID[cid]
		if cu == nil {
			continue
		}
		cu.CustomerAddresses.TotalCount = cnt
		e.Node.Name = addressName(business, company, first, last, line1, line2, zip, e.Node.Address.City, state, country, phone)
		cu.CustomerAddresses.Edges = append(cu.CustomerAddresses.Edges, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("addresses: %w", err)
	}

	s.statements.Add(1)
	rows, err = nested[1].QueryContext(ctx, ids...)
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid string
		var cnt int64
		var placed any
		var e orderEdge
		if err := rows.Scan(&cid, &cnt, &e.Node.Number, &e.Node.Status, &e.Node.TotalAmountCents, &placed); err != nil {
			return nil, fmt.Errorf("orders: %w", err)
		}
		cu := byID[cid]
		if cu == nil {
			continue
		}
		cu.Orders.TotalCount = cnt
		if e.Node.PlacedAt, err = formatTime(placed); err != nil {
			return nil, fmt.Errorf("orders: %w", err)
		}
		cu.Orders.Edges = append(cu.Orders.Edges, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	return res, nil
}

// endCursor is entgql's cursor of an ID-ordered page: the msgpack map
// {"i": id}, base64 without padding.
func endCursor(id string) string {
	b := []byte{0x81, 0xa1, 'i'}
	switch n := len(id); {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n < 256:
		b = append(b, 0xd9, byte(n))
	default:
		b = append(b, 0xda, byte(n>>8), byte(n))
	}
	return base64.RawStdEncoding.EncodeToString(append(b, id...))
}

// formatTime writes a nullable timestamp column as clientele does. SQLite
// hands back text when the column type is lost in a subquery.
func formatTime(v any) (*string, error) {
	var t time.Time
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		t = x
	case []byte:
		return formatTime(string(x))
	case string:
		var err error
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999"} {
			if t, err = time.Parse(layout, x); err == nil {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("timestamp %q: %w", x, err)
		}
	default:
		return nil, fmt.Errorf("timestamp of type %T", v)
	}
	s := t.UTC().Format(timeLayout)
	return &s, nil
}

// addressName is clientele's CustomerAddress.name: the full name (or the
// company of a business address), then line 1 and 2, zip city state,
// country and (phone), comma-separated.
func addressName(business bool, company, first, last sql.NullString, line1 string, line2, zip sql.NullString, city string, state sql.NullString, country, phone string) string {
	var name string
	if business && company.Valid {
		name = company.String
	} else {
		name = join(first, last)
	}
	parts := []string{
		join(sql.NullString{String: line1, Valid: true}, line2),
		join(zip, sql.NullString{String: city, Valid: true}, state),
		country,
	}
	if phone != "" {
		parts = append(parts, "("+phone+")")
	}
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return name + ", " + strings.Join(out, ", ")
}

func join(parts ...sql.NullString) string {
	var out []string
	for _, p := range parts {
		if s := strings.TrimSpace(p.String); p.Valid && s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}
