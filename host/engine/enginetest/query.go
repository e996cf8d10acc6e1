package enginetest

import (
	"errors"
	"testing"

	"github.com/demhost/demhost/host/engine"
)

// testCountQuery counts with a query (deploy's gate probes): matches, no
// match, an empty query (every document), an alias, and a malformed query
// the engine refuses.
func testCountQuery(t *testing.T, e *env) {
	ctx := t.Context()
	name := e.create("countq", mapping)
	e.fill(name, 7)
	alias := e.name("countq_alias")
	e.must(e.eng.SwapAlias(ctx, alias, name, nil), "alias %s", alias)
	for _, tc := range []struct {
		index, query string
		want         int64
	}{
		{name, `{"term":{"even":true}}`, 4},
		{name, `{"range":{"n":{"gte":100}}}`, 0},
		{name, ``, 7},
		{alias, `{"term":{"even":false}}`, 3},
	} {
		n, err := e.eng.CountQuery(ctx, tc.index, []byte(tc.query))
		if err != nil || n != tc.want {
			t.Errorf("CountQuery(%s, %s) = %d, %v; want %d", tc.index, tc.query, n, err, tc.want)
		}
	}
	_, err := e.eng.CountQuery(ctx, name, []byte(`{"no_such_query":{}}`))
	var ee *engine.Error
	if !errors.As(err, &ee) || !errors.Is(err, engine.ErrRejected) {
		t.Errorf("CountQuery with an unknown query type = %v, want an *engine.Error matching ErrRejected", err)
	}
}
