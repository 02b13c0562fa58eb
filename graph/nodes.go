package graph

import (
	"context"

	"clientele/ent"
	"clientele/internal/apperr"
	"clientele/internal/resource"
)

// fetchNodes loads nodes of any type, one query per type, in the caller's
// context (mode and access rules apply). The ID's prefix names the type
// (package resource). Malformed IDs and IDs of no resource get a NOT_FOUND
// error at their index, missing and invisible ones ent's not-found error;
// nothing is added to the response here, so callers decide where errors go.
func fetchNodes(ctx context.Context, c *ent.Client, keys []string) ([]ent.Noder, []error) {
	out := make([]ent.Noder, len(keys))
	errs := make([]error, len(keys))
	byTable := map[string][]int{}
	for i, id := range keys {
		r, ok := resource.ByID(id)
		if !ok {
			errs[i] = noRecord()
			continue
		}
		byTable[r.Table()] = append(byTable[r.Table()], i)
	}
	for table, idx := range byTable {
		list := make([]string, len(idx))
		for j, i := range idx {
			list[j] = keys[i]
		}
		found, err := c.NodesOf(ctx, table, list...)
		for _, i := range idx {
			switch n, ok := found[keys[i]]; {
			case err != nil:
				errs[i] = err
			case ok:
				out[i] = n
			default:
				errs[i] = &ent.NotFoundError{}
			}
		}
	}
	return out, errs
}

// noRecord is the NOT_FOUND error of an ID that names no record.
func noRecord() error {
	return apperr.New(apperr.NotFound, apperr.Field("id"), "no record with this ID")
}
