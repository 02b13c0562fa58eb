package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"clientele/ent"
	"clientele/ent/order"
	"clientele/internal/clock"
	"clientele/internal/viewer"

	"github.com/schollz/progressbar/v3"
)

// seedArgs are the flags of `clientele seed`.
type seedArgs struct {
	customers, addresses, orders, groups, batch int
	seed                                        uint64
	mode                                        string
}

// defaultSeedArgs are the defaults of `clientele seed`.
func defaultSeedArgs() seedArgs {
	return seedArgs{customers: 1000, addresses: 2, orders: 3, groups: 10, batch: 500, seed: 1, mode: "test"}
}

func seedFlags(fs *flag.FlagSet, o *seedArgs) {
	fs.IntVar(&o.customers, "customers", o.customers, "customers to create")
	fs.IntVar(&o.addresses, "addresses", o.addresses, "address-book entries per customer")
	fs.IntVar(&o.orders, "orders", o.orders, "orders per customer")
	fs.IntVar(&o.groups, "groups", o.groups, "customer groups")
	fs.IntVar(&o.batch, "batch", o.batch, "customers per transaction")
	fs.Uint64Var(&o.seed, "seed", o.seed, "seed of the random source (same seed, same data)")
	fs.StringVar(&o.mode, "mode", o.mode, "test or live")
}

var (
	firstNames = []string{"ann", "bob", "carla", "dario", "elena", "fabio", "giulia", "hugo", "irene", "jonas", "kim", "luca", "marta", "nils", "olga", "pietro"}
	lastNames  = []string{"rossi", "smith", "garcia", "müller", "dubois", "bianchi", "jensen", "novak", "silva", "tanaka", "kowalski", "ferrari"}
	cities     = []string{"Milano", "Roma", "Torino", "Berlin", "Paris", "Madrid", "Lisboa", "Wien", "Praha", "Oslo"}
	currencies = []string{"EUR", "EUR", "EUR", "USD", "GBP"}
	segments   = []string{"retail", "wholesale", "vip", "outlet"}
)

// seed fills the database with reproducible customers, groups, address
// books and orders, in transactions of --batch customers. Every write goes
// through the ent hooks like any other, with the clock (package clock) set
// to the historical time of each change: orders are created, then marked
// pending and placed by their state machine, so numbers, placed times,
// placed-order counts, customer statuses and events are what the rules make
// of that history (seed_test.go checks them).
func seed(ctx context.Context, cfg Config, stdout io.Writer) error {
	o := cfg.Seed
	mode, err := viewer.ParseMode(o.mode)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg.DatabaseURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx = viewer.SystemContext(ctx, mode)
	start := time.Now()
	groups := make([]string, 0, o.groups)
	for i := 0; i < o.groups; i++ {
		g, err := db.Client.CustomerGroup.Create().SetName(fmt.Sprintf("Group %d", i)).SetCode(fmt.Sprintf("g%d-%d", o.seed, i)).Save(ctx)
		if err != nil {
			return fmt.Errorf("create group: %w", err)
		}
		groups = append(groups, g.ID)
	}
	var bar *progressbar.ProgressBar
	if fi, err := os.Stdout.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && stdout == os.Stdout {
		bar = progressbar.NewOptions(o.customers, progressbar.OptionSetDescription("seeding customers"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetPredictTime(true))
	}
	for from := 0; from < o.customers; from += o.batch {
		to := min(from+o.batch, o.customers)
		if err := seedBatch(ctx, db.Client, o, groups, from, to); err != nil {
			return err
		}
		if bar != nil {
			_ = bar.Add(to - from)
		}
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "seeded %d customers, %d addresses, %d orders in %s (%s)\n",
		o.customers, o.customers*o.addresses, o.customers*o.orders, time.Since(start).Round(time.Millisecond), redact(cfg.DatabaseURL))
	return db.Analyze(ctx)
}

func seedBatch(ctx context.Context, c *ent.Client, o seedArgs, groups []string, from, to int) error {
	tx, err := c.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	tc := tx.Client()
	now := time.Now()
	custs := make([]*ent.CustomerCreate, 0, to-from)
	rngs := make([]*rand.Rand, 0, to-from)
	for i := from; i < to; i++ {
		rng := rand.New(rand.NewPCG(o.seed, uint64(i)))
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		b := tc.Customer.Create().
			SetEmail(fmt.Sprintf("%s.%s.%d@example.com", first, strings.ReplaceAll(last, "ü", "u"), i)).
			SetMetadata(map[string]any{"segment": segments[rng.IntN(len(segments))], "newsletter": rng.IntN(2) == 0}).
			SetCreatedAt(now.Add(-time.Duration(91*24+rng.IntN(365*24)) * time.Hour))
		if rng.IntN(10) < 7 && len(groups) > 0 {
			b.SetCustomerGroupID(groups[rng.IntN(len(groups))])
		}
		if rng.IntN(2) == 0 {
			b.SetReference(fmt.Sprintf("CRM-%07d", i)).SetReferenceOrigin("crm")
		}
		custs = append(custs, b)
		rngs = append(rngs, rng)
	}
	created, err := saveChunked(custs, func(b []*ent.CustomerCreate) ([]*ent.Customer, error) {
		return tc.Customer.CreateBulk(b...).Save(ctx)
	})
	if err != nil {
		return fmt.Errorf("create customers: %w", err)
	}
	var addrs []*ent.AddressCreate
	for k, cu := range created {
		rng := rngs[k]
		for j := 0; j < o.addresses; j++ {
			addrs = append(addrs, tc.Address.Create().
				SetFirstName(firstNames[rng.IntN(len(firstNames))]).SetLastName(lastNames[rng.IntN(len(lastNames))]).
				SetLine1(fmt.Sprintf("Via %s %d", strings.ToUpper(cu.Email[:1]), 1+rng.IntN(200))).
				SetCity(cities[rng.IntN(len(cities))]).SetZipCode(fmt.Sprintf("%05d", rng.IntN(100000))).
				SetCountryCode("IT").SetPhone(fmt.Sprintf("+39 %09d", rng.IntN(1_000_000_000))))
		}
	}
	addrRows, err := saveChunked(addrs, func(b []*ent.AddressCreate) ([]*ent.Address, error) {
		return tc.Address.CreateBulk(b...).Save(ctx)
	})
	if err != nil {
		return fmt.Errorf("create addresses: %w", err)
	}
	var entries []*ent.CustomerAddressCreate
	var orders []*ent.OrderCreate
	var plans []orderPlan
	for k, cu := range created {
		for j := 0; j < o.addresses; j++ {
			entries = append(entries, tc.CustomerAddress.Create().SetCustomerID(cu.ID).SetAddressID(addrRows[k*o.addresses+j].ID))
		}
		rng := rngs[k]
		for j := 0; j < o.orders; j++ {
			p := orderPlan{placed: rng.IntN(10) < 6, at: now.Add(-time.Duration(1+rng.IntN(90*24)) * time.Hour)}
			sub := int64(500 + rng.IntN(20000))
			ship := int64(rng.IntN(3) * 500)
			tax := sub * 22 / 100
			orders = append(orders, tc.Order.Create().SetCustomerID(cu.ID).SetCurrencyCode(currencies[rng.IntN(len(currencies))]).
				SetSubtotalAmountCents(sub).SetShippingAmountCents(ship).SetTotalTaxAmountCents(tax).
				SetTotalAmountCents(sub+ship+tax).SetCreatedAt(p.at.Add(-time.Hour)))
			plans = append(plans, p)
		}
	}
	if _, err := saveChunked(entries, func(b []*ent.CustomerAddressCreate) ([]*ent.CustomerAddress, error) {
		return tc.CustomerAddress.CreateBulk(b...).Save(ctx)
	}); err != nil {
		return fmt.Errorf("create address book: %w", err)
	}
	if len(orders) == 0 {
		return tx.Commit()
	}
	rows, err := saveChunked(orders, func(b []*ent.OrderCreate) ([]*ent.Order, error) {
		return tc.Order.CreateBulk(b...).Save(ctx)
	})
	if err != nil {
		return fmt.Errorf("create orders: %w", err)
	}
	// Every order goes pending, and the placed ones are placed, in the
	// order of their times: the customer's count and status move as they
	// would have.
	for i := range plans {
		plans[i].id = rows[i].ID
	}
	slices.SortStableFunc(plans, func(a, b orderPlan) int { return a.at.Compare(b.at) })
	for _, p := range plans {
		at := clock.At(ctx, p.at)
		if err := tc.Order.UpdateOneID(p.id).SetStatus(order.StatusPENDING).Exec(at); err != nil {
			return fmt.Errorf("mark order pending: %w", err)
		}
		if !p.placed {
			continue
		}
		if err := tc.Order.UpdateOneID(p.id).SetStatus(order.StatusPLACED).Exec(at); err != nil {
			return fmt.Errorf("place order: %w", err)
		}
	}
	return tx.Commit()
}

// bulkRows is the most rows one bulk insert of the seed writes: SQLite
// takes at most 32,766 bound values per statement, and an order has 26
// columns (--batch 500 with --orders 4 made 52,000: "too many SQL
// variables").
const bulkRows = 500

// saveChunked saves builders in bulk inserts of at most bulkRows rows, and
// returns the rows in the builders' order.
func saveChunked[B, R any](builders []B, save func([]B) ([]R, error)) ([]R, error) {
	out := make([]R, 0, len(builders))
	for len(builders) > 0 {
		n := min(len(builders), bulkRows)
		rows, err := save(builders[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		builders = builders[n:]
	}
	return out, nil
}

// orderPlan is what becomes of a seeded order, and when.
type orderPlan struct {
	id     string
	placed bool
	at     time.Time
}
