package graph

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"clientele/ent"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// A batch waits batchWait for keys, and longer while a list whose records
// ask for keys in it has records still to ask: gqlgen resolves the fields
// of a list's records concurrently, and on a busy machine the last of them
// may start a good while after the first. It stops waiting for them when
// none has asked for batchStall (a record that fails before asking) or
// after batchMaxWait in all. A full batch (batchCapacity keys) goes at once.
const (
	batchWait     = 2 * time.Millisecond
	batchStall    = 100 * time.Millisecond
	batchMaxWait  = time.Second
	batchCapacity = 100
)

// Loaders batch the reads that ent's eager loading cannot: the polymorphic
// parents of attachments and events, and customers reached from many
// records, all by ID through one loader; and the events connections of
// records, by record ID through one loader per events field of the
// document. They are made per response and read with the root client in
// the caller's context (mode and access rules apply); inside a mutation
// resolver they are bypassed, so reads see the transaction's writes.
type Loaders struct {
	client *ent.Client
	nodes  *batcher[ent.Noder]

	mu    sync.Mutex
	pages map[*ast.Field]*batcher[*ent.EventConnection]
}

type loadersKey struct{}

func newLoaders(c *ent.Client) *Loaders {
	return &Loaders{
		client: c,
		nodes:  newBatcher(func(ctx context.Context, keys []string) ([]ent.Noder, []error) { return fetchNodes(ctx, c, keys) }),
		pages:  map[*ast.Field]*batcher[*ent.EventConnection]{},
	}
}

func loaders(ctx context.Context) *Loaders {
	l, _ := ctx.Value(loadersKey{}).(*Loaders)
	return l
}

func (l *Loaders) customer(ctx context.Context, id string) (*ent.Customer, error) {
	n, err := l.node(ctx, id)
	if err != nil {
		return nil, err
	}
	c, ok := n.(*ent.Customer)
	if !ok {
		return nil, fmt.Errorf("%s is not a customer", id)
	}
	return c, nil
}

func (l *Loaders) node(ctx context.Context, id string) (ent.Noder, error) {
	if c := txClient(ctx); c != nil {
		nodes, errs := fetchNodes(ctx, c, []string{id})
		return nodes[0], errs[0]
	}
	return l.nodes.load(ctx, id)
}

// events returns the events page of the record with the given ID for the
// events field being resolved (whose arguments are a).
func (l *Loaders) events(ctx context.Context, a *eventArgs, id string) (*ent.EventConnection, error) {
	key := graphql.GetFieldContext(ctx).Field.Field
	l.mu.Lock()
	b, ok := l.pages[key]
	if !ok {
		b = newBatcher(func(ctx context.Context, ids []string) ([]*ent.EventConnection, []error) {
			conns, err := eventPages(ctx, l.client, a, ids)
			if err != nil {
				return nil, []error{err}
			}
			return conns, nil
		})
		l.pages[key] = b
	}
	l.mu.Unlock()
	return b.load(ctx, id)
}

// batcher loads values by key for one response, in batches (see
// batchWait); each key is fetched once.
type batcher[V any] struct {
	fetch func(ctx context.Context, keys []string) ([]V, []error)

	mu    sync.Mutex
	asked map[string]*loaded[V]
	open  *loadBatch[V]
	lists map[listKey]*listState
}

// loaded is the value of a key, once done is closed.
type loaded[V any] struct {
	done chan struct{}
	v    V
	err  error
}

type loadBatch[V any] struct {
	ctx     context.Context
	keys    []string
	results []*loaded[V]
	waiting map[*listState]bool // lists with records still to ask
	opened  time.Time
	last    time.Time // of the last record that asked
	sent    bool
}

// listKey is a field of the records of a list: listed records ask for its
// keys together.
type listKey struct {
	field *ast.Field
	list  *graphql.FieldContext
}

// listState counts the records of a list that asked.
type listState struct{ want, asked int }

func newBatcher[V any](fetch func(context.Context, []string) ([]V, []error)) *batcher[V] {
	return &batcher[V]{fetch: fetch, asked: map[string]*loaded[V]{}, lists: map[listKey]*listState{}}
}

// load returns the value of key, asked for by the field being resolved.
func (b *batcher[V]) load(ctx context.Context, key string) (V, error) {
	r := b.enqueue(ctx, key)
	select {
	case <-r.done:
		return r.v, r.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

func (b *batcher[V]) enqueue(ctx context.Context, key string) *loaded[V] {
	lk, want := listOf(graphql.GetFieldContext(ctx))
	b.mu.Lock()
	defer b.mu.Unlock()
	var st *listState
	if want > 0 {
		if st = b.lists[lk]; st == nil {
			st = &listState{want: want}
			b.lists[lk] = st
		}
		st.asked++
	}
	r, ok := b.asked[key]
	if !ok {
		r = &loaded[V]{done: make(chan struct{})}
		b.asked[key] = r
		bt := b.open
		if bt == nil {
			now := time.Now()
			bt = &loadBatch[V]{ctx: ctx, waiting: map[*listState]bool{}, opened: now}
			b.open = bt
			var tick func()
			tick = func() {
				b.mu.Lock()
				defer b.mu.Unlock()
				if wait := b.wait(bt, time.Now()); wait > 0 {
					time.AfterFunc(wait, tick)
					return
				}
				b.send(bt)
			}
			time.AfterFunc(batchWait, tick)
		}
		bt.keys = append(bt.keys, key)
		bt.results = append(bt.results, r)
		if st != nil && st.asked < st.want {
			bt.waiting[st] = true
		}
		if len(bt.keys) >= batchCapacity {
			b.send(bt)
		}
	}
	if bt := b.open; bt != nil {
		bt.last = time.Now()
		if b.wait(bt, bt.last) == 0 {
			b.send(bt)
		}
	}
	return r
}

// wait returns how much longer the batch waits, 0 if it can go. The caller
// holds b.mu.
func (b *batcher[V]) wait(bt *loadBatch[V], now time.Time) time.Duration {
	if bt.sent {
		return 0
	}
	if d := bt.opened.Add(batchWait).Sub(now); d > 0 {
		return d
	}
	complete := true
	for st := range bt.waiting {
		complete = complete && st.asked >= st.want
	}
	if complete {
		return 0
	}
	return max(0, min(bt.last.Add(batchStall).Sub(now), bt.opened.Add(batchMaxWait).Sub(now)))
}

// send fetches the batch's keys. The caller holds b.mu.
func (b *batcher[V]) send(bt *loadBatch[V]) {
	if bt.sent {
		return
	}
	bt.sent = true
	if b.open == bt {
		b.open = nil
	}
	go func() {
		values, errs := b.safeFetch(bt.ctx, bt.keys)
		for i, r := range bt.results {
			switch {
			case len(errs) == 1: // the batch's error, or its one key's
				r.err = errs[0]
			case i < len(errs):
				r.err = errs[i]
			}
			if r.err == nil {
				if i < len(values) {
					r.v = values[i]
				} else {
					r.err = fmt.Errorf("loader: %d values for %d keys", len(values), len(bt.keys))
				}
			}
			close(r.done)
		}
	}()
}

func (b *batcher[V]) safeFetch(ctx context.Context, keys []string) (values []V, errs []error) {
	defer func() {
		if p := recover(); p != nil {
			values, errs = nil, []error{fmt.Errorf("loader panic: %v", p)}
		}
	}()
	return b.fetch(ctx, keys)
}

// listOf tells which list the record whose field is being resolved sits in,
// and how many records of the same type that list holds: each of them
// resolves the same field at about the same time. It follows plain fields
// (edges[i].node) from each element of the list to the record, and gives up
// (want 0) when the record is in no list or a resolver lies on the way.
func listOf(fc *graphql.FieldContext) (listKey, int) {
	if fc == nil || fc.Parent == nil {
		return listKey{}, 0
	}
	obj := deref(reflect.ValueOf(fc.Parent.Result))
	if !obj.IsValid() || obj.Kind() != reflect.Pointer {
		return listKey{}, 0
	}
	var path []string
	it := fc.Parent
	for ; it != nil && it.Index == nil; it = it.Parent {
		if it.IsMethod || it.IsResolver {
			return listKey{}, 0
		}
		path = append([]string{it.Field.Name}, path...)
	}
	if it == nil || it.Parent == nil {
		return listKey{}, 0
	}
	list := it.Parent
	v := reflect.ValueOf(list.Result)
	if v.Kind() != reflect.Slice {
		return listKey{}, 0
	}
	want := 0
	for i := 0; i < v.Len(); i++ {
		p := v.Index(i)
		for _, name := range path {
			if p = structField(p, name); !p.IsValid() {
				break
			}
		}
		if p = deref(p); p.IsValid() && p.Kind() == reflect.Pointer && !p.IsNil() && p.Type() == obj.Type() {
			want++
		}
	}
	return listKey{fc.Field.Field, list}, want
}

// deref unwraps interfaces, and pointers to pointers or interfaces, down to
// one pointer (or a non-pointer value).
func deref(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Interface && !v.IsNil() ||
		v.Kind() == reflect.Pointer && !v.IsNil() && (v.Elem().Kind() == reflect.Pointer || v.Elem().Kind() == reflect.Interface)) {
		v = v.Elem()
	}
	return v
}

// structField reads the exported struct field a GraphQL field binds to
// (node: Node).
func structField(v reflect.Value, name string) reflect.Value {
	v = deref(v)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return v.FieldByNameFunc(func(f string) bool { return strings.EqualFold(f, name) })
}
