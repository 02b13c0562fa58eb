// Package metadata holds the rule for merging a resource's free key-value
// metadata (mergeCustomerMetadata and friends): given keys are set, a null
// value deletes its key, other keys stay. Updates replace the whole object
// instead; that needs no code.
package metadata

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
