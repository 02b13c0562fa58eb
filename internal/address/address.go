// Package address computes the derived fields of a postal address: its full
// name, its one-line form and its name (both together). The ent hooks store
// them with the address, and copy the name into address-book entries, so
// that they are plain columns to every reader (as the platform's
// customer_addresses.name is a copy of the address's name).
package address

import "strings"

// Fields are the stored fields an address's derived fields depend on.
type Fields struct {
	Business                               bool
	FirstName, LastName, Company           string
	Line1, Line2, City, ZipCode, StateCode string
	CountryCode, Phone                     string
}

// FullName is the company for a business address, otherwise first and last
// name.
func (f Fields) FullName() string {
	if f.Business && strings.TrimSpace(f.Company) != "" {
		return strings.TrimSpace(f.Company)
	}
	return join(" ", f.FirstName, f.LastName)
}

// FullAddress is the address on one line, without the name.
func (f Fields) FullAddress() string {
	phone := ""
	if strings.TrimSpace(f.Phone) != "" {
		phone = "(" + strings.TrimSpace(f.Phone) + ")"
	}
	return join(", ", join(" ", f.Line1, f.Line2), join(" ", f.ZipCode, f.City, f.StateCode), f.CountryCode, phone)
}

// Name is the address on one line with the name.
func (f Fields) Name() string {
	return join(", ", f.FullName(), f.FullAddress())
}

func join(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
