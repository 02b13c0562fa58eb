package gqlscalar

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMarshalTimeIsQuotedRFC3339MillisUTC(t *testing.T) {
	paris := time.FixedZone("Paris", 3600)
	for _, tm := range []time.Time{
		{},
		time.Date(2026, 12, 1, 16, 58, 3, 123456789, time.UTC),
		time.Date(2026, 12, 1, 0, 30, 0, 0, paris),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Unix(0, 0),
	} {
		var b strings.Builder
		MarshalTime(tm).MarshalGQL(&b)
		if want := strconv.Quote(tm.UTC().Format(TimeLayout)); b.String() != want {
			t.Errorf("MarshalTime(%v) = %s, want %s", tm, b.String(), want)
		}
	}
}
