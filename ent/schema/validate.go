package schema

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"

	"clientele/internal/apperr"
	"clientele/internal/lifecycle"
)

// The validators return coded errors (package apperr) without a field: ent
// wraps them in a ValidationError that names the field. ent's own
// validators (NotEmpty, NonNegative, enums) return plain errors, which
// count as INVALID.

// maxLen sizes a text column to n characters and refuses longer values with
// TOO_LONG. It runs before ent's own length check, which then never fails.
func maxLen[B interface {
	Validate(func(string) error) B
	MaxRuneLen(int) B
}](b B, n int) B {
	return b.Validate(func(s string) error {
		if utf8.RuneCountInString(s) > n {
			return apperr.New(apperr.TooLong, nil, "must be at most %d characters long", n)
		}
		return nil
	}).MaxRuneLen(n)
}

// validateEmail accepts a bare address (no display name) as net/mail reads it.
func validateEmail(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return apperr.New(apperr.Invalid, nil, "is not a valid email address")
	}
	return nil
}

func upperLetters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func validateCountryCode(s string) error {
	if !upperLetters(s, 2) {
		return apperr.New(apperr.Invalid, nil, "must be an ISO 3166-1 alpha-2 code such as IT")
	}
	return nil
}

func validateCurrencyCode(s string) error {
	if !upperLetters(s, 3) {
		return apperr.New(apperr.Invalid, nil, "must be an ISO 4217 code such as EUR")
	}
	return nil
}

func validateLanguageCode(s string) error {
	if len(s) != 2 || strings.ToLower(s) != s || !upperLetters(strings.ToUpper(s), 2) {
		return apperr.New(apperr.Invalid, nil, "must be an ISO 639-1 code such as en")
	}
	return nil
}

func validateURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apperr.New(apperr.Invalid, nil, "must be an absolute http or https URL")
	}
	return nil
}

func validateFrequency(s string) error {
	return lifecycle.ValidateFrequency(s)
}
