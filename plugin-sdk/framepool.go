package sdk

import (
	"sync"

	"google.golang.org/grpc/mem"
)

// framePool is the buffer pool gRPC uses on both sides of the plugin
// connection: the plugin's HTTP/2 writer copies each outgoing frame into
// one of its buffers, and the host's reader copies each incoming frame
// into another. gRPC's default pool zeroes the whole buffer every time it
// hands one out, 16 KB per frame, which was a tenth of the host's CPU in
// the stream. This pool does not: gRPC writes the full length it asks for
// before it reads a byte, so earlier contents are never seen, and both
// ends of the connection are demhost's own processes moving the same
// plugin's documents.
type framePool struct {
	tiers [len(frameTiers)]sync.Pool
}

// frameTiers are the buffer capacities kept, as gRPC's default pool
// keeps them; a larger request gets a buffer of its own.
var frameTiers = [...]int{256, 4 << 10, 16 << 10, 32 << 10, 1 << 20}

var _ mem.BufferPool = (*framePool)(nil)

var sharedFramePool = &framePool{}

func (p *framePool) Get(length int) *[]byte {
	for i, size := range frameTiers {
		if length <= size {
			if b, ok := p.tiers[i].Get().(*[]byte); ok {
				*b = (*b)[:length]
				return b
			}
			b := make([]byte, length, size)
			return &b
		}
	}
	b := make([]byte, length)
	return &b
}

func (p *framePool) Put(b *[]byte) {
	for i, size := range frameTiers {
		if cap(*b) == size {
			p.tiers[i].Put(b)
			return
		}
	}
}
