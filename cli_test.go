package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Each command's help lists its own flags only; the binary's lists the
// commands.
func TestCLIHelp(t *testing.T) {
	help := func(args ...string) string {
		var out bytes.Buffer
		_, err := parseConfigOut(args, func(string) string { return "" }, &out)
		require.True(t, errors.Is(err, flag.ErrHelp), "%v", err)
		return out.String()
	}
	top := help("--help")
	for _, c := range commands {
		require.Contains(t, top, "  "+c.name+" ")
	}
	require.True(t, strings.HasPrefix(top, help("help")))

	serverOnly := []string{"-cors-origins", "-max-depth", "-gc-percent", "-addr", "-metrics-token"}
	for cmd, own := range map[string][]string{
		"seed":        {"-customers", "-database-url"},
		"credentials": {"-kind", "-role", "-database-url"},
		"migrate":     {"-database-url"},
		"schema":      nil,
		"serve":       serverOnly,
	} {
		t.Run(cmd, func(t *testing.T) {
			out := help(cmd, "--help")
			for _, f := range own {
				require.Contains(t, out, f+" ")
			}
			if cmd != "serve" {
				for _, f := range serverOnly {
					require.NotContains(t, out, f+" ")
				}
			}
		})
	}
	require.True(t, strings.Contains(help("credentials", "create", "--help"), "-kind"))
	_, err := parseConfigOut([]string{"bogus"}, func(string) string { return "" }, &bytes.Buffer{})
	require.ErrorContains(t, err, "unknown command")
}
