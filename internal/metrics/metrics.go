// Package metrics keeps clientele's Prometheus metrics and writes them in
// the text exposition format on /metrics: GraphQL operations by name and
// outcome, their latency, and SQL statements run. It has no dependencies;
// the set is small and fixed.
package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
)

// buckets are the latency histogram's upper bounds, in seconds.
var buckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Registry holds the metrics of one server.
type Registry struct {
	statements    atomic.Int64
	direct        atomic.Int64
	subscriptions atomic.Int64
	mu            sync.Mutex
	ops           map[opKey]*histogram
}

type opKey struct{ operation, outcome string }

type histogram struct {
	counts []int64 // per bucket, plus +Inf
	sum    float64
	n      int64
}

// New returns an empty registry.
func New() *Registry { return &Registry{ops: map[opKey]*histogram{}} }

// SubscriptionStarted and SubscriptionEnded track open subscriptions.
func (r *Registry) SubscriptionStarted() { r.subscriptions.Add(1) }

// SubscriptionEnded records that a subscription closed.
func (r *Registry) SubscriptionEnded() { r.subscriptions.Add(-1) }

// Subscriptions returns the number of open subscriptions.
func (r *Registry) Subscriptions() int64 { return r.subscriptions.Load() }

// DirectAnswered counts a query answered by the direct path.
func (r *Registry) DirectAnswered() { r.direct.Add(1) }

// Direct returns the number of queries the direct path answered.
func (r *Registry) Direct() int64 { return r.direct.Load() }

// Statements returns the number of SQL statements run so far.
func (r *Registry) Statements() int64 { return r.statements.Load() }

// ObserveOperation records one GraphQL operation.
func (r *Registry) ObserveOperation(name, outcome string, d time.Duration) {
	if name == "" {
		name = "anonymous"
	}
	if len(name) > 64 {
		name = name[:64]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := opKey{name, outcome}
	h := r.ops[k]
	if h == nil {
		if len(r.ops) >= 1000 { // bound the label set against arbitrary names
			k.operation = "other"
			if h = r.ops[k]; h == nil {
				h = &histogram{counts: make([]int64, len(buckets)+1)}
				r.ops[k] = h
			}
		} else {
			h = &histogram{counts: make([]int64, len(buckets)+1)}
			r.ops[k] = h
		}
	}
	s := d.Seconds()
	i := sort.SearchFloat64s(buckets, s)
	h.counts[i]++
	h.sum += s
	h.n++
}

// Handler serves the metrics.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		r.write(w)
	})
}

func (r *Registry) write(w io.Writer) {
	fmt.Fprintln(w, "# HELP clientele_graphql_direct_total GraphQL queries answered by the direct path rather than gqlgen's executor.")
	fmt.Fprintln(w, "# TYPE clientele_graphql_direct_total counter")
	fmt.Fprintf(w, "clientele_graphql_direct_total %d\n", r.direct.Load())
	fmt.Fprintln(w, "# HELP clientele_sql_statements_total SQL statements run against the database.")
	fmt.Fprintln(w, "# TYPE clientele_sql_statements_total counter")
	fmt.Fprintf(w, "clientele_sql_statements_total %d\n", r.statements.Load())
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]opKey, 0, len(r.ops))
	for k := range r.ops {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].operation != keys[j].operation {
			return keys[i].operation < keys[j].operation
		}
		return keys[i].outcome < keys[j].outcome
	})
	fmt.Fprintln(w, "# HELP clientele_graphql_operations_total GraphQL operations by operation name and outcome.")
	fmt.Fprintln(w, "# TYPE clientele_graphql_operations_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "clientele_graphql_operations_total{operation=%q,outcome=%q} %d\n", k.operation, k.outcome, r.ops[k].n)
	}
	fmt.Fprintln(w, "# HELP clientele_graphql_operation_duration_seconds GraphQL operation latency.")
	fmt.Fprintln(w, "# TYPE clientele_graphql_operation_duration_seconds histogram")
	for _, k := range keys {
		h := r.ops[k]
		var cum int64
		for i, b := range buckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "clientele_graphql_operation_duration_seconds_bucket{operation=%q,outcome=%q,le=\"%g\"} %d\n", k.operation, k.outcome, b, cum)
		}
		cum += h.counts[len(buckets)]
		fmt.Fprintf(w, "clientele_graphql_operation_duration_seconds_bucket{operation=%q,outcome=%q,le=\"+Inf\"} %d\n", k.operation, k.outcome, cum)
		fmt.Fprintf(w, "clientele_graphql_operation_duration_seconds_sum{operation=%q,outcome=%q} %g\n", k.operation, k.outcome, h.sum)
		fmt.Fprintf(w, "clientele_graphql_operation_duration_seconds_count{operation=%q,outcome=%q} %d\n", k.operation, k.outcome, h.n)
	}
	fmt.Fprintln(w, "# HELP clientele_active_subscriptions Open GraphQL subscriptions.")
	fmt.Fprintln(w, "# TYPE clientele_active_subscriptions gauge")
	fmt.Fprintf(w, "clientele_active_subscriptions %d\n", r.subscriptions.Load())
}

type uncountedKey struct{}

// Uncounted marks statements run under ctx as not counted: those of the
// direct path's check by gqlgen's executor (a test mode), which the
// statement counts of the tests must not see.
func Uncounted(ctx context.Context) context.Context {
	return context.WithValue(ctx, uncountedKey{}, true)
}

// count adds a statement run under ctx.
func count(ctx context.Context, n *atomic.Int64) {
	if ctx.Value(uncountedKey{}) == nil {
		n.Add(1)
	}
}

// WrapDriver counts the statements run through d.
func (r *Registry) WrapDriver(d dialect.Driver) dialect.Driver {
	return &countingDriver{Driver: d, n: &r.statements}
}

type countingDriver struct {
	dialect.Driver
	n *atomic.Int64
}

func (d *countingDriver) Exec(ctx context.Context, q string, args, v any) error {
	count(ctx, d.n)
	return d.Driver.Exec(ctx, q, args, v)
}

func (d *countingDriver) Query(ctx context.Context, q string, args, v any) error {
	count(ctx, d.n)
	return d.Driver.Query(ctx, q, args, v)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, n: d.n}, nil
}

type countingTx struct {
	dialect.Tx
	n *atomic.Int64
}

func (t *countingTx) Exec(ctx context.Context, q string, args, v any) error {
	count(ctx, t.n)
	return t.Tx.Exec(ctx, q, args, v)
}

func (t *countingTx) Query(ctx context.Context, q string, args, v any) error {
	count(ctx, t.n)
	return t.Tx.Query(ctx, q, args, v)
}

// execQuerier is what ent's execquery feature asks of a driver.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (d *countingDriver) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return countExec(ctx, d.Driver, d.n, q, args)
}

func (d *countingDriver) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return countQuery(ctx, d.Driver, d.n, q, args)
}

func (t *countingTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return countExec(ctx, t.Tx, t.n, q, args)
}

func (t *countingTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return countQuery(ctx, t.Tx, t.n, q, args)
}

func countExec(ctx context.Context, inner any, n *atomic.Int64, q string, args []any) (sql.Result, error) {
	eq, ok := inner.(execQuerier)
	if !ok {
		return nil, fmt.Errorf("driver %T does not run raw statements", inner)
	}
	count(ctx, n)
	return eq.ExecContext(ctx, q, args...)
}

func countQuery(ctx context.Context, inner any, n *atomic.Int64, q string, args []any) (*sql.Rows, error) {
	eq, ok := inner.(execQuerier)
	if !ok {
		return nil, fmt.Errorf("driver %T does not run raw statements", inner)
	}
	count(ctx, n)
	return eq.QueryContext(ctx, q, args...)
}
