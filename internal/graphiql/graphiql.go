// Package graphiql serves GraphiQL from the binary itself: the page at / and
// its scripts and stylesheet under /graphiql/assets/. Nothing is loaded from
// another host, so it works offline.
//
// The files in dist are built from web/graphiql (see its README) and
// committed, so building the server needs no npm.
package graphiql

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed dist
var dist embed.FS

// AssetPrefix is the path the page's scripts and stylesheet are served under.
const AssetPrefix = "/graphiql/assets/"

// ContentSecurityPolicy is sent with the page: everything from this origin
// only. connect-src 'self' also covers ws: and wss: to this origin
// (subscriptions over graphql-ws). GraphiQL and its components set style
// attributes, hence style-src 'unsafe-inline'; scripts stay 'self' only.
const ContentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; " +
	"font-src 'self'; " +
	"connect-src 'self'; " +
	"base-uri 'none'; " +
	"form-action 'none'; " +
	"frame-ancestors 'none'"

// Register serves the page at GET / and its assets under GET
// /graphiql/assets/.
func Register(mux *http.ServeMux) {
	page, err := fs.ReadFile(dist, "dist/index.html")
	if err != nil {
		panic("graphiql: dist/index.html missing from the build: " + err.Error())
	}
	assets, err := fs.Sub(dist, "dist/assets")
	if err != nil {
		panic("graphiql: " + err.Error())
	}
	mux.Handle("GET /{$}", pageHandler(page))
	mux.Handle("GET "+AssetPrefix, http.StripPrefix(AssetPrefix, &assetHandler{files: assets}))
}

func pageHandler(page []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		// The page names the current assets: always revalidate it.
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Length", strconv.Itoa(len(page)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(page)
	})
}

// assetHandler serves the built files. Their names carry a hash of their
// content, so they are cached for a year; gzip-compressed copies are made
// once, on first request.
type assetHandler struct {
	files fs.FS
	gz    sync.Map // name → *gzipped
}

type gzipped struct {
	once sync.Once
	data []byte
}

func (a *assetHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Path
	if name == "" || strings.Contains(name, "/") || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	data, err := fs.ReadFile(a.files, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	body := data
	if acceptsGzip(r) {
		if z := a.gzip(name, data); len(z) < len(data) {
			h.Set("Content-Encoding", "gzip")
			body = z
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

func (a *assetHandler) gzip(name string, data []byte) []byte {
	v, _ := a.gz.LoadOrStore(name, &gzipped{})
	g := v.(*gzipped)
	g.once.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(data)
		if zw.Close() == nil {
			g.data = b.Bytes()
		}
	})
	return g.data
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
				return false
			}
		}
		return true
	}
	return false
}
