package graph

import (
	"context"
	"time"

	"clientele/ent"
	"clientele/ent/event"
	"clientele/ent/predicate"
	"clientele/internal/reqctx"
	"clientele/internal/store"
	"clientele/internal/viewer"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// followBatch is how many events one poll reads at most.
const followBatch = 100

// followEvents streams the events the caller may see, in sequence order,
// by polling the event log: it works the same whichever replica wrote an
// event. Because an event's sequence is taken under a row lock held until
// commit, sequence order is commit order and polling "after the last seen
// sequence" never skips an event. The stream ends with the subscription,
// or when the server shuts down.
func (r *Resolver) followEvents(ctx context.Context, names []string, resourceID *string, after *int) (<-chan *ent.Event, error) {
	if err := r.recheckViewer(ctx); err != nil {
		return nil, err
	}
	var preds []predicate.Event
	if len(names) > 0 {
		preds = append(preds, event.NameIn(names...))
	}
	if resourceID != nil {
		preds = append(preds, event.ResourceID(*resourceID))
	}
	var last int64
	if after != nil {
		last = int64(*after)
	} else {
		top, err := r.client.Event.Query().Order(ent.Desc(event.FieldSequence)).Select(event.FieldSequence).First(ctx)
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return nil, err
		default:
			last = top.Sequence
		}
	}
	ch := make(chan *ent.Event, 16)
	if r.metrics != nil {
		r.metrics.SubscriptionStarted()
	}
	go func() {
		defer close(ch)
		if r.metrics != nil {
			defer r.metrics.SubscriptionEnded()
		}
		tick := time.NewTicker(r.pollInterval)
		defer tick.Stop()
		checked := time.Now()
		for {
			if time.Since(checked) >= r.recheckInterval {
				checked = time.Now()
				if err := r.recheckViewer(ctx); err != nil {
					endStream(ctx, CodeUnauthenticated, "The subscription ended: the credential, token or session is no longer valid.")
					return
				}
			}
			rows, err := r.client.Event.Query().
				Where(append([]predicate.Event{event.SequenceGT(last)}, preds...)...).
				Order(ent.Asc(event.FieldSequence)).
				Limit(followBatch).
				All(ctx)
			if err != nil && ctx.Err() != nil {
				return
			}
			for _, e := range rows {
				select {
				case ch <- e:
					last = e.Sequence
				case <-ctx.Done():
					return
				}
			}
			if len(rows) == followBatch {
				continue // more are waiting
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return ch, nil
}

// recheckViewer re-validates the subscriber's credentials. A database that
// cannot answer is not the caller's fault: the stream goes on (its polls
// fail the same way) and the next check decides.
func (r *Resolver) recheckViewer(ctx context.Context) error {
	v := viewer.FromContext(ctx)
	if r.recheck == nil || v == nil || v.Kind == viewer.System {
		return nil
	}
	if err := r.recheck(ctx, v); err != nil && !store.Unavailable(err) {
		return &codedError{code: CodeUnauthenticated, msg: "The credential, token or session is no longer valid."}
	}
	return nil
}

// endStream reports to a WebSocket client why the server ended one of its
// subscriptions (a graphql-transport-ws "error" message); SSE streams
// simply complete.
func endStream(ctx context.Context, code, msg string) {
	if reqctx.WebSocket(ctx) {
		transport.AddSubscriptionError(ctx, &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}})
	}
}
