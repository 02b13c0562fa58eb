package schema

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gen "clientele/ent"
	"clientele/ent/attachment"
	"clientele/ent/hook"
	"clientele/ent/migrate"
	"clientele/internal/apperr"
	"clientele/internal/clock"
	"clientele/internal/metadata"
	"clientele/internal/resource"
	"clientele/internal/viewer"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// timesHook stamps a resource's creation and update times from the clock
// in the context (package clock). A create keeps a creation time it was
// given (the seed's history), and starts with its update time equal to it.
func timesHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		now := clock.Now(ctx)
		if m.Op().Is(ent.OpCreate) {
			if v, ok := m.Field("created_at"); ok {
				now = v.(time.Time)
			} else if err := m.SetField("created_at", now); err != nil {
				return nil, err
			}
		}
		if _, ok := m.Field("updated_at"); !ok && m.Op().Is(ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne) {
			if err := m.SetField("updated_at", now); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}

// edgeModeHook refuses a write that points an edge at a record that does
// not exist in the caller's mode, is invisible to the caller, or is of the
// wrong type (a foreign key alone would accept a record of the other mode).
// Such references answer NOT_FOUND on the input field, exactly like a
// missing record. An anonymous storefront may reference records it cannot
// read only where the target allows it (Access.StorefrontRefs: a newsletter
// subscription or a password reset names its customer).
func edgeModeHook(r *resource.Resource) ent.Hook {
	edges := gen.EdgeTables[r.Table()]
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if !m.Op().Is(ent.OpCreate | ent.OpUpdateOne) {
				return next.Mutate(ctx, m)
			}
			v := viewer.FromContext(ctx)
			storefront := v != nil && v.Kind == viewer.SalesChannel
			for _, e := range m.AddedEdges() {
				target, ok := resource.ByTable(edges[e])
				if !ok {
					continue
				}
				lookup := ctx
				if storefront && target.Access.StorefrontRefs {
					lookup = viewer.Elevated(ctx)
				}
				for _, id := range m.AddedIDs(e) {
					id, _ := id.(string)
					missing := target.NotFound(apperr.FieldName(e) + "ID")
					if got, ok := resource.ByID(id); !ok || got != target || storefront && !target.Access.StorefrontRefs {
						return nil, missing
					}
					found, err := m.(mutation).Client().NodesOf(lookup, target.Table(), id)
					if err != nil {
						return nil, err
					}
					if found[id] == nil {
						return nil, missing
					}
				}
			}
			return next.Mutate(ctx, m)
		})
	}
}

// takenHook answers a write that collides with a unique index with TAKEN on
// the input field the index makes unique, whichever database reports it.
func takenHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil && gen.IsConstraintError(err) {
			if field, ok := uniqueFields[violatedIndex(err)]; ok {
				return nil, apperr.New(apperr.Taken, apperr.Field(field), "%s is already taken", field)
			}
		}
		return v, err
	})
}

// uniqueIndex is a unique index of the generated schema.
type uniqueIndex struct {
	name, table string
	columns     []string
}

// uniqueIndexes are read once, when the program starts: the migration
// rewrites the generated table descriptions in place while it runs, so they
// are not read afterwards.
var uniqueIndexes = func() []uniqueIndex {
	var out []uniqueIndex
	for _, t := range migrate.Tables {
		for _, ix := range t.Indexes {
			if ix.Unique && len(ix.Columns) > 0 {
				u := uniqueIndex{name: ix.Name, table: t.Name}
				for _, c := range ix.Columns {
					u.columns = append(u.columns, c.Name)
				}
				out = append(out, u)
			}
		}
	}
	return out
}()

// uniqueFields is the one table from unique indexes to the input field a
// collision is reported on: the index's last column (mode, customer_id and
// the like scope the uniqueness; the last column is what the caller chose).
// It is read from the generated schema, so new and renamed indexes need no
// entry here.
var uniqueFields = func() map[string]string {
	out := map[string]string{}
	for _, ix := range uniqueIndexes {
		out[ix.name] = apperr.FieldName(ix.columns[len(ix.columns)-1])
	}
	return out
}()

// violatedIndex returns the name of the unique index a constraint error
// violated, or "". PostgreSQL names it; SQLite names only the table and
// columns ("UNIQUE constraint failed: customers.mode, customers.email"),
// which name one index of the generated schema.
func violatedIndex(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	var se sqlite3.Error
	if !errors.As(err, &se) || se.ExtendedCode != sqlite3.ErrConstraintUnique {
		return ""
	}
	_, cols, ok := strings.Cut(se.Error(), "UNIQUE constraint failed: ")
	if !ok {
		return ""
	}
	var table string
	var names []string
	for _, c := range strings.Split(cols, ", ") {
		t, col, _ := strings.Cut(c, ".")
		table, names = t, append(names, col)
	}
	for _, ix := range uniqueIndexes {
		if ix.table == table && slices.Equal(ix.columns, names) {
			return ix.name
		}
	}
	return ""
}

// attachmentsHook deletes a record's attachments with it (r.AttachedBy).
// They are found before the record goes (the column's foreign key would
// clear it) and deleted after, only if the delete was allowed; as a
// consequence of an allowed delete, with the server's rights.
func attachmentsHook(r *resource.Resource) ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			mu, ok := m.(mutation)
			if !ok {
				return nil, fmt.Errorf("attachments: unexpected mutation %T", m)
			}
			idList, err := mu.IDs(ctx)
			if err != nil {
				return nil, err
			}
			sys := viewer.Elevated(ctx)
			c := mu.Client()
			attached, err := c.Attachment.Query().Where(sql.FieldIn(r.AttachedBy, idList...)).IDs(sys)
			if err != nil {
				return nil, err
			}
			v, err := next.Mutate(ctx, m)
			if err != nil || len(attached) == 0 {
				return v, err
			}
			if _, err := c.Attachment.Delete().Where(attachment.IDIn(attached...)).Exec(sys); err != nil {
				return nil, fmt.Errorf("delete the attachments of deleted %s records: %w", r.Table(), err)
			}
			return v, nil
		})
	}, ent.OpDelete|ent.OpDeleteOne)
}

// metadataHook checks every metadata object written (metadata.Check),
// whichever path writes it: a create, an update, a merge; GraphQL, REST,
// the seed.
func metadataHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if v, ok := m.Field("metadata"); ok {
			md, _ := v.(map[string]any)
			if err := metadata.Check(md); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}
