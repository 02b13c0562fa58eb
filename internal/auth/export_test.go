package auth

// WithoutCheckCache turns the check cache off (benchmarks of the lookup).
func WithoutCheckCache(s *Service) { s.checks = nil }

// LookupStatements exposes lookup's statements to tests.
var LookupStatements = lookupStatements

// WithoutLookupSQL makes lookup go through ent (benchmarks).
func WithoutLookupSQL(s *Service) { s.dialect = "" }
