package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"clientele/internal/store"
	"clientele/internal/testenv"
	"clientele/internal/viewer"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"
)

func TestKeyArrays(t *testing.T) {
	for _, c := range []struct {
		name     string
		q        string
		args     []any
		wantQ    string
		wantArgs []any
	}{{
		name:     "a foreign key's list and the parameters after it",
		q:        `SELECT "orders"."id" FROM "orders" WHERE "orders"."customer_id" IN ($1, $2, $3) AND "orders"."mode" = $4 LIMIT $5`,
		args:     []any{"cus_a", "cus_b", "cus_c", "TEST", int64(10)},
		wantQ:    `SELECT "orders"."id" FROM "orders" WHERE "orders"."customer_id" = ANY($1) AND "orders"."mode" = $2 LIMIT $3`,
		wantArgs: []any{[]string{"cus_a", "cus_b", "cus_c"}, "TEST", int64(10)},
	}, {
		name:     "a primary key's list after another parameter, and one of one value",
		q:        `SELECT 1 FROM "customer_groups" WHERE "customer_groups"."mode" = $1 AND "customer_groups"."id" IN ($2, $3) OR "customers"."id" IN ($4)`,
		args:     []any{"LIVE", "cgr_a", "cgr_b", "cus_a"},
		wantQ:    `SELECT 1 FROM "customer_groups" WHERE "customer_groups"."mode" = $1 AND "customer_groups"."id" = ANY($2) OR "customers"."id" = ANY($3)`,
		wantArgs: []any{"LIVE", []string{"cgr_a", "cgr_b"}, []string{"cus_a"}},
	}, {
		name:     "an edge column without the _id suffix is a foreign key too",
		q:        `SELECT 1 FROM "customers" WHERE "customers"."customer_group_customers" IN ($1, $2)`,
		args:     []any{"cgr_a", "cgr_b"},
		wantQ:    `SELECT 1 FROM "customers" WHERE "customers"."customer_group_customers" = ANY($1)`,
		wantArgs: []any{[]string{"cgr_a", "cgr_b"}},
	}, {
		name: "a column that is not a key keeps its values in view",
		q:    `SELECT 1 FROM "orders" WHERE "orders"."status" IN ($1, $2) AND "orders"."mode" = $3`,
		args: []any{"PLACED", "DRAFT", "TEST"},
	}, {
		name: "NOT IN is left alone",
		q:    `SELECT 1 FROM "orders" WHERE "orders"."customer_id" NOT IN ($1, $2)`,
		args: []any{"cus_a", "cus_b"},
	}, {
		name: "an unqualified column is left alone",
		q:    `SELECT 1 FROM "orders" WHERE "customer_id" IN ($1, $2)`,
		args: []any{"cus_a", "cus_b"},
	}, {
		name: "a key list of mixed types is left alone",
		q:    `SELECT 1 FROM "orders" WHERE "orders"."id" IN ($1, $2)`,
		args: []any{"ord_a", int64(2)},
	}, {
		name: "parameters out of sequence are left alone",
		q:    `SELECT 1 FROM "orders" WHERE "orders"."id" IN ($2, $1)`,
		args: []any{"ord_a", "ord_b"},
	}, {
		name: "a list with something else in it is left alone",
		q:    `SELECT 1 FROM "orders" WHERE "orders"."id" IN ($1, 'x')`,
		args: []any{"ord_a"},
	}, {
		name:     "quoted text is copied, not renumbered or rewritten",
		q:        `SELECT '"orders"."id" IN ($1, $2)', "a$1" FROM "orders" WHERE "orders"."id" IN ($1, $2) AND "orders"."number" = $3`,
		args:     []any{"ord_a", "ord_b", int64(7)},
		wantQ:    `SELECT '"orders"."id" IN ($1, $2)', "a$1" FROM "orders" WHERE "orders"."id" = ANY($1) AND "orders"."number" = $2`,
		wantArgs: []any{[]string{"ord_a", "ord_b"}, int64(7)},
	}, {
		name: "a list whose parameter is used again elsewhere is left alone",
		q:    `SELECT 1 FROM "orders" WHERE "orders"."id" IN ($1, $2) OR "orders"."number" = $2`,
		args: []any{"ord_a", "ord_b"},
	}, {
		name:     "integer keys",
		q:        `SELECT 1 FROM "events" WHERE "events"."id" IN ($1, $2) AND "events"."mode" = $3`,
		args:     []any{int64(1), int64(2), "TEST"},
		wantQ:    `SELECT 1 FROM "events" WHERE "events"."id" = ANY($1) AND "events"."mode" = $2`,
		wantArgs: []any{[]int64{1, 2}, "TEST"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			q, args := store.KeyArrays(c.q, c.args)
			if c.wantQ == "" {
				c.wantQ, c.wantArgs = c.q, c.args
			}
			require.Equal(t, c.wantQ, q)
			require.Equal(t, c.wantArgs, args)
		})
	}
}

// On Postgres, what reaches the server is the array form: the children of
// 3 parents and of 5 parents are loaded with one prepared statement, and no
// statement with a key list was prepared.
func TestKeyListsReachPostgresAsOneArray(t *testing.T) {
	t.Parallel()
	url := testenv.DatabaseURL(t)
	ctx := context.Background()
	db, err := store.Open(url, nil)
	require.NoError(t, err)
	defer db.Close()
	if db.Dialect != dialect.Postgres {
		t.Skip("SQLite has no arrays: key lists stay lists")
	}
	require.NoError(t, db.Migrate(ctx))
	addCustomers(t, db.Client, 0, 5)
	// One connection, so that pg_prepared_statements below is the one
	// ent's statements were prepared on.
	db.SQL.SetMaxOpenConns(1)
	sys := viewer.SystemContext(ctx, viewer.Test)
	for _, n := range []int{3, 5} {
		cs, err := db.Client.Customer.Query().Limit(n).WithOrders().WithCustomerGroup().All(sys)
		require.NoError(t, err)
		require.Len(t, cs, n)
	}
	var withArray, withList int
	require.NoError(t, db.SQL.QueryRow(`SELECT
  COUNT(*) FILTER (WHERE statement LIKE '%"orders"."customer_id" = ANY($1)%'),
  COUNT(*) FILTER (WHERE statement ~ '"\."[a-z_]+" IN \(\$')
FROM pg_prepared_statements WHERE statement NOT LIKE '%pg_prepared_statements%'`).Scan(&withArray, &withList))
	require.Equal(t, 1, withArray, "one statement loads the orders of any number of customers")
	require.Zero(t, withList, "no key list reached the server")
}

// Whatever the text, KeyArrays does not panic, keeps the statement when it
// finds no key list, and otherwise keeps every parameter outside the lists
// and their count: one array per list.
func FuzzKeyArrays(f *testing.F) {
	f.Add(`SELECT 1 FROM "orders" WHERE "orders"."customer_id" IN ($1, $2) AND "orders"."mode" = $3`, 3)
	f.Add(`"orders"."id" IN ($1`, 1)
	f.Add(`"orders"."id" IN ($`, 0)
	f.Add(`'unterminated "orders"."id" IN ($1)`, 1)
	f.Add(`"orders"."id" IN ($2, $3) $1 $9999999`, 3)
	f.Add(`"orders"."id" IN ($0)`, 1)
	f.Fuzz(func(t *testing.T, q string, n int) {
		if n < 0 || n > 64 {
			return
		}
		args := make([]any, n)
		for i := range args {
			args[i] = "v"
		}
		got, gotArgs := store.KeyArrays(q, args)
		arrays := 0
		for _, a := range gotArgs {
			if _, ok := a.([]string); ok {
				arrays++
			}
		}
		if arrays == 0 {
			require.Equal(t, q, got)
			require.Equal(t, args, gotArgs)
			return
		}
		require.Equal(t, arrays, strings.Count(got, " = ANY($")-strings.Count(q, " = ANY($"))
		folded := 0
		for _, a := range gotArgs {
			if s, ok := a.([]string); ok {
				folded += len(s)
			} else {
				folded++
			}
		}
		require.Equal(t, n, folded, "every argument is kept, in a list or alone")
	})
}

// Random statements of key lists, other lists, comparisons and quoted
// text: once every parameter is replaced by its value, the rewritten
// statement reads as the original (an array as the list of its values).
func TestKeyArraysKeepsEveryValueInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var q strings.Builder
		var args []any
		next := func() string {
			args = append(args, fmt.Sprintf("v%d", len(args)+1))
			return "$" + strconv.Itoa(len(args))
		}
		q.WriteString(`SELECT 1 FROM "orders" WHERE TRUE`)
		for range rng.IntN(6) {
			switch rng.IntN(5) {
			case 0, 1: // a key list
				col := []string{`"orders"."customer_id"`, `"orders"."id"`, `"customers"."customer_group_customers"`}[rng.IntN(3)]
				q.WriteString(" AND " + col + " IN (")
				for j := range 1 + rng.IntN(4) {
					if j > 0 {
						q.WriteString(", ")
					}
					q.WriteString(next())
				}
				q.WriteString(")")
			case 2: // a list of another column
				q.WriteString(` AND "orders"."status" IN (` + next() + ", " + next() + ")")
			case 3:
				q.WriteString(` AND "orders"."mode" = ` + next())
			case 4:
				q.WriteString(` AND 'it''s $1 "orders"."id" IN ($1)' <> ` + next())
			}
		}
		got, gotArgs := store.KeyArrays(q.String(), args)
		require.Equal(t, expand(t, q.String(), args), expand(t, got, gotArgs), "%s\n%s", q.String(), got)
	}
}

// expand replaces each $n outside quotes by its value, and ` = ANY($n)` by
// ` IN (values…)`.
func expand(t *testing.T, q string, args []any) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(q); {
		switch {
		case q[i] == '\'':
			j := i + 1
			for ; j < len(q); j++ {
				if q[j] == '\'' {
					if j+1 < len(q) && q[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			b.WriteString(q[i : j+1])
			i = j + 1
		case strings.HasPrefix(q[i:], " = ANY($"):
			j := i + len(" = ANY($")
			k := j
			for k < len(q) && q[k] >= '0' && q[k] <= '9' {
				k++
			}
			n, err := strconv.Atoi(q[j:k])
			require.NoError(t, err)
			vals, ok := args[n-1].([]string)
			require.True(t, ok, "$%d is an array", n)
			b.WriteString(" IN (" + strings.Join(vals, ", ") + ")")
			i = k + 1 // the closing parenthesis
		case q[i] == '$':
			k := i + 1
			for k < len(q) && q[k] >= '0' && q[k] <= '9' {
				k++
			}
			n, err := strconv.Atoi(q[i+1 : k])
			require.NoError(t, err)
			b.WriteString(args[n-1].(string))
			i = k
		default:
			b.WriteByte(q[i])
			i++
		}
	}
	return b.String()
}
