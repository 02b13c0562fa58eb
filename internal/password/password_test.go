package password_test

import (
	"strings"
	"testing"

	"clientele/internal/apperr"
	"clientele/internal/password"

	"github.com/stretchr/testify/require"
)

// TestCheckCountsCharacters checks that the length rule counts characters,
// not bytes, and says TOO_LONG or INVALID on the password field.
func TestCheckCountsCharacters(t *testing.T) {
	require.NoError(t, password.Check(strings.Repeat("é", password.MaxLen)), "256 two-byte characters are 256 characters")
	require.NoError(t, password.Check(strings.Repeat("a", password.MinLen)))
	for pw, code := range map[string]apperr.Code{
		strings.Repeat("é", password.MaxLen+1): apperr.TooLong,
		strings.Repeat("é", password.MinLen-1): apperr.Invalid,
	} {
		e, ok := apperr.As(password.Check(pw))
		require.True(t, ok)
		require.Equal(t, code, e.Code)
		require.Equal(t, []string{"password"}, e.Field)
	}
}
