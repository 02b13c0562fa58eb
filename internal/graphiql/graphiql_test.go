package graphiql

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Without this the client asks for gzip itself and hides the header.
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

var (
	scriptSrc = regexp.MustCompile(`<script\b[^>]*\bsrc="([^"]*)"`)
	linkHref  = regexp.MustCompile(`<link\b[^>]*\bhref="([^"]*)"`)
	anyURL    = regexp.MustCompile(`(?i)\b(?:https?|wss?):\/\/[^\s"'\x60)<>\\]*`)
)

// pageAssets returns the script and stylesheet paths the page loads.
func pageAssets(t *testing.T, page string) []string {
	t.Helper()
	var refs []string
	for _, re := range []*regexp.Regexp{scriptSrc, linkHref} {
		for _, m := range re.FindAllStringSubmatch(page, -1) {
			refs = append(refs, m[1])
		}
	}
	return refs
}

func TestPage(t *testing.T) {
	srv := newServer(t)
	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if csp != ContentSecurityPolicy {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	// Every directive allows this origin at most, never another host, a
	// scheme-wide source or script eval.
	for _, dir := range strings.Split(csp, ";") {
		for _, src := range strings.Fields(dir)[1:] {
			switch src {
			case "'self'", "'none'", "'unsafe-inline'", "data:":
			default:
				t.Errorf("CSP directive %q allows %s", strings.TrimSpace(dir), src)
			}
		}
		if f := strings.Fields(dir); f[0] == "script-src" && strings.Join(f[1:], " ") != "'self'" {
			t.Errorf("script-src must be 'self' only: %q", dir)
		}
	}
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP lacks default-src 'none' or frame-ancestors 'none': %q", csp)
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("page Cache-Control = %q", got)
	}

	page := string(body)
	if strings.Contains(page, "<script>") || regexp.MustCompile(`<script\b[^>]*>\s*[^<\s]`).MatchString(page) {
		t.Error("the page has an inline script, which script-src 'self' blocks")
	}
	refs := pageAssets(t, page)
	if len(refs) < 2 {
		t.Fatalf("the page loads %d scripts and stylesheets, want its script and stylesheet: %s", len(refs), page)
	}
	for _, ref := range refs {
		if !strings.HasPrefix(ref, AssetPrefix) {
			t.Errorf("the page loads %q, not from %s on this origin", ref, AssetPrefix)
		}
	}
	if u := anyURL.FindString(page); u != "" {
		t.Errorf("the page names an absolute URL: %s", u)
	}

	// Only / is the page: other paths are left to the rest of the mux.
	if resp, _ := get(t, srv.URL+"/index.html"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /index.html = %d, want 404", resp.StatusCode)
	}
}

func TestAssets(t *testing.T) {
	srv := newServer(t)
	_, body := get(t, srv.URL+"/")
	refs := pageAssets(t, string(body))
	var sawJS, sawCSS bool
	for _, ref := range refs {
		resp, data := get(t, srv.URL+ref)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", ref, resp.StatusCode)
		}
		ct := resp.Header.Get("Content-Type")
		switch {
		case strings.HasSuffix(ref, ".js"):
			sawJS = true
			if !strings.HasPrefix(ct, "text/javascript") && !strings.HasPrefix(ct, "application/javascript") {
				t.Errorf("%s: Content-Type = %q", ref, ct)
			}
		case strings.HasSuffix(ref, ".css"):
			sawCSS = true
			if !strings.HasPrefix(ct, "text/css") {
				t.Errorf("%s: Content-Type = %q", ref, ct)
			}
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control = %q", ref, cc)
		}
		if resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: compressed without Accept-Encoding: gzip", ref)
		}
		if len(data) == 0 {
			t.Errorf("%s: empty", ref)
		}
		// Content hash in the name: name-<hash>.ext.
		if !regexp.MustCompile(`-[A-Za-z0-9_-]{8}\.(js|css|svg)$`).MatchString(ref) {
			t.Errorf("%s: no content hash in the name", ref)
		}

		// gzip on request, same bytes once decompressed.
		zresp, zdata := get(t, srv.URL+ref, "Accept-Encoding", "gzip, br")
		if zresp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: Content-Encoding = %q with Accept-Encoding: gzip", ref, zresp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(zdata))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(plain, data) {
			t.Errorf("%s: gzip body differs from the plain one (err %v)", ref, err)
		}
	}
	if !sawJS || !sawCSS {
		t.Errorf("page loads JS %v, CSS %v; want both", sawJS, sawCSS)
	}

	for _, p := range []string{AssetPrefix, AssetPrefix + "nope.js", AssetPrefix + "../index.html", "/graphiql/index.html"} {
		if resp, _ := get(t, srv.URL+p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
}

// foreignURLs are the absolute URLs the bundle may contain: none is loaded.
// They are XML namespaces, links a person may click (target=_blank) and
// error-message text. A new one after an upgrade fails the test, to be
// checked by hand: is it loaded (then the page would need the network), or
// only text?
var foreignURLs = []string{
	"http://www.w3.org/",                                        // SVG, XLink, XML and MathML namespaces
	"https://react.dev/errors/",                                 // minified React error messages
	"https://github.com/graphql/graphiql",                       // the GraphiQL logo link
	"https://codemirror.net/5/doc/manual.html",                  // link in the short-keys dialog
	"https://commonmark.org/",                                   // text of a deprecation reason
	"https://en.wikipedia.org/wiki/IEEE_floating_point",         // graphql-js error text
	"https://yarnpkg.com/en/docs/selective-version-resolutions", // graphql-js error text
}

// TestBundleLoadsNothingElsewhere reads every built file: no absolute URL
// but the known, never-loaded ones above; no stylesheet import or url() of
// another host, and no script import from one.
func TestBundleLoadsNothingElsewhere(t *testing.T) {
	loads := []*regexp.Regexp{
		regexp.MustCompile(`(?i)@import\s+(url\()?\s*["']?(https?:)?//`),
		regexp.MustCompile(`(?i)url\(\s*["']?(https?:)?//`),
		regexp.MustCompile(`(?i)\bimport\s*\(\s*["'\x60](https?:)?//`),
		regexp.MustCompile(`(?i)\bfrom\s*["'\x60](https?:)?//`),
		regexp.MustCompile(`(?i)\bimport\s*["'\x60](https?:)?//`),
		regexp.MustCompile(`(?i)importScripts\s*\(`),
	}
	n := 0
	err := fs.WalkDir(dist, "dist", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		data, err := fs.ReadFile(dist, name)
		if err != nil {
			return err
		}
		text := string(data)
		for _, re := range loads {
			if m := re.FindString(text); m != "" {
				t.Errorf("%s loads from another host: %q", name, m)
			}
		}
	next:
		for _, u := range anyURL.FindAllString(text, -1) {
			if _, host, _ := strings.Cut(u, "://"); host == "" || strings.HasPrefix(host, "${") {
				continue // a scheme alone or before a template (markdown-it's linkify)
			}
			for _, ok := range foreignURLs {
				if strings.HasPrefix(u, ok) {
					continue next
				}
			}
			t.Errorf("%s names %s: is it loaded? if only text, add it to foreignURLs", name, u)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("dist holds %d files; build web/graphiql", n)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"":                    false,
		"gzip":                true,
		"br, gzip;q=0.5":      true,
		"gzip;q=0":            false,
		"identity":            false,
		"deflate, GZIP , br":  true,
		"x-gzip":              false,
		"gzip; q=0.000, br":   false,
		"br;q=1, gzip;q=0.01": true,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if h != "" {
			r.Header.Set("Accept-Encoding", h)
		}
		if got := acceptsGzip(r); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}
