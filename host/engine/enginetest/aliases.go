package enginetest

import (
	"slices"
	"testing"

	"github.com/demhost/demhost/host/engine"
)

func testGetAlias(t *testing.T, e *env) {
	alias := e.name("both")
	a := e.create("get_a", `{"aliases":{"`+alias+`":{}}}`)
	b := e.create("get_b", `{"aliases":{"`+alias+`":{}}}`)
	e.create("get_c", mapping)
	got, err := e.eng.GetAlias(t.Context(), alias)
	if err != nil || !slices.Equal(got, []string{a, b}) {
		t.Errorf("GetAlias(%s) = %v, %v; want [%s %s], sorted", alias, got, err, a, b)
	}
	// An index name is not an alias.
	if got, err := e.eng.GetAlias(t.Context(), a); err != nil || len(got) != 0 {
		t.Errorf("GetAlias(%s), an index, = %v, %v; want none, no error", a, got, err)
	}
}

func testSwapAlias(t *testing.T, e *env) {
	ctx := t.Context()
	a, b := e.create("swap_a", mapping), e.create("swap_b", mapping)
	alias := e.name("swap")
	if err := e.eng.SwapAlias(ctx, alias, a, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := e.eng.GetAlias(ctx, alias); err != nil || !slices.Equal(got, []string{a}) {
		t.Fatalf("GetAlias = %v, %v; want [%s]", got, err, a)
	}
	if err := e.eng.SwapAlias(ctx, alias, b, []string{a}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.eng.GetAlias(ctx, alias); err != nil || !slices.Equal(got, []string{b}) {
		t.Errorf("GetAlias after swap = %v, %v; want [%s]", got, err, b)
	}
	// Atomic: when the add fails, the remove does not happen either.
	err := e.eng.SwapAlias(ctx, alias, e.name("nope"), []string{b})
	wantEngineError(t, "swap to a missing index", err, engine.ErrNotFound, alias)
	if got, _ := e.eng.GetAlias(ctx, alias); !slices.Equal(got, []string{b}) {
		t.Errorf("a failed swap moved the alias to %v, want it left on [%s]", got, b)
	}
}

func testDeleteAlias(t *testing.T, e *env) {
	ctx := t.Context()
	alias, other := e.name("delalias"), e.name("delalias_other")
	name := e.create("delalias_idx", `{"aliases":{"`+alias+`":{},"`+other+`":{}}}`)
	if err := e.eng.DeleteAlias(ctx, name, alias); err != nil {
		t.Fatal(err)
	}
	if got, err := e.eng.GetAlias(ctx, alias); err != nil || len(got) != 0 {
		t.Errorf("GetAlias after delete = %v, %v; want none, no error", got, err)
	}
	if got, err := e.eng.GetAlias(ctx, other); err != nil || !slices.Equal(got, []string{name}) {
		t.Errorf("GetAlias(%s) = %v, %v; want the other alias kept on [%s]", other, got, err, name)
	}
	wantEngineError(t, "delete of a missing alias", e.eng.DeleteAlias(ctx, name, alias), engine.ErrNotFound, alias)
}
