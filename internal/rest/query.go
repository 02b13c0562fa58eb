package rest

import (
	"encoding/json"
	"io"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"clientele/ent"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"
)

// Limits of one request's query.
const (
	// maxFilterTerms bounds the values of all filters together (each
	// element of an _in list, each metadata key), like GraphQL's
	// --max-filter-terms default.
	maxFilterTerms = 100
	// maxIncludes bounds the relationship paths of include.
	maxIncludes = 20
	// maxIncludeDepth bounds the relationships of one include path
	// (orders.returns.attachments).
	maxIncludeDepth = 3
	// maxIncluded bounds the records include may read for one request:
	// to-many relationships are included whole, so one request could
	// otherwise read a whole table (a group's members and their events).
	// Larger relationships are read page by page at their related link.
	maxIncluded = 1000
	// maxPageNumber keeps the offset of a page, (number-1)*size, within
	// 32 bits.
	maxPageNumber = math.MaxInt32 / MaxPageSize
)

// query is what the query string of a request asks for.
type query struct {
	where    []func(*sql.Selector)
	order    []func(*sql.Selector)
	number   int
	size     int
	include  includeTree
	fields   map[string]map[string]bool // type → attributes and relationships to render
	filtered bool
}

// includeTree is the relationships to include, each with its own.
type includeTree map[string]includeTree

// parseQuery reads the query string of a request on type t. list says
// whether the route is a list (filter, sort and page apply).
func parseQuery(v url.Values, t *rtype, list bool) (*query, error) {
	q := &query{number: 1, size: DefaultPageSize}
	terms := 0
	for key, vals := range v {
		if len(vals) > 1 {
			// Which one would count? Silently taking one drops a filter
			// or a page size the caller meant.
			return nil, badRequest(CodeBadRequest, key, "%s is given more than once.", key)
		}
		val := vals[0]
		switch {
		case key == "include":
			tree, err := parseInclude(t, val)
			if err != nil {
				return nil, err
			}
			q.include = tree
		case strings.HasPrefix(key, "fields[") && strings.HasSuffix(key, "]"):
			if err := q.parseFields(key, val); err != nil {
				return nil, err
			}
		case !list:
			return nil, badRequest(CodeBadRequest, key, "%s is not a parameter of this route (include and fields are).", key)
		case key == "sort":
			order, err := parseSort(t, val)
			if err != nil {
				return nil, err
			}
			q.order = order
		case key == "page[number]" || key == "page[size]":
			n, err := strconv.Atoi(val)
			switch {
			case err != nil || n < 1:
				return nil, badRequest(CodeInvalidPageValue, key, "%s must be a positive integer.", key)
			case key == "page[size]" && n > MaxPageSize:
				return nil, badRequest(CodeInvalidPageValue, key, "page[size] is at most %d.", MaxPageSize)
			case key == "page[number]" && n > maxPageNumber:
				return nil, badRequest(CodeInvalidPageValue, key, "page[number] is at most %d.", maxPageNumber)
			case key == "page[size]":
				q.size = n
			default:
				q.number = n
			}
		case strings.HasPrefix(key, "filter[q][") && strings.HasSuffix(key, "]"):
			name := strings.TrimSuffix(strings.TrimPrefix(key, "filter[q]["), "]")
			p, n, err := parseFilter(t, key, name, val)
			if err != nil {
				return nil, err
			}
			terms += n
			if terms > maxFilterTerms {
				return nil, badRequest(CodeInvalidFilterValue, key, "Filters may hold at most %d values in all.", maxFilterTerms)
			}
			q.where = append(q.where, p...)
			q.filtered = true
		default:
			return nil, badRequest(CodeBadRequest, key, "%s is not a parameter of lists (filter[q][…], sort, page[number], page[size], include and fields[…] are).", key)
		}
	}
	// Ties (and lists without sort) are ordered by ID: IDs grow with time.
	q.order = append(q.order, sql.OrderByField("id").ToFunc())
	return q, nil
}

// parseSort reads sort=a,-b.
func parseSort(t *rtype, val string) ([]func(*sql.Selector), error) {
	var out []func(*sql.Selector)
	seen := map[string]bool{}
	for _, f := range strings.Split(val, ",") {
		desc := strings.HasPrefix(f, "-")
		f = strings.TrimPrefix(f, "-")
		if !t.sortable[f] || seen[f] {
			return nil, badRequest(CodeInvalidSortCriteria, "sort", "%q is not a sort criterion of %s (sortable: %s).", f, t.name(), strings.Join(sortedKeys(t.sortable), ", "))
		}
		seen[f] = true
		if desc {
			out = append(out, sql.OrderByField(f, sql.OrderDesc()).ToFunc())
		} else {
			out = append(out, sql.OrderByField(f).ToFunc())
		}
	}
	return out, nil
}

// parseInclude reads include=a.b,c into a tree, checking each step.
func parseInclude(t *rtype, val string) (includeTree, error) {
	tree := includeTree{}
	paths := strings.Split(val, ",")
	if len(paths) > maxIncludes {
		return nil, badRequest(CodeInvalidInclude, "include", "include lists at most %d paths.", maxIncludes)
	}
	for _, p := range paths {
		cur, node := t, tree
		steps := strings.Split(p, ".")
		if len(steps) > maxIncludeDepth {
			return nil, badRequest(CodeInvalidInclude, "include", "An include path has at most %d relationships (%q has %d).", maxIncludeDepth, p, len(steps))
		}
		for _, step := range steps {
			r := cur.relBy[step]
			if r == nil {
				return nil, badRequest(CodeInvalidInclude, "include", "%q is not a relationship of %s (in include path %q).", step, cur.name(), p)
			}
			if node[step] == nil {
				node[step] = includeTree{}
			}
			cur, node = r.target, node[step]
		}
	}
	return tree, nil
}

// parseFields reads fields[<type>]=a,b.
func (q *query) parseFields(key, val string) error {
	name := strings.TrimSuffix(strings.TrimPrefix(key, "fields["), "]")
	t := types[name]
	if t == nil {
		return badRequest(CodeInvalidField, key, "%q is not a resource type.", name)
	}
	set := map[string]bool{}
	if val != "" {
		for _, f := range strings.Split(val, ",") {
			if !slices.Contains(t.fieldNames(), f) {
				return badRequest(CodeInvalidField, key, "%q is not a field of %s.", f, name)
			}
			set[f] = true
		}
	}
	if q.fields == nil {
		q.fields = map[string]map[string]bool{}
	}
	q.fields[name] = set
	return nil
}

// The filter predicates, longest first so that _not_eq is not read as _eq.
var predicates = []string{"_not_null", "_not_eq", "_not_in", "_jcont", "_start", "_gteq", "_lteq", "_cont", "_null", "_end", "_eq", "_in", "_gt", "_lt"}

// allowedPredicates says which predicates each kind of column takes.
var allowedPredicates = map[string][]string{
	"string": {"_eq", "_not_eq", "_in", "_not_in", "_cont", "_start", "_end", "_null", "_not_null"},
	"enum":   {"_eq", "_not_eq", "_in", "_not_in", "_null", "_not_null"},
	"int":    {"_eq", "_not_eq", "_in", "_not_in", "_gt", "_gteq", "_lt", "_lteq", "_null", "_not_null"},
	"float":  {"_eq", "_not_eq", "_gt", "_gteq", "_lt", "_lteq", "_null", "_not_null"},
	"time":   {"_eq", "_gt", "_gteq", "_lt", "_lteq", "_null", "_not_null"},
	"bool":   {"_eq", "_null", "_not_null"},
	"json":   {"_jcont"},
}

// parseFilter reads one filter[q][<attr>_<predicate>]=value into
// predicates, and returns how many values it holds.
func parseFilter(t *rtype, key, name, val string) ([]func(*sql.Selector), int, error) {
	var pred, attr string
	for _, p := range predicates {
		if a, ok := strings.CutSuffix(name, p); ok && a != "" {
			pred, attr = p, a
			break
		}
	}
	f := t.filters[attr]
	if pred == "" || f == nil {
		return nil, 0, badRequest(CodeFilterNotAllowed, key, "%q is not a filter of %s: filter on %s with a predicate (_eq, _cont, _start, _in, _gt, …).", name, t.name(), strings.Join(sortedKeys(t.filters), ", "))
	}
	if !slices.Contains(allowedPredicates[f.Kind], pred) {
		return nil, 0, badRequest(CodeFilterNotAllowed, key, "%s takes %s.", attr, strings.Join(allowedPredicates[f.Kind], ", "))
	}
	col := f.Name
	if pred == "_jcont" {
		ps, err := jsonContains(col, val)
		if err != nil {
			return nil, 0, badRequest(CodeInvalidFilterValue, key, "%s", err.Error())
		}
		return ps, len(ps), nil
	}
	if pred == "_null" || pred == "_not_null" {
		b, err := strconv.ParseBool(val)
		if err != nil {
			return nil, 0, badRequest(CodeInvalidFilterValue, key, "%s takes true or false.", name)
		}
		isNull := b == (pred == "_null")
		return []func(*sql.Selector){func(s *sql.Selector) {
			if isNull {
				s.Where(sql.IsNull(s.C(col)))
			} else {
				s.Where(sql.NotNull(s.C(col)))
			}
		}}, 1, nil
	}
	raw := []string{val}
	if pred == "_in" || pred == "_not_in" {
		raw = strings.Split(val, ",")
	}
	values := make([]any, len(raw))
	for i, s := range raw {
		v, err := filterValue(f, s)
		if err != nil {
			return nil, 0, badRequest(CodeInvalidFilterValue, key, "%s: %s", name, err.Error())
		}
		values[i] = v
	}
	v := values[0]
	var p func(*sql.Selector)
	switch pred {
	case "_eq":
		p = func(s *sql.Selector) { s.Where(sql.EQ(s.C(col), v)) }
	case "_not_eq":
		p = func(s *sql.Selector) { s.Where(sql.Or(sql.NEQ(s.C(col), v), sql.IsNull(s.C(col)))) }
	case "_in":
		p = func(s *sql.Selector) { s.Where(sql.In(s.C(col), values...)) }
	case "_not_in":
		p = func(s *sql.Selector) { s.Where(sql.Or(sql.NotIn(s.C(col), values...), sql.IsNull(s.C(col)))) }
	case "_cont":
		p = func(s *sql.Selector) { s.Where(sql.ContainsFold(s.C(col), val)) }
	case "_start":
		p = func(s *sql.Selector) { s.Where(sql.HasPrefix(s.C(col), val)) }
	case "_end":
		p = func(s *sql.Selector) { s.Where(sql.HasSuffix(s.C(col), val)) }
	case "_gt":
		p = func(s *sql.Selector) { s.Where(sql.GT(s.C(col), v)) }
	case "_gteq":
		p = func(s *sql.Selector) { s.Where(sql.GTE(s.C(col), v)) }
	case "_lt":
		p = func(s *sql.Selector) { s.Where(sql.LT(s.C(col), v)) }
	case "_lteq":
		p = func(s *sql.Selector) { s.Where(sql.LTE(s.C(col), v)) }
	}
	return []func(*sql.Selector){p}, len(values), nil
}

// filterValue converts a filter's text to the column's type.
func filterValue(f *ent.TableField, s string) (any, error) {
	switch f.Kind {
	case "enum":
		u := strings.ToUpper(s)
		if !slices.Contains(f.Enums, u) {
			return nil, errorf("%q is not one of %s", s, strings.ToLower(strings.Join(f.Enums, ", ")))
		}
		return u, nil
	case "int":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errorf("%q is not an integer", s)
		}
		return n, nil
	case "float":
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, errorf("%q is not a number", s)
		}
		return n, nil
	case "bool":
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, errorf("%q is not true or false", s)
		}
		return b, nil
	case "time":
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		return nil, errorf("%q is not an ISO 8601 time such as 2026-01-02T15:04:05.000Z", s)
	}
	return s, nil
}

// metadataKey is the form of a key in a JSON filter (as GraphQL's
// metadataContains accepts).
var metadataKey = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,64}$`)

// jsonContains reads the JSON object of a _jcont filter: records whose
// column holds every given key with the given value (nested objects are
// matched key by key).
func jsonContains(col, val string) ([]func(*sql.Selector), error) {
	dec := json.NewDecoder(strings.NewReader(val))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, errorf("_jcont takes a JSON object, e.g. {\"vip\":true}")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf("_jcont takes one JSON object and nothing after it")
	}
	var out []func(*sql.Selector)
	var walk func(path []string, obj map[string]any) error
	walk = func(path []string, obj map[string]any) error {
		for k, v := range obj {
			if !metadataKey.MatchString(k) {
				return errorf("keys are 1 to 64 letters, digits, _ or -")
			}
			p := append(slices.Clone(path), k)
			switch x := v.(type) {
			case map[string]any:
				if err := walk(p, x); err != nil {
					return err
				}
				continue
			case json.Number:
				// Bind numbers as numbers: a text '5' never equals JSON 5.
				if i, err := x.Int64(); err == nil {
					v = i
				} else if f, err := x.Float64(); err == nil {
					v = f
				}
			case string, bool, nil:
			default:
				return errorf("values must be strings, numbers, booleans, null or objects")
			}
			out = append(out, func(s *sql.Selector) { s.Where(sqljson.ValueEQ(s.C(col), v, sqljson.Path(p...))) })
		}
		return nil
	}
	if err := walk(nil, obj); err != nil {
		return nil, err
	}
	if len(out) > maxFilterTerms/2 {
		return nil, errorf("_jcont takes at most %d keys", maxFilterTerms/2)
	}
	return out, nil
}

type textError string

func (e textError) Error() string { return string(e) }

func errorf(format string, args ...any) error { return textError(sprintf(format, args...)) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
