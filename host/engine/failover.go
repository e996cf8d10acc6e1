package engine

import (
	"context"
	"errors"
	"net"
)

// A cluster of several nodes is configured with every node's URL, and the
// vendor client sends each request to the next live one. When a node is
// down, the request that finds it so fails to connect; the client then
// counts the node dead for a while, but does not send the request again
// (retrying is the caller's policy). Yet a request that could not connect
// never reached any node, so sending it to another node is not a retry of
// anything: every call does so, whatever it changes, and a command run
// while one node of three is down works. A request that did reach a node
// and lost its answer is another matter, left to the caller (the bulk
// indexer resends; the other calls fail with ErrUnavailable).

// roundTrip sends req, and sends it again, up to once per other configured
// node, while it could not connect.
func (a *adapter) roundTrip(ctx context.Context, req send) raw {
	w := req(ctx)
	for tried := 1; tried < a.nodes && unsent(w.err) && ctx.Err() == nil; tried++ {
		if w.body != nil {
			w.body.Close()
		}
		w = req(ctx)
	}
	return w
}

// unsent says whether err is a failure to connect, before any byte of the
// request was sent.
func unsent(err error) bool {
	var op *net.OpError
	return err != nil && errors.As(err, &op) && op.Op == "dial"
}
