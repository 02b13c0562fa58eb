package resource_test

import (
	"slices"
	"testing"

	"clientele/ent/migrate"
	"clientele/internal/ids"
	"clientele/internal/resource"

	entschema "entgo.io/ent/dialect/sql/schema"
	"github.com/stretchr/testify/require"
)

// columns returns the columns of a table of the generated schema.
func columns(t *testing.T, table string) []string {
	t.Helper()
	for _, tb := range migrate.Tables {
		if tb.Name == table {
			var out []string
			for _, c := range tb.Columns {
				out = append(out, c.Name)
			}
			return out
		}
	}
	t.Fatalf("no table %s in the schema", table)
	return nil
}

// isResource tells the tables of resources (resourceMixin: mode and both
// times) from internal ones (counters, credentials, settings, keys).
func isResource(tb *entschema.Table) bool {
	has := func(name string) bool {
		return slices.ContainsFunc(tb.Columns, func(c *entschema.Column) bool { return c.Name == name })
	}
	return has("mode") && has("created_at") && has("updated_at")
}

// TestRegistryMatchesSchema checks that every resource table of the schema
// has a description, and that every column a description names exists.
func TestRegistryMatchesSchema(t *testing.T) {
	described := map[string]bool{}
	for _, r := range resource.All() {
		described[r.Table()] = true
	}
	for _, tb := range migrate.Tables {
		if isResource(tb) {
			require.True(t, described[tb.Name], "table %s has no entry in internal/resource", tb.Name)
		}
	}
	for _, r := range resource.All() {
		t.Run(r.Table(), func(t *testing.T) {
			cols := columns(t, r.Table())
			require.NotEmpty(t, r.Noun)
			require.True(t, ids.Valid(ids.New(r.Prefix), r.Prefix))
			if r.Owner != "" {
				require.Contains(t, cols, r.Owner)
			}
			// Every record that can change has a version (optimistic
			// concurrency); the event log never changes.
			require.Equal(t, !r.Log, slices.Contains(cols, "version"), "version column of %s", r.Table())
			if s := r.Access.CustomerStamp; s != "" {
				require.Contains(t, cols, s)
			}
			require.NotEmpty(t, r.Visible, "customers must be able to own some records of every type")
			for _, v := range r.Visible {
				require.Contains(t, cols, v.Column)
				if v.Via != "" {
					via := resource.Get(v.Via)
					require.Contains(t, columns(t, via.Table()), v.Pick)
					require.NotEmpty(t, via.Owner, "%s is reached through %s, which has no owner column", r.Name, via.Name)
				}
			}
			if r.Machine != nil {
				require.Same(t, r, resource.ForMachine(r.Machine))
				for _, f := range r.Machine.Fields() {
					require.Contains(t, cols, f)
				}
			}
			for f := range r.Access.CustomerMoves {
				require.NotNil(t, r.Machine)
				require.Contains(t, r.Machine.Fields(), f)
			}
		})
	}
}

// TestByID checks node routing by prefix.
func TestByID(t *testing.T) {
	for _, r := range resource.All() {
		got, ok := resource.ByID(ids.New(r.Prefix))
		require.True(t, ok)
		require.Same(t, r, got)
	}
	for _, id := range []string{"", "cus_", "cus_123", ids.New(ids.Credential), "xyz_01JD3Q8Z1K9Y8F7M6N5B4V3C2X"} {
		_, ok := resource.ByID(id)
		require.False(t, ok, id)
	}
}
