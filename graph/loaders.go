package graph

import (
	"context"
	"fmt"
	"time"

	"clientele/ent"

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
// records, all by ID through one loader. They are made per response and read with the root client in the
// caller's context (mode and access rules apply); inside a mutation
// resolver they are bypassed, so reads see the transaction's writes.
type Loaders struct {
	nodes *dataloadgen.Loader[string, ent.Noder]
}

type loadersKey struct{}

func newLoaders(c *ent.Client) *Loaders {
	opts := []dataloadgen.Option{dataloadgen.WithWait(batchWait), dataloadgen.WithBatchCapacity(batchCapacity)}
	return &Loaders{
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
	return l.nodes.Load(ctx, id)
}
