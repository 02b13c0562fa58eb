package auth

// WithoutCheckCache turns the check cache off (benchmarks of the lookup).
func WithoutCheckCache(s *Service) { s.checks = nil }
