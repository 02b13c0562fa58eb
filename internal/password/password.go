// Package password hashes and checks customer passwords with argon2id at the
// OWASP parameters (m=19 MiB, t=2, p=1), stored as a PHC string. Hashing is
// deliberately slow, so at most a few run at once: logins cannot exhaust
// the CPU.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"clientele/internal/apperr"

	"golang.org/x/crypto/argon2"
)

// The argon2id parameters (OWASP Password Storage Cheat Sheet).
const (
	memoryKiB = 19 * 1024
	timeCost  = 2
	threads   = 1
	keyLen    = 32
	saltLen   = 16
)

// MinLen and MaxLen bound a password's length in characters.
const (
	MinLen = 8
	MaxLen = 256
)

// slots bounds concurrent hashing to the number of CPUs.
var slots = make(chan struct{}, max(1, runtime.NumCPU()))

// Check reports whether pw is an acceptable password: MinLen to MaxLen
// characters (not bytes). Errors, on the field password: TOO_LONG above
// MaxLen, INVALID below MinLen.
func Check(pw string) error {
	switch n := utf8.RuneCountInString(pw); {
	case n > MaxLen:
		return apperr.New(apperr.TooLong, apperr.Field("password"), "password must be %d to %d characters long", MinLen, MaxLen)
	case n < MinLen:
		return apperr.New(apperr.Invalid, apperr.Field("password"), "password must be %d to %d characters long", MinLen, MaxLen)
	}
	return nil
}

// Hash returns the PHC string of pw, or Check's error.
func Hash(pw string) (string, error) {
	if err := Check(pw); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	slots <- struct{}{}
	key := argon2.IDKey([]byte(pw), salt, timeCost, memoryKiB, threads, keyLen)
	<-slots
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, memoryKiB, timeCost, threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches the PHC string, in constant time.
func Verify(pw, phc string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("unknown password hash format")
	}
	var version int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("unknown argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, errors.New("bad argon2 parameters")
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false, errors.New("bad argon2 encoding")
	}
	slots <- struct{}{}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	<-slots
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

type resetKey struct{}

// WithReset marks ctx as the password reset flow, which may replace an
// existing password (otherwise only integration admins may).
func WithReset(ctx context.Context) context.Context {
	return context.WithValue(ctx, resetKey{}, true)
}

// IsReset reports whether ctx is the password reset flow.
func IsReset(ctx context.Context) bool {
	v, _ := ctx.Value(resetKey{}).(bool)
	return v
}
