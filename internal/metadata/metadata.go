// Package metadata holds the rules of a resource's free key-value metadata:
// how a merge (mergeCustomerMetadata and friends) applies (given keys are
// set, a null value deletes its key, other keys stay; updates replace the
// whole object) and how deep and large an object may be (Check).
package metadata

import (
	"encoding/json"

	"clientele/internal/apperr"
)

// Merge returns cur with patch applied; neither argument is changed.
func Merge(cur, patch map[string]any) map[string]any {
	out := make(map[string]any, len(cur)+len(patch))
	for k, v := range cur {
		out[k] = v
	}
	for k, v := range patch {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// The bounds of a metadata object: deep or large documents would make the
// database's JSON functions (metadata filters) slow or fail for everyone,
// and every change is kept in the event log.
const (
	MaxDepth = 10
	MaxBytes = 16 << 10
)

// Check refuses a metadata object deeper than MaxDepth levels or larger
// than MaxBytes once encoded as JSON.
func Check(m map[string]any) error {
	if depth(m, 0) > MaxDepth {
		return apperr.New(apperr.Invalid, apperr.Field("metadata"), "metadata may nest at most %d levels deep", MaxDepth)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return apperr.New(apperr.Invalid, apperr.Field("metadata"), "metadata must be a JSON object")
	}
	if len(b) > MaxBytes {
		return apperr.New(apperr.TooLong, apperr.Field("metadata"), "metadata may take at most %d bytes as JSON", MaxBytes)
	}
	return nil
}

// depth is the nesting of v below level d, stopping early past MaxDepth.
func depth(v any, d int) int {
	if d > MaxDepth {
		return d
	}
	deepest := d
	switch v := v.(type) {
	case map[string]any:
		deepest = d + 1
		for _, x := range v {
			deepest = max(deepest, depth(x, d+1))
		}
	case []any:
		deepest = d + 1
		for _, x := range v {
			deepest = max(deepest, depth(x, d+1))
		}
	}
	return deepest
}
