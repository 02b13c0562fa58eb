package graph_test

import (
	"strings"
	"testing"

	"clientele/internal/metadata"

	"github.com/stretchr/testify/require"
)

// nested returns a metadata object levels deep.
func nested(levels int) map[string]any {
	m := map[string]any{"leaf": true}
	for range levels - 1 {
		m = map[string]any{"k": m}
	}
	return m
}

// TestMetadataIsBounded walks every mutation that writes metadata to a
// record it names (merges, and updates whose input has metadata): a
// document nested deeper than metadata.MaxDepth is INVALID, one larger
// than metadata.MaxBytes TOO_LONG, both on the metadata field and with
// nothing changed; one at the depth limit is taken. Creates obey the same
// hook (checked on createCustomer).
func TestMetadataIsBounded(t *testing.T) {
	e := lcNewEnv(t)
	schema := vsSchema(t, e)
	big := map[string]any{"blob": strings.Repeat("x", metadata.MaxBytes)}
	var walked int
	for _, f := range vsIDMutations(schema) {
		var set func(args map[string]any, md map[string]any)
		switch {
		case f.arg("metadata") != nil:
			set = func(args, md map[string]any) { args["metadata"] = md }
		case f.arg("input") != nil && hasInputField(schema[*f.arg("input").named().Name], "metadata"):
			set = func(args, md map[string]any) { args["input"] = map[string]any{"metadata": md} }
		default:
			continue
		}
		walked++
		t.Run(f.Name, func(t *testing.T) {
			id, _ := vsFixtures[f.Name](t, e)
			doc := vsMutation(schema, f.Name)
			with := func(md map[string]any) map[string]any {
				args := map[string]any{"id": id}
				set(args, md)
				return args
			}
			before := vsSnapshot(t, e, schema)
			lcRequireRefused(t, e.Do(t, doc, with(nested(metadata.MaxDepth+1))), f.Name, "INVALID", "metadata")
			lcRequireRefused(t, e.Do(t, doc, with(big)), f.Name, "TOO_LONG", "metadata")
			require.Equal(t, before, vsSnapshot(t, e, schema), "a refused %s changed something", f.Name)
			r := e.Do(t, doc, with(nested(metadata.MaxDepth)))
			require.Empty(t, lcUserErrorsOf(t, r, f.Name), r.Raw)
		})
	}
	require.GreaterOrEqual(t, walked, 12, "updates and merges that write metadata")

	r := e.Do(t, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"email": "deep@example.com", "metadata": nested(metadata.MaxDepth + 1)}})
	lcRequireRefused(t, r, "createCustomer", "INVALID", "metadata")
}

func hasInputField(t *vsType, name string) bool {
	for _, f := range t.InputFields {
		if f.Name == name {
			return true
		}
	}
	return false
}
