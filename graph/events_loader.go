package graph

import (
	"context"
	"strings"

	"clientele/ent"
	"clientele/ent/event"
	"clientele/ent/predicate"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
)

// The events connection of a record (every type but Customer, whose events
// are an ent edge that entgql loads with the customers) is read in batches:
// the pages of all the records whose same events field a response resolves
// come from one query, a window function numbering each record's events
// (ROW_NUMBER() OVER (PARTITION BY resource_id ORDER BY …)), plus, when
// totalCount is asked and a page does not tell it, one grouped COUNT. Both
// go through ent with the request's context, so the mode and the access
// rules apply as to any other read.

// eventArgs are the arguments and selection of one events field of the
// query document; every record under that field shares them.
type eventArgs struct {
	after, before *ent.Cursor
	first, last   *int
	orderBy       []*ent.EventOrder
	where         *ent.EventWhereInput
	rows          bool                    // edges or pageInfo are selected
	total         bool                    // totalCount is selected
	node          *graphql.CollectedField // edges.node, if selected
}

// newEventArgs reads the events field being resolved.
func newEventArgs(ctx context.Context, after *ent.Cursor, first *int, before *ent.Cursor, last *int, orderBy []*ent.EventOrder, where *ent.EventWhereInput) *eventArgs {
	a := &eventArgs{after: after, first: first, before: before, last: last, orderBy: orderBy, where: where}
	fc, oc := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, []string{"EventConnection"}) {
		switch f.Name {
		case "totalCount":
			a.total = true
		case "pageInfo":
			a.rows = true
		case "edges":
			a.rows = true
			for _, n := range graphql.CollectFields(oc, f.Selections, []string{"EventEdge"}) {
				if n.Name == "node" {
					a.node = &n
				}
			}
		}
	}
	return a
}

// valid reports whether the batched read can serve the arguments; when it
// cannot, the record's own Paginate answers, with the usual errors.
func (a *eventArgs) valid() bool {
	if a.first != nil && a.last != nil || a.first != nil && *a.first < 0 || a.last != nil && *a.last < 0 {
		return false
	}
	seen := map[string]bool{}
	for _, o := range a.orderBy {
		if o == nil || o.Field == nil || o.Direction.Validate() != nil {
			return false
		}
		c := orderColumn(o)
		if !event.ValidColumn(c) || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// orderColumn is the column an ordering term sorts by (SEQUENCE: sequence).
func orderColumn(o *ent.EventOrder) string { return strings.ToLower(o.Field.String()) }

// limit is the number of rows to read per record: one more than the page,
// to learn whether there is a next one; 0 reads them all.
func (a *eventArgs) limit() int {
	switch {
	case a.first != nil:
		return *a.first + 1
	case a.last != nil:
		return *a.last + 1
	}
	return 0
}

// resourceEvents resolves the events connection of the record with the
// given ID.
func (r *Resolver) resourceEvents(ctx context.Context, id string, after *ent.Cursor, first *int, before *ent.Cursor, last *int, orderBy []*ent.EventOrder, where *ent.EventWhereInput) (*ent.EventConnection, error) {
	a := newEventArgs(ctx, after, first, before, last, orderBy, where)
	if !a.valid() {
		return r.ent(ctx).Event.Query().Where(event.ResourceID(id)).Paginate(ctx, after, first, before, last, ent.WithEventOrder(orderBy), ent.WithEventFilter(where.Filter))
	}
	l := loaders(ctx)
	if c := txClient(ctx); c != nil || l == nil {
		// Inside a mutation the reads must see its transaction.
		if c == nil {
			c = r.client
		}
		conns, err := eventPages(ctx, c, a, []string{id})
		if err != nil {
			return nil, err
		}
		return conns[0], nil
	}
	return l.events(ctx, a, id)
}

// eventPages reads the events page of each of the given records.
func eventPages(ctx context.Context, c *ent.Client, a *eventArgs, ids []string) ([]*ent.EventConnection, error) {
	q, err := a.where.Filter(c.Event.Query().Where(event.ResourceIDIn(ids...)))
	if err != nil {
		return nil, err
	}
	// An empty page (first: 0) tells whether there are events by their
	// count, as the generated pagination does.
	empty := a.first != nil && *a.first == 0 || a.last != nil && *a.last == 0
	count := a.total || empty && a.rows
	var counted *ent.EventQuery
	if count {
		counted = q.Clone()
	}
	limit := a.limit()
	page := map[string][]*ent.Event{}
	read := a.rows && !empty
	if read {
		if q, err = a.applyCursors(q); err != nil {
			return nil, err
		}
		if a.node != nil {
			// The requested fields of the events, and their edges, eager
			// loaded (Event.customer) as for any connection.
			nctx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: *a.node})
			if q, err = q.CollectFields(nctx); err != nil {
				return nil, err
			}
		}
		q.Modify(a.window(limit))
		rows, err := q.All(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range rows {
			page[e.ResourceID] = append(page[e.ResourceID], e)
		}
	}
	totals := map[string]int{}
	if count {
		var rest []string
		for _, id := range ids {
			// A page read without a cursor that is not full holds every
			// event of its record: no need to count them.
			if read && a.after == nil && a.before == nil && (limit == 0 || len(page[id]) < limit) {
				totals[id] = len(page[id])
			} else {
				rest = append(rest, id)
			}
		}
		if len(rest) > 0 {
			var v []struct {
				ResourceID string `json:"resource_id"`
				Count      int    `json:"count"`
			}
			err := counted.Where(event.ResourceIDIn(rest...)).
				GroupBy(event.FieldResourceID).Aggregate(ent.Count()).Scan(ctx, &v)
			if err != nil {
				return nil, err
			}
			for _, row := range v {
				totals[row.ResourceID] = row.Count
			}
		}
	}
	out := make([]*ent.EventConnection, len(ids))
	for i, id := range ids {
		if empty {
			out[i] = &ent.EventConnection{Edges: []*ent.EventEdge{}, TotalCount: totals[id]}
			out[i].PageInfo.HasNextPage = a.first != nil && totals[id] > 0
			out[i].PageInfo.HasPreviousPage = a.last != nil && totals[id] > 0
			continue
		}
		out[i] = a.connection(page[id], totals[id])
	}
	return out, nil
}

// direction is an ordering term's direction as read: reversed for last.
func (a *eventArgs) direction(d entgql.OrderDirection) entgql.OrderDirection {
	if a.last != nil {
		return d.Reverse()
	}
	return d
}

// applyCursors keeps the events after `after` and before `before`, as the
// generated pagination does.
func (a *eventArgs) applyCursors(q *ent.EventQuery) (*ent.EventQuery, error) {
	opts := &entgql.MultiCursorsOptions{FieldID: event.FieldID, DirectionID: a.direction(entgql.OrderDirectionAsc)}
	for _, o := range a.orderBy {
		opts.Fields = append(opts.Fields, orderColumn(o))
		opts.Directions = append(opts.Directions, a.direction(o.Direction))
	}
	ps, err := entgql.MultiCursorsPredicate(a.after, a.before, opts)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		q = q.Where(predicate.Event(p))
	}
	return q, nil
}

// window orders the events (by the ordering terms, ties by ID) and, given
// a limit, keeps that many per record. It runs after every filter (the
// caller's where, the mode, the access rules), so each record's rows are
// numbered among the visible ones only.
func (a *eventArgs) window(limit int) func(*sql.Selector) {
	order := sql.ExprFunc(func(b *sql.Builder) {
		for _, o := range a.orderBy {
			b.Ident(orderColumn(o)).Pad().WriteString(string(a.direction(o.Direction))).Comma()
		}
		b.Ident(event.FieldID).Pad().WriteString(string(a.direction(entgql.OrderDirectionAsc)))
	})
	return func(s *sql.Selector) {
		// The record and the ordering columns must be read even when the
		// query selects only the requested fields.
		need := []string{event.FieldResourceID}
		for _, o := range a.orderBy {
			need = append(need, orderColumn(o))
		}
		for _, c := range need {
			if len(s.FindSelection(c)) == 0 {
				s.AppendSelect(s.C(c))
			}
		}
		if limit > 0 {
			entgql.LimitPerRow(event.FieldResourceID, limit, order)(s)
		}
		s.OrderExpr(order)
	}
}

// connection builds a record's connection from its rows, in reading order,
// as the generated pagination does.
func (a *eventArgs) connection(nodes []*ent.Event, total int) *ent.EventConnection {
	c := &ent.EventConnection{Edges: []*ent.EventEdge{}, TotalCount: total}
	c.PageInfo.HasNextPage = a.before != nil
	c.PageInfo.HasPreviousPage = a.after != nil
	if a.first != nil && *a.first+1 == len(nodes) {
		c.PageInfo.HasNextPage = true
		nodes = nodes[:len(nodes)-1]
	} else if a.last != nil && *a.last+1 == len(nodes) {
		c.PageInfo.HasPreviousPage = true
		nodes = nodes[:len(nodes)-1]
	}
	c.Edges = make([]*ent.EventEdge, len(nodes))
	for i := range nodes {
		n := nodes[i]
		if a.last != nil {
			n = nodes[len(nodes)-1-i]
		}
		v := make([]any, 0, len(a.orderBy))
		for _, o := range a.orderBy {
			x, _ := o.Field.Value(n)
			v = append(v, x)
		}
		c.Edges[i] = &ent.EventEdge{Node: n, Cursor: ent.Cursor{ID: n.ID, Value: v}}
	}
	if l := len(c.Edges); l > 0 {
		c.PageInfo.StartCursor = &c.Edges[0].Cursor
		c.PageInfo.EndCursor = &c.Edges[l-1].Cursor
	}
	if c.TotalCount == 0 {
		c.TotalCount = len(nodes)
	}
	return c
}
