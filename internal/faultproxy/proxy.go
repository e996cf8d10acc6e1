// Package faultproxy is a TCP proxy for tests that injects network faults
// between a client and a real server: it can cut every live connection,
// or pause all forwarding (a stalled network: connections stay open, no
// byte gets through) and resume it. demhost's tests put it between the
// registry and Postgres.
package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
)

// Proxy forwards every connection made to Addr to the target.
type Proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	pairs    map[*pair]struct{} // every live connection
	resumed  chan struct{}      // closed while forwarding; open while paused
	closed   bool
	accepted int
	wg       sync.WaitGroup
}

// New starts a proxy on 127.0.0.1 (a free port) to target ("host:port").
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{ln: ln, target: target, pairs: map[*pair]struct{}{}, resumed: make(chan struct{})}
	close(p.resumed)
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns rawURL (e.g. a postgres:// DSN) with its host:port replaced
// by the proxy's.
func (p *Proxy) URL(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("faultproxy: %w", err)
	}
	u.Host = p.Addr()
	return u.String(), nil
}

// Accepted is how many connections the proxy has accepted so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Cut closes every live connection, both towards the client and towards
// the target, as a failed network would. New connections are still
// accepted.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.pairs {
		c.cut()
		delete(p.pairs, c)
	}
}

// pair is one proxied connection: the client's end and the target's.
type pair struct {
	client, server net.Conn
	once           sync.Once
	gone           chan struct{} // closed by cut
}

func (c *pair) cut() {
	c.once.Do(func() {
		for _, x := range []net.Conn{c.client, c.server} {
			if tc, ok := x.(*net.TCPConn); ok {
				tc.SetLinger(0) // a reset, not a polite FIN
			}
			x.Close()
		}
		close(c.gone)
	})
}

// Pause stops forwarding bytes on every connection, live or new, until
// Resume: the connections stay open and silent.
func (p *Proxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.resumed:
		p.resumed = make(chan struct{})
	default: // already paused
	}
}

// Resume forwards again what Pause held back.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.resumed:
	default:
		close(p.resumed)
	}
}

// Close stops listening, resumes and cuts everything, and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	p.Resume()
	p.Cut()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.accepted++
	c := &pair{client: client, server: server, gone: make(chan struct{})}
	p.pairs[c] = struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { p.pipe(c, server, client); done <- struct{}{} }()
	go func() { p.pipe(c, client, server); done <- struct{}{} }()
	<-done
	p.mu.Lock()
	delete(p.pairs, c)
	p.mu.Unlock()
	c.cut()
	<-done
}

// pipe copies src to dst, holding each chunk back while paused.
func (p *Proxy) pipe(c *pair, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			resumed := p.resumed
			p.mu.Unlock()
			select {
			case <-resumed:
			case <-c.gone:
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return
			}
			if tc, ok := dst.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
			return
		}
	}
}
