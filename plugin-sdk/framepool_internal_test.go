package sdk

import "testing"

func TestFramePool(t *testing.T) {
	t.Parallel()
	p := &framePool{}
	for _, length := range []int{0, 9, 256, 257, 16 << 10, 16<<10 + 1, 1 << 20, 1<<20 + 1} {
		b := p.Get(length)
		if len(*b) != length {
			t.Errorf("Get(%d) has length %d", length, len(*b))
		}
		for i := range *b {
			(*b)[i] = 0xff // gRPC writes the whole length before reading
		}
		p.Put(b)
		again := p.Get(length)
		if len(*again) != length {
			t.Errorf("Get(%d) after Put has length %d", length, len(*again))
		}
	}
	// A buffer of a capacity the pool does not keep is dropped, not
	// handed out for a larger length.
	odd := make([]byte, 100, 300)
	p.Put(&odd)
	if b := p.Get(290); len(*b) != 290 || cap(*b) < 290 {
		t.Errorf("Get(290) = len %d cap %d", len(*b), cap(*b))
	}
}
