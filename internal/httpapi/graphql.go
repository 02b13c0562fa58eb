package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
)

// GraphQL serves a GraphQL executor (graph.NewServer) over HTTP: GET
// (queries only) and POST with the GraphQL-over-HTTP status rules,
// subscriptions over WebSocket (graphql-transport-ws) and SSE, each behind
// the common layers (Options.Handler).
func (o *Options) GraphQL(exec *handler.Server) http.Handler {
	c := o.withDefaults()
	streams := newStreamLimits(c.MaxStreamsPerCredential, c.MaxSubscriptionsPerConnection)
	exec.AddTransport(transport.Options{})
	exec.AddTransport(transport.GET{})
	exec.AddTransport(transport.SSE{KeepAlivePingInterval: 15 * time.Second})
	exec.AddTransport(postJSON{})
	exec.AddTransport(transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			// Same-origin upgrades are accepted; cross-origin ones only
			// from the CORS allow-list.
			OriginPatterns: originHosts(c.CORSOrigins),
		}},
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
		InitFunc:              websocketInit(c.Authenticate, streams),
	})
	exec.Use(subscriptionsOnly{})
	exec.AroundOperations(streams.countSubscriptions)
	return o.Handler(API{
		Plain:      graphQLOverHTTP(exec),
		Stream:     http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveStream(w, r, exec, c.Done, streams) }),
		WriteError: WriteGraphQLError,
		Methods:    "GET, POST, OPTIONS",
	})
}

// WriteGraphQLError writes a refusal as a GraphQL response with no data.
func WriteGraphQLError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": code}}}})
}

// isStream reports whether a request opens a WebSocket or an SSE stream.
func isStream(r *http.Request) bool {
	return isWebSocket(r) || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// originHosts turns allowed origins (https://shop.example) into the host
// patterns the WebSocket library checks.
func originHosts(origins []string) []string {
	var hosts []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		} else if o == "*" {
			hosts = append(hosts, "*")
		}
	}
	return hosts
}

// graphQLOverHTTP adapts gqlgen's transports to the GraphQL-over-HTTP spec:
// a request without a query is 400; with Accept application/json, request
// errors are 200 (gqlgen says 422); with application/graphql-response+json
// they are 4xx and carry no data key. Malformed bodies are never echoed.
// Responses stream through; only a 4xx graphql-response+json answer (a
// few hundred bytes) is held back to drop its data key.
func graphQLOverHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			// Media types are case-insensitive (RFC 9110 §8.3.1).
			ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if ct != "application/json" && ct != "application/graphql-response+json" {
				WriteGraphQLError(w, http.StatusUnsupportedMediaType, codeBadRequest, "Send the request as application/json.")
				return
			}
			r.Header.Set("Content-Type", "application/json")
			body, err := io.ReadAll(r.Body)
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				WriteGraphQLError(w, http.StatusRequestEntityTooLarge, codeBadRequest, "The request body is too large.")
				return
			}
			if err != nil {
				WriteGraphQLError(w, http.StatusBadRequest, codeBadRequest, "The request body could not be read.")
				return
			}
			// The parameters must have their GraphQL-over-HTTP types; a
			// wrong one is refused here, without echoing the body.
			params, err := decodeParams(body)
			if err != nil {
				WriteGraphQLError(w, http.StatusBadRequest, codeBadRequest, "The request body is not a valid GraphQL request: query must be a string, variables and extensions objects.")
				return
			}
			if params.Query == "" && params.Extensions["persistedQuery"] == nil {
				WriteGraphQLError(w, http.StatusBadRequest, codeBadRequest, "The request has no query.")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r = withParams(r, params)
		case http.MethodGet:
			q := r.URL.Query()
			if q.Get("query") == "" && q.Get("extensions") == "" {
				WriteGraphQLError(w, http.StatusBadRequest, codeBadRequest, "The request has no query.")
				return
			}
		}
		// get: gqlgen refuses a mutation sent with GET with 406 and an
		// uncoded error; GraphQL-over-HTTP says 405.
		sw := &semanticsWriter{w: w, get: r.Method == http.MethodGet}
		next.ServeHTTP(sw, r)
		sw.finish()
	})
}

// semanticsWriter applies the GraphQL-over-HTTP status rules to gqlgen's
// answer as its header is written.
type semanticsWriter struct {
	w       http.ResponseWriter
	get     bool // the request is a GET
	started bool
	held    *bytes.Buffer // a 4xx graphql-response+json body, to rewrite
	status  int
}

func (s *semanticsWriter) Header() http.Header { return s.w.Header() }

func (s *semanticsWriter) WriteHeader(status int) {
	if s.started {
		return
	}
	s.started = true
	ct := s.w.Header().Get("Content-Type")
	switch {
	case s.get && status == http.StatusNotAcceptable:
		// A mutation (or subscription) sent with GET.
		s.held, s.status = &bytes.Buffer{}, http.StatusMethodNotAllowed
		return
	case status == http.StatusUnprocessableEntity && strings.HasPrefix(ct, "application/json"):
		status = http.StatusOK
	case status >= 400 && strings.HasPrefix(ct, "application/graphql-response+json"):
		s.held, s.status = &bytes.Buffer{}, status
		return
	}
	s.w.WriteHeader(status)
}

func (s *semanticsWriter) Write(p []byte) (int, error) {
	if !s.started {
		s.WriteHeader(http.StatusOK)
	}
	if s.held != nil {
		return s.held.Write(p)
	}
	return s.w.Write(p)
}

func (s *semanticsWriter) finish() {
	if !s.started {
		s.WriteHeader(http.StatusOK)
	}
	if s.held == nil {
		return
	}
	if s.status == http.StatusMethodNotAllowed {
		s.w.Header().Set("Allow", "POST")
		s.w.Header().Del("Content-Length")
		WriteGraphQLError(s.w, http.StatusMethodNotAllowed, codeBadRequest, "Only queries may be sent with GET; send mutations with POST.")
		return
	}
	body := s.held.Bytes()
	var resp map[string]json.RawMessage
	if json.Unmarshal(body, &resp) == nil {
		if d, ok := resp["data"]; ok && string(d) == "null" {
			delete(resp, "data")
			body, _ = json.Marshal(resp)
		}
	}
	s.w.Header().Del("Content-Length")
	s.w.WriteHeader(s.status)
	_, _ = s.w.Write(body)
}
