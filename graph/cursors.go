package graph

import (
	"time"

	"clientele/ent"
)

// validCursor reports whether a cursor could have come from a connection
// ordered by orderBy: it decodes, its ID is set, and its values are one
// scalar per ordering (none without orderBy). A forged or foreign cursor
// is the caller's mistake (BAD_USER_INPUT), not an internal error.
func validCursor(raw string, orderBy any) bool {
	var c ent.Cursor
	if err := c.UnmarshalGQL(raw); err != nil || c.ID == "" {
		return false
	}
	orderings := 0
	switch o := orderBy.(type) {
	case []any:
		orderings = len(o)
	case map[string]any:
		orderings = 1
	}
	if c.Value == nil {
		return true
	}
	values, ok := c.Value.([]any)
	if !ok || len(values) != orderings {
		return false
	}
	for _, v := range values {
		switch v.(type) {
		case nil, string, bool, time.Time,
			int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		default:
			return false
		}
	}
	return true
}
