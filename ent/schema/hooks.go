package schema

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gen "clientele/ent"
	"clientele/ent/counter"
	"clientele/ent/customer"
	"clientele/ent/customerpasswordreset"
	"clientele/ent/intercept"
	"clientele/internal/apperr"
	"clientele/internal/clock"
	"clientele/internal/gqlscalar"
	"clientele/internal/lifecycle"
	"clientele/internal/resource"
	"clientele/internal/viewer"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
)

// mutation is what every generated mutation of a resource offers.
type mutation interface {
	ent.Mutation
	ID() (string, bool)
	IDs(ctx context.Context) ([]string, error)
	WhereP(...func(*sql.Selector))
	Client() *gen.Client
}

// secretFields never reach an event payload (the session epoch and the
// creator of an address are internal bookkeeping, not secrets, but no
// business of an event's reader, and no field of the schema).
var secretFields = []string{customer.FieldPassword, customerpasswordreset.FieldTokenHash, "session_epoch", "created_by_customer_id"}

// machines maps each table to its state machine, if it has one.
var machines = resource.Machines()

// fieldActions names the platform's dedicated events for some field
// changes; the fields they cover stay out of the plain update event.
var fieldActions = map[string][]struct {
	field, action   string
	payload, covers []string
}{
	string(resource.Customers): {
		{field: customer.FieldPassword, action: "create_password", payload: []string{}, covers: []string{customer.FieldPassword}},
		{field: "metadata", action: "metadata_update", payload: []string{"metadata"}, covers: []string{"metadata"}},
	},
	string(resource.CustomerPasswordResets): {
		{field: "reset_password_at", action: "reset_password", payload: []string{"reset_password_at"}, covers: []string{"reset_password_at", customerpasswordreset.FieldTokenHash}},
	},
}

// modeHook binds every write to the caller's mode: creates take it, updates
// and deletes only reach rows of it.
func modeHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		v := viewer.FromContext(ctx)
		if v == nil || !v.Mode.Valid() {
			return nil, apperr.New(apperr.Unauthenticated, nil, "no caller in context")
		}
		if m.Op().Is(ent.OpCreate) {
			if err := m.SetField("mode", v.Mode); err != nil {
				return nil, err
			}
		} else {
			m.(mutation).WhereP(sql.FieldEQ("mode", string(v.Mode)))
		}
		return next.Mutate(ctx, m)
	})
}

// modeInterceptor makes every query, edge traversal and eager load see only
// rows of the caller's mode.
var modeInterceptor = intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
	v := viewer.FromContext(ctx)
	if v == nil || !v.Mode.Valid() {
		return apperr.New(apperr.Unauthenticated, nil, "no caller in context")
	}
	q.WhereP(sql.FieldEQ("mode", string(v.Mode)))
	return nil
})

// pendingEvent is an event to record once the change is saved. Its payload
// is keyed by column; writeEvents presents it as the schema does.
type pendingEvent struct {
	ctx     context.Context // the recording hook's: its caller's mode and rights
	table   string
	action  string
	id      string
	owner   *string
	payload map[string]any
}

// recordHook applies the table's state machine to status changes and
// records an Event for every create, update, delete and transition in the
// outbox of the mutation's transaction (see outbox).
func recordHook(table string) ent.Hook {
	machine := machines[table]
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			ob, ctx, own := joinOutbox(ctx)
			// The slot is taken before the change runs, so the events of
			// the changes this one causes (nested mutations) come after
			// its own.
			slot := ob.reserve()
			v, events, err := changeEvents(ctx, table, machine, m, next)
			if err != nil {
				return nil, err
			}
			for i := range events {
				events[i].ctx, events[i].table = ctx, table
			}
			ob.fill(slot, events)
			if d := rowDelta(m, v); d != 0 {
				ob.count(table, modeOf(ctx), d)
			}
			if own {
				events, counts := ob.take()
				return v, writeEvents(m.(mutation).Client(), events, counts)
			}
			return v, nil
		})
	}
}

// changeEvents runs the change and returns the events it records.
func changeEvents(ctx context.Context, table string, machine *lifecycle.Machine, m ent.Mutation, next ent.Mutator) (ent.Value, []pendingEvent, error) {
	mu := m.(mutation)
	var events []pendingEvent
	switch {
	case m.Op().Is(ent.OpCreate):
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, nil, err
		}
		id, _ := mu.ID()
		owner := ownerOnCreate(table, id, m)
		events = append(events, pendingEvent{action: "create", id: id, owner: owner, payload: payloadOf(m, nil)})
		if table == string(resource.Customers) && slices.Contains(m.Fields(), customer.FieldPassword) {
			events = append(events, pendingEvent{action: "create_password", id: id, owner: owner, payload: map[string]any{}})
		}
		return v, events, nil
	case m.Op().Is(ent.OpUpdateOne):
		id, _ := mu.ID()
		moves, managed, err := applyMachine(ctx, machine, mu)
		if err != nil {
			return nil, nil, err
		}
		// Old values can only be read before the update runs.
		owner := ownerOnUpdate(ctx, table, id, m)
		v, err := next.Mutate(ctx, m)
		if err != nil {
			if len(moves) > 0 && gen.IsNotFound(err) {
				// The compare-and-swap lost: the status moved under us.
				return nil, nil, moves[0].err
			}
			return nil, nil, err
		}
		for _, mv := range moves {
			events = append(events, pendingEvent{action: mv.t.Action, id: id, owner: owner,
				payload: map[string]any{mv.t.Field: map[string]any{"from": mv.from, "to": mv.t.To}}})
		}
		skip := append([]string{"updated_at"}, managed...)
		for _, fa := range fieldActions[table] {
			if slices.Contains(m.Fields(), fa.field) || slices.Contains(m.ClearedFields(), fa.field) {
				events = append(events, pendingEvent{action: fa.action, id: id, owner: owner, payload: payloadOf(m, fa.payload)})
				skip = append(skip, fa.covers...)
			}
		}
		p := without(payloadOf(m, nil), skip)
		for _, f := range m.ClearedFields() {
			if !slices.Contains(skip, f) {
				p[f] = nil
			}
		}
		if len(p) > 0 {
			events = append(events, pendingEvent{action: "update", id: id, owner: owner, payload: p})
		}
		return v, events, nil
	case m.Op().Is(ent.OpUpdate):
		// Bulk updates are the server's own follow-ups (e.g. copying
		// an address's new name into address-book entries); state
		// machines apply to single updates only, so a bulk update
		// may not touch a status.
		if machine != nil {
			for _, f := range machine.Fields() {
				if _, ok := m.Field(f); ok {
					return nil, nil, fmt.Errorf("bulk update of %s.%s is not allowed: move statuses one record at a time", table, f)
				}
			}
		}
		idList, owners, v, err := mutateMany(ctx, table, mu, next)
		if err != nil {
			return nil, nil, err
		}
		p := without(payloadOf(m, nil), []string{"updated_at"})
		for _, id := range idList {
			events = append(events, pendingEvent{action: "update", id: id, owner: owners[id], payload: p})
		}
		return v, events, nil
	default: // OpDelete, OpDeleteOne
		idList, owners, v, err := mutateMany(ctx, table, mu, next)
		if err != nil {
			return nil, nil, err
		}
		if n, ok := v.(int); ok && n == 0 {
			// Nothing was deleted (a delete of one record that is gone,
			// or whose expected version moved): nothing to record.
			return v, nil, nil
		}
		for _, id := range idList {
			owner := owners[id]
			if table == string(resource.Customers) {
				owner = nil // the customer is gone; its events keep no owner
			}
			events = append(events, pendingEvent{action: "destroy", id: id, owner: owner, payload: map[string]any{"id": id}})
		}
		return v, events, nil
	}
}

// mutateMany runs a mutation that may touch many records (a bulk update, a
// delete), with the records' IDs and owners read before it runs: events
// name both, and after a delete neither can be read.
func mutateMany(ctx context.Context, table string, mu mutation, next ent.Mutator) ([]string, map[string]*string, ent.Value, error) {
	idList, err := mu.IDs(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	owners, err := ownersOf(ctx, mu.Client(), table, idList)
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := next.Mutate(ctx, mu)
	return idList, owners, v, err
}

// move is one status change a mutation asks for.
type move struct {
	t    *lifecycle.Transition
	from string
	err  error
}

// applyMachine checks each status change of an update against the machine,
// turns it into a compare-and-swap on the old value and sets the move's
// timestamps and sibling fields. It returns the moves and the fields they
// manage (kept out of the plain update event).
func applyMachine(ctx context.Context, machine *lifecycle.Machine, m mutation) ([]move, []string, error) {
	if machine == nil {
		return nil, nil, nil
	}
	var moves []move
	var managed []string
	for _, f := range machine.Fields() {
		nv, ok := m.Field(f)
		if !ok {
			continue
		}
		ov, err := m.OldField(ctx, f)
		if err != nil {
			return nil, nil, err
		}
		from, to := fmt.Sprint(ov), fmt.Sprint(nv)
		current := func(g string) string {
			if v, ok := m.Field(g); ok {
				return fmt.Sprint(v)
			}
			v, _ := m.OldField(ctx, g)
			return fmt.Sprint(v)
		}
		noun := resource.ForMachine(machine).Noun
		t, err := machine.Find(noun, f, from, to, current)
		if err != nil {
			return nil, nil, err
		}
		m.WhereP(sql.FieldEQ(f, from))
		now := clock.Now(ctx)
		for _, s := range t.Stamp {
			if err := m.SetField(s, now); err != nil {
				return nil, nil, err
			}
			managed = append(managed, s)
		}
		for k, v := range t.Set {
			if err := setString(ctx, m, k, v); err != nil {
				return nil, nil, err
			}
			managed = append(managed, k)
		}
		managed = append(managed, f)
		moves = append(moves, move{t: t, from: from, err: lifecycle.Refused(noun, f, from, to)})
	}
	return moves, managed, nil
}

// setString sets an enum field from its string value, converting it to the
// field's generated Go type.
func setString(ctx context.Context, m ent.Mutation, name, value string) error {
	old, err := m.OldField(ctx, name)
	if err != nil {
		return err
	}
	return m.SetField(name, reflect.ValueOf(value).Convert(reflect.TypeOf(old)).Interface())
}

// payloadOf returns the mutation's set fields (only those in `only`, if
// given), never secrets, and never the version: it changes with every
// change, so an event would only repeat that.
func payloadOf(m ent.Mutation, only []string) map[string]any {
	p := map[string]any{}
	for _, f := range m.Fields() {
		if slices.Contains(secretFields, f) || f == fieldVersion || (only != nil && !slices.Contains(only, f)) {
			continue
		}
		v, _ := m.Field(f)
		p[f] = v
	}
	if only == nil {
		// An edge without a field of its own (a customer's group) is a
		// change too: it appears under the edge's name with the ID it
		// now points at, or null. Edges with a field are in already.
		for _, e := range m.AddedEdges() {
			if ids := m.AddedIDs(e); len(ids) == 1 && !hasEdgeField(m, e) {
				p[e] = ids[0]
			}
		}
		for _, e := range m.ClearedEdges() {
			if !hasEdgeField(m, e) {
				p[e] = nil
			}
		}
	}
	return p
}

// hasEdgeField reports whether a change of edge e is also a change of a
// field (order.customer is held in customer_id): setting or clearing such
// an edge sets or clears its field.
func hasEdgeField(m ent.Mutation, e string) bool {
	_, set := m.Field(e + "_id")
	return set || m.FieldCleared(e+"_id")
}

func without(p map[string]any, keys []string) map[string]any {
	out := make(map[string]any, len(p))
	for k, v := range p {
		if !slices.Contains(keys, k) {
			out[k] = v
		}
	}
	return out
}

// ownerOnCreate returns the customer who owns the record a create makes
// (the resource's Owner column), if any.
func ownerOnCreate(table, id string, m ent.Mutation) *string {
	r, _ := resource.ByTable(table)
	switch {
	case r == nil || r.Owner == "":
		return nil
	case r.Owner == "id":
		return &id
	}
	return stringOf(m.Field(r.Owner))
}

// ownerOnUpdate returns the customer who owns the record an update changes.
func ownerOnUpdate(ctx context.Context, table, id string, m ent.Mutation) *string {
	r, _ := resource.ByTable(table)
	switch {
	case r == nil || r.Owner == "":
		return nil
	case r.Owner == "id":
		return &id
	}
	v, err := m.OldField(ctx, r.Owner)
	return stringOf(v, err == nil)
}

// stringOf returns a string or *string field value as a *string.
func stringOf(v ent.Value, ok bool) *string {
	if !ok {
		return nil
	}
	switch s := v.(type) {
	case string:
		return &s
	case *string:
		return s
	}
	return nil
}

// ownersOf returns the owning customer of each record about to be deleted
// or updated in bulk (the resource's Owner column).
func ownersOf(ctx context.Context, c *gen.Client, table string, idList []string) (map[string]*string, error) {
	r, _ := resource.ByTable(table)
	switch {
	case r == nil || r.Owner == "":
		return map[string]*string{}, nil
	case r.Owner == "id":
		owners := make(map[string]*string, len(idList))
		for _, id := range idList {
			owners[id] = &id
		}
		return owners, nil
	}
	owners, err := c.StringsOf(viewer.Elevated(ctx), table, r.Owner, idList...)
	if err != nil {
		return nil, fmt.Errorf("load owners of %s: %w", table, err)
	}
	return owners, nil
}

// outbox collects the events of one transaction and writes them when it
// commits: in cause order (each change's slot is taken when it starts, so
// a transition comes before the changes it causes, e.g. orders.place before
// customers.acquired), each with the next value of the global event
// sequence. The sequence counter's row is incremented just before the
// commit and stays locked until it ends, so sequence order is commit order
// and a reader following the log by sequence never skips an event that
// commits late.
//
// A transaction opened with its Tx in the context (gen.NewTxContext) gets
// one outbox, written by a commit hook and dropped on rollback: its
// mutations must run on that Tx's client. Without one (a client outside a
// transaction, or a Tx the context does not carry), the outermost recording
// hook writes the events of its change and of what it caused as soon as
// that change is saved, with the change's client: atomically with it inside
// a transaction, right after it otherwise.
//
// It also collects how many rows the transaction's changes added to or
// removed from each table in each mode, and adds that to the tables' row
// counters (gen.RowCountName) in the same commit, after the sequence: the
// totalCount of an unfiltered root connection reads them.
type outbox struct {
	mu     sync.Mutex
	slots  [][]pendingEvent
	counts map[string]int64 // row counter name -> rows added (or removed)
}

type outboxKey struct{}

// txOutboxes holds the outbox of each open transaction that has recorded
// something; its commit or rollback removes it.
var txOutboxes sync.Map // *gen.Tx -> *outbox

// joinOutbox returns the outbox the hook records into and a context that
// carries it to nested changes; own tells whether the hook writes it.
func joinOutbox(ctx context.Context) (*outbox, context.Context, bool) {
	if ob, ok := ctx.Value(outboxKey{}).(*outbox); ok {
		return ob, ctx, false
	}
	if tx := gen.TxFromContext(ctx); tx != nil {
		ob := txOutbox(tx)
		return ob, context.WithValue(ctx, outboxKey{}, ob), false
	}
	ob := &outbox{}
	return ob, context.WithValue(ctx, outboxKey{}, ob), true
}

// txOutbox returns the outbox of tx, creating it and its commit and
// rollback hooks on first use.
func txOutbox(tx *gen.Tx) *outbox {
	if ob, ok := txOutboxes.Load(tx); ok {
		return ob.(*outbox)
	}
	ob := &outbox{}
	if prev, loaded := txOutboxes.LoadOrStore(tx, ob); loaded {
		return prev.(*outbox)
	}
	tx.OnCommit(func(next gen.Committer) gen.Committer {
		return gen.CommitFunc(func(ctx context.Context, tx *gen.Tx) error {
			txOutboxes.Delete(tx)
			events, counts := ob.take()
			if err := writeEvents(tx.Client(), events, counts); err != nil {
				if rerr := tx.Rollback(); rerr != nil {
					return fmt.Errorf("%w (rollback: %v)", err, rerr)
				}
				return err
			}
			return next.Commit(ctx, tx)
		})
	})
	tx.OnRollback(func(next gen.Rollbacker) gen.Rollbacker {
		return gen.RollbackFunc(func(ctx context.Context, tx *gen.Tx) error {
			txOutboxes.Delete(tx)
			return next.Rollback(ctx, tx)
		})
	})
	return ob
}

// reserve takes the next slot.
func (o *outbox) reserve() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.slots = append(o.slots, nil)
	return len(o.slots) - 1
}

// fill puts a saved change's events into its slot; the slot of a change
// that failed stays empty.
func (o *outbox) fill(slot int, events []pendingEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.slots[slot] = events
}

// count adds d to the rows of table in mode.
func (o *outbox) count(table string, mode viewer.Mode, d int64) {
	if !mode.Valid() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.counts == nil {
		o.counts = map[string]int64{}
	}
	o.counts[gen.RowCountName(table, mode)] += d
}

// take empties the outbox and returns its events in slot order, and its
// row counts.
func (o *outbox) take() ([]pendingEvent, map[string]int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []pendingEvent
	for _, s := range o.slots {
		out = append(out, s...)
	}
	counts := o.counts
	o.slots, o.counts = nil, nil
	return out, counts
}

// rowDelta is how many rows a saved change added to its table (negative:
// removed): one per create, and the deleted rows of a delete.
func rowDelta(m ent.Mutation, v ent.Value) int64 {
	switch {
	case m.Op().Is(ent.OpCreate):
		return 1
	case m.Op().Is(ent.OpDelete) || m.Op().Is(ent.OpDeleteOne):
		if n, ok := v.(int); ok {
			return -int64(n)
		}
	}
	return 0
}

// eventBatch bounds the rows of one INSERT of events.
const eventBatch = 200

// writeEvents stores the events in order, numbered with consecutive values
// of the global event sequence taken in one statement, and inserted in
// batches; each batch runs in the context of its events' recording (the
// caller's mode). Then it adds counts, and the events written, to the row
// counters (addRowCounts).
func writeEvents(c *gen.Client, events []pendingEvent, counts map[string]int64) error {
	if len(events) == 0 {
		return addRowCounts(context.Background(), c, counts)
	}
	last, err := nextValues(context.WithoutCancel(events[0].ctx), c, "events", int64(len(events)))
	if err != nil {
		return err
	}
	seq := last - int64(len(events))
	// A customer deleted in the transaction owns none of its events (the
	// database clears the owner of those already written).
	gone := map[string]bool{}
	for _, e := range events {
		if e.table == string(resource.Customers) && e.action == "destroy" {
			gone[e.id] = true
		}
	}
	for start := 0; start < len(events); {
		ctx := context.WithoutCancel(events[start].ctx)
		mode := modeOf(ctx)
		end := start
		var batch []*gen.EventCreate
		for end < len(events) && len(batch) < eventBatch && modeOf(events[end].ctx) == mode {
			e := events[end]
			if e.owner != nil && gone[*e.owner] {
				e.owner = nil
			}
			seq++
			batch = append(batch, c.Event.Create().
				SetSequence(seq).
				SetName(e.table+"."+e.action).
				SetResourceType(e.table).
				SetResourceID(e.id).
				SetNillableOwnerCustomerID(e.owner).
				SetPayload(presentPayload(e.payload)))
			end++
		}
		if err := c.Event.CreateBulk(batch...).Exec(ctx); err != nil {
			return fmt.Errorf("record event %s.%s: %w", events[start].table, events[start].action, err)
		}
		if mode.Valid() {
			if counts == nil {
				counts = map[string]int64{}
			}
			counts[gen.RowCountName(string(resource.Events), mode)] += int64(len(batch))
		}
		start = end
	}
	return addRowCounts(context.WithoutCancel(events[0].ctx), c, counts)
}

// addRowCounts adds to each named row counter its count, in one UPDATE.
// A counter that does not exist yet stays missing (store.Migrate creates
// it from a COUNT; until then the totalCounts of its table are counted).
// In a transaction it runs after the event sequence's increment, whose row
// lock orders the writers: their counter rows never deadlock.
func addRowCounts(ctx context.Context, c *gen.Client, counts map[string]int64) error {
	names := make([]string, 0, len(counts))
	for name, d := range counts {
		if d != 0 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	// Server-made names (checked like nextValues's) and numbers: literals,
	// no placeholders.
	var cases, in strings.Builder
	for i, name := range names {
		if !validCounterName(name) {
			return fmt.Errorf("invalid counter name %q", name)
		}
		fmt.Fprintf(&cases, " WHEN '%s' THEN %d", name, counts[name])
		if i > 0 {
			in.WriteString(", ")
		}
		in.WriteString("'" + name + "'")
	}
	q := "UPDATE " + counter.Table + " SET value = value + CASE id" + cases.String() + " END WHERE id IN (" + in.String() + ")"
	if _, err := c.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	return nil
}

// modeOf returns the mode of the caller in ctx, if any.
func modeOf(ctx context.Context) viewer.Mode {
	if v := viewer.FromContext(ctx); v != nil {
		return v.Mode
	}
	return ""
}

// presentPayload writes a payload the way the GraphQL schema shows the
// resource: fields by their GraphQL names (customerGroupID, not
// customer_group_id) and times as the Time scalar does (RFC 3339, UTC,
// milliseconds). Values inside a field (metadata, a transition's from and
// to) are kept as they are.
func presentPayload(p map[string]any) map[string]any {
	out := make(map[string]any, len(p))
	for k, v := range p {
		switch t := v.(type) {
		case time.Time:
			v = t.UTC().Format(gqlscalar.TimeLayout)
		case *time.Time:
			if t == nil {
				v = nil
			} else {
				v = t.UTC().Format(gqlscalar.TimeLayout)
			}
		}
		out[apperr.FieldName(k)] = v
	}
	return out
}

// NextValue atomically increments the named counter and returns its new
// value, in one statement (an upsert with RETURNING, which SQLite and
// PostgreSQL both speak). It must run inside the caller's transaction; on
// PostgreSQL the counter row then stays locked until commit.
func NextValue(ctx context.Context, c *gen.Client, name string) (int64, error) {
	return nextValues(ctx, c, name, 1)
}

// nextValues adds n to the named counter like NextValue and returns its
// new value: the caller owns the n values up to it.
func nextValues(ctx context.Context, c *gen.Client, name string, n int64) (int64, error) {
	if !validCounterName(name) {
		return 0, fmt.Errorf("invalid counter name %q", name)
	}
	if n < 1 {
		return 0, fmt.Errorf("invalid counter step %d", n)
	}
	// The name is server-made and checked above, and n is a number, so
	// both can be literals: the statement needs no placeholders, whose
	// syntax differs by dialect.
	step := strconv.FormatInt(n, 10)
	rows, err := c.QueryContext(ctx, "INSERT INTO "+counter.Table+" (id, value) VALUES ('"+name+"', "+step+") "+
		"ON CONFLICT (id) DO UPDATE SET value = "+counter.Table+".value + "+step+" RETURNING value")
	if err != nil {
		return 0, fmt.Errorf("increment counter %s: %w", name, err)
	}
	defer rows.Close()
	var v int64
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("increment counter %s: %w", name, err)
		}
		return 0, fmt.Errorf("increment counter %s: no row returned", name)
	}
	if err := rows.Scan(&v); err != nil {
		return 0, fmt.Errorf("increment counter %s: %w", name, err)
	}
	return v, rows.Close()
}

// validCounterName reports whether a counter name is safe as an SQL
// string literal.
func validCounterName(name string) bool {
	for _, r := range name {
		if !(r == '_' || r == ':' || r == '-' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')) {
			return false
		}
	}
	return name != ""
}

// immutableHook refuses updates and deletes: events are never changed.
func immutableHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if !m.Op().Is(ent.OpCreate) {
			return nil, apperr.New(apperr.Forbidden, nil, "events are immutable")
		}
		return next.Mutate(ctx, m)
	})
}
