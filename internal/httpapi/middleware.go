package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"clientele/internal/reqctx"
	"clientele/internal/store"
	"clientele/internal/viewer"
)

// authenticate puts the caller in the request context. A bad credential is
// 401; a database that cannot say is 503 UNAVAILABLE, never 401.
func authenticate(next http.Handler, authn func(*http.Request) (*viewer.Viewer, error), writeErr ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v *viewer.Viewer
		if authn != nil {
			var err error
			if v, err = authn(r); err != nil {
				if store.Unavailable(err) {
					w.Header().Set("Retry-After", retryAfterUnavailable)
					writeErr(w, http.StatusServiceUnavailable, codeUnavailable, "The service is unavailable; retry later.")
					return
				}
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				writeErr(w, http.StatusUnauthorized, codeUnauthenticated, err.Error())
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
	})
}

// bodyLimit caps the request body; a larger body gets 413 and is not echoed.
func bodyLimit(next http.Handler, limit int64, writeErr ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeErr(w, http.StatusRequestEntityTooLarge, codeBadRequest, "The request body is too large.")
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP is the address a request came from (no proxy headers are
// trusted).
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// principalKey names whose quota a request or stream counts against: the
// credential (and customer, for customer tokens), or the client IP for
// anonymous callers.
func principalKey(v *viewer.Viewer, r *http.Request) string {
	if v != nil {
		return "cred:" + v.CredentialID + ":" + v.CustomerID
	}
	return "ip:" + clientIP(r)
}

// rateLimit limits each token (anonymous callers: each client IP).
func rateLimit(next http.Handler, l limiter, now func() time.Time, writeErr ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewer.FromContext(r.Context())
		key := principalKey(v, r)
		if v != nil && v.Kind == viewer.SalesChannel {
			// A storefront's anonymous token is shared by all its
			// visitors: limit each visitor, not the storefront.
			key += ":ip:" + clientIP(r)
		}
		if ok, wait := l.Allow(key, now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeErr(w, http.StatusTooManyRequests, codeRateLimited, "Too many requests; retry after the number of seconds in Retry-After.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// DefaultCORSAllowHeaders are the request headers browsers may send from an
// allowed origin: what GraphQL clients (Apollo, urql, Relay, GraphiQL) and
// JSON:API clients send.
const DefaultCORSAllowHeaders = "Authorization, Content-Type, Accept, Idempotency-Key, If-Match, X-Request-Id, Apollo-Require-Preflight, X-Apollo-Operation-Name"

// corsExposeHeaders are the response headers browser scripts may read.
const corsExposeHeaders = "Retry-After, X-Request-Id, Idempotent-Replayed, ETag, Location"

// cors answers browsers from the allowed origins only; with none allowed it
// adds no CORS headers at all (closed). allowHeaders lists the request
// headers they may send ("*": whatever the preflight asks for).
func cors(next http.Handler, origins, allowHeaders []string, methods string) http.Handler {
	if len(allowHeaders) == 0 {
		allowHeaders = strings.Split(DefaultCORSAllowHeaders, ", ")
	}
	if methods == "" {
		methods = "GET, POST, OPTIONS"
	}
	allow := strings.Join(allowHeaders, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (slices.Contains(origins, origin) || slices.Contains(origins, "*")) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			if allow == "*" {
				if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
					h.Set("Access-Control-Allow-Headers", req)
					h.Add("Vary", "Access-Control-Request-Headers")
				}
			} else {
				h.Set("Access-Control-Allow-Headers", allow)
			}
			h.Set("Access-Control-Allow-Methods", methods)
			h.Set("Access-Control-Max-Age", "600")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// admission lets at most cap(slots) requests execute at once; the others
// wait for a turn or until their context ends (the timeout answers them).
func admission(next http.Handler, slots chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

// timeout gives a request d to run. The handler's context ends at the
// deadline; if nothing has been written by then, the caller gets TIMEOUT
// (503) at once and whatever the handler writes later is dropped. Unlike
// http.TimeoutHandler it does not hold the response back: what the handler
// writes in time goes straight to the client.
func timeout(next http.Handler, d time.Duration, writeErr ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		// The handler runs in this goroutine and the answer at the deadline
		// in context.AfterFunc's: a goroutine per request for the handler
		// (http.TimeoutHandler's way) costs every request a handoff.
		tw := &timeoutWriter{w: w, header: w.Header().Clone()}
		tw.late.Add(1)
		stop := context.AfterFunc(ctx, func() {
			defer tw.late.Done()
			tw.expire(ctx, r, writeErr)
		})
		// settle stops the deadline's answer or waits until it is written,
		// so that it is complete before the server finishes the response;
		// deferred too, for a panic (a second call does nothing).
		settle := func() {
			if stop() {
				tw.late.Done()
			}
			tw.late.Wait()
		}
		defer settle()
		next.ServeHTTP(tw, r.WithContext(ctx))
		settle()
		// The deadline may have passed just as the handler returned,
		// before AfterFunc ran: the same answer, from here.
		tw.expire(ctx, r, writeErr)
		tw.finish()
	})
}

// timeoutWriter passes a handler's response through until the deadline; a
// response not begun by then belongs to the timeout.
type timeoutWriter struct {
	w      http.ResponseWriter
	header http.Header

	mu      sync.Mutex
	started bool
	expired bool
	late    sync.WaitGroup // the deadline's answer (AfterFunc), until written
}

func (t *timeoutWriter) Header() http.Header { return t.header }

func (t *timeoutWriter) start(status int) {
	dst := t.w.Header()
	for k := range dst {
		if _, ok := t.header[k]; !ok {
			delete(dst, k)
		}
	}
	for k, v := range t.header {
		dst[k] = v
	}
	t.started = true
	t.w.WriteHeader(status)
}

func (t *timeoutWriter) WriteHeader(status int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.expired || t.started {
		return
	}
	t.start(status)
}

func (t *timeoutWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.expired {
		return 0, http.ErrHandlerTimeout
	}
	if !t.started {
		t.start(http.StatusOK)
	}
	return t.w.Write(p)
}

// finish sends the headers of a handler that wrote nothing.
func (t *timeoutWriter) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.started && !t.expired {
		t.start(http.StatusOK)
	}
}

// expire answers TIMEOUT once the deadline has passed, unless the answer
// has begun or the client is gone; the handler's later writes are dropped.
// The answer has a Content-Length and is flushed, so the client has all of
// it while the handler is still running, and Connection: close, so the
// client does not queue its next request behind it.
func (t *timeoutWriter) expire(ctx context.Context, r *http.Request, writeErr ErrorWriter) {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) || r.Context().Err() != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started || t.expired {
		return
	}
	t.expired = true
	b := &bufferedAnswer{header: t.w.Header(), status: http.StatusOK}
	writeErr(b, http.StatusServiceUnavailable, codeTimeout, "The request took too long.")
	b.header.Set("Content-Length", strconv.Itoa(b.body.Len()))
	b.header.Set("Connection", "close")
	t.w.WriteHeader(b.status)
	_, _ = t.w.Write(b.body.Bytes())
	_ = http.NewResponseController(t.w).Flush()
}

// bufferedAnswer holds an error answer until its length is known.
type bufferedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedAnswer) Header() http.Header         { return b.header }
func (b *bufferedAnswer) WriteHeader(status int)      { b.status = status }
func (b *bufferedAnswer) Write(p []byte) (int, error) { return b.body.Write(p) }

// AccessLog gives every request an ID (X-Request-Id, reqctx) and logs it
// once it is done.
func AccessLog(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := reqctx.NewID()
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(reqctx.WithID(r.Context(), id)))
		// LogAttrs: typed attributes, no boxing of each value.
		log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", id), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", sw.status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// The optional interfaces of the wrapped writer stay reachable: SSE needs
// http.Flusher, WebSocket upgrades need http.Hijacker, and
// http.ResponseController finds the rest through Unwrap.

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) Flush() {
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err == nil {
		s.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

// Drain marks every response Connection: close once draining is set, so
// keep-alive clients re-dial elsewhere during a shutdown.
func Drain(next http.Handler, draining *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// BearerOnly serves next only to requests bearing the token.
func BearerOnly(next http.Handler, token string) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
