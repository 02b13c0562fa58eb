package graph

import (
	"context"
	"time"

	"clientele/ent"
	"clientele/ent/customer"

	"github.com/vikstrous/dataloadgen"
)

// batchWait is how long a loader waits to gather keys. gqlgen resolves the
// fields of list items concurrently, so their loads arrive together; a full
// batch (batchCapacity) is sent at once without waiting.
const (
	batchWait     = 2 * time.Millisecond
	batchCapacity = 100
)

// Loaders batch the reads that ent's eager loading cannot: the polymorphic
// parents of attachments and events, and customers reached from many
// records. They are made per response and read with the root client in the
// caller's context (mode and access rules apply); inside a mutation
// resolver they are bypassed, so reads see the transaction's writes.
type Loaders struct {
	customers *dataloadgen.Loader[string, *ent.Customer]
	nodes     *dataloadgen.Loader[string, ent.Noder]
}

type loadersKey struct{}

func newLoaders(c *ent.Client) *Loaders {
	opts := []dataloadgen.Option{dataloadgen.WithWait(batchWait), dataloadgen.WithBatchCapacity(batchCapacity)}
	return &Loaders{
		customers: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []string) (map[string]*ent.Customer, error) {
			rows, err := c.Customer.Query().Where(customer.IDIn(keys...)).All(ctx)
			if err != nil {
				return nil, err
			}
			out := make(map[string]*ent.Customer, len(rows))
			for _, r := range rows {
				out[r.ID] = r
			}
			return out, nil
		}, opts...),
		nodes: dataloadgen.NewLoader(func(ctx context.Context, keys []string) ([]ent.Noder, []error) {
			return fetchNodes(ctx, c, keys)
		}, opts...),
	}
}

func loaders(ctx context.Context) *Loaders {
	l, _ := ctx.Value(loadersKey{}).(*Loaders)
	return l
}

func (l *Loaders) customer(ctx context.Context, id string) (*ent.Customer, error) {
	if c := txClient(ctx); c != nil {
		return c.Customer.Get(ctx, id)
	}
	return l.customers.Load(ctx, id)
}

func (l *Loaders) node(ctx context.Context, id string) (ent.Noder, error) {
	if c := txClient(ctx); c != nil {
		nodes, errs := fetchNodes(ctx, c, []string{id})
		return nodes[0], errs[0]
	}
	return l.nodes.Load(ctx, id)
}
