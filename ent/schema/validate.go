package schema

import (
	"errors"
	"net/mail"
	"net/url"
	"strings"

	"clientele/internal/lifecycle"
)

// validateEmail accepts a bare address (no display name) as net/mail reads it.
func validateEmail(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return errors.New("is not a valid email address")
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
		return errors.New("must be an ISO 3166-1 alpha-2 code such as IT")
	}
	return nil
}

func validateCurrencyCode(s string) error {
	if !upperLetters(s, 3) {
		return errors.New("must be an ISO 4217 code such as EUR")
	}
	return nil
}

func validateLanguageCode(s string) error {
	if len(s) != 2 || strings.ToLower(s) != s || !upperLetters(strings.ToUpper(s), 2) {
		return errors.New("must be an ISO 639-1 code such as en")
	}
	return nil
}

func validateURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http or https URL")
	}
	return nil
}

func validateFrequency(s string) error {
	return lifecycle.ValidateFrequency(s)
}
