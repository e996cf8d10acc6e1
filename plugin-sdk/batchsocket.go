package sdk

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// The batch socket carries a stream's batches beside its gRPC call: the
// host listens on a Unix socket in a private directory, names it and a
// one-time token in the StreamRequest, and the plugin connects, writes the
// token and then each batch as a 4-byte little-endian length followed by
// the batch in the wire format of proto Batch (the same bytes the call
// would carry). The call still starts the stream, carries its end and its
// error, and the plugin's trailer says that it used the socket.
//
// Why: over the call, each batch is cut into 16 KB HTTP/2 frames, copied
// into the framer's buffer on the plugin's side, handed from gRPC's reader
// goroutine to the stream's on the host's (a thread wake-up for every
// frame or two) and joined again. On the socket the host's stream reads
// each batch straight into its own buffer with one or a few read(2)s, and
// the plugin writes it with one writev(2).

const (
	batchTokenLen      = 16
	batchFrameHeader   = 4
	batchSocketTrailer = "demhost-batch-socket"
	// batchAcceptWait bounds how long a stream waits, after its call
	// ended, for the connection the plugin's trailer says it made.
	batchAcceptWait = 10 * time.Second
	// maxBatchFrame refuses a length no writer sends.
	maxBatchFrame = maxMessageBytes
)

var errBatchSocket = errors.New("batch socket")

// batchSocketStreams counts the streams read from a batch socket (tests).
var batchSocketStreams atomic.Int64

// batchListener is the host's end: one listener per plugin, and the
// streams waiting for their connection, by token. On Linux the socket is
// abstract (no file); elsewhere it is a file in a private directory.
type batchListener struct {
	dir, path string
	ln        *net.UnixListener

	mu      sync.Mutex
	waiting map[[batchTokenLen]byte]chan *net.UnixConn
	closed  bool
}

// batchSocketSupported: Unix sockets the host can listen on (not Windows).
func batchSocketSupported() bool { return runtime.GOOS != "windows" }

func newBatchListener() (*batchListener, error) {
	l := &batchListener{waiting: map[[batchTokenLen]byte]chan *net.UnixConn{}}
	if runtime.GOOS == "linux" {
		// An abstract socket: no file to leave behind when the host is
		// killed. Any local process could connect, but none can write to a
		// stream without its token, which only the plugin is told.
		var name [12]byte
		if _, err := rand.Read(name[:]); err != nil {
			return nil, err
		}
		l.path = fmt.Sprintf("@demhost-batches-%x", name)
	} else {
		dir, err := os.MkdirTemp("", "demhost-batches-")
		if err != nil {
			return nil, err
		}
		l.dir, l.path = dir, filepath.Join(dir, "s")
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: l.path, Net: "unix"})
	if err != nil {
		if l.dir != "" {
			os.RemoveAll(l.dir)
		}
		return nil, err
	}
	l.ln = ln
	go l.accept()
	return l, nil
}

// accept hands each connection to the stream whose token it writes
// first; a connection without a known token is closed.
func (l *batchListener) accept() {
	for {
		c, err := l.ln.AcceptUnix()
		if err != nil {
			return
		}
		go func() {
			var tok [batchTokenLen]byte
			_ = c.SetReadDeadline(time.Now().Add(batchAcceptWait))
			if _, err := io.ReadFull(c, tok[:]); err != nil {
				c.Close()
				return
			}
			_ = c.SetReadDeadline(time.Time{})
			l.mu.Lock()
			ch, ok := l.waiting[tok]
			delete(l.waiting, tok)
			l.mu.Unlock()
			if !ok {
				c.Close()
				return
			}
			ch <- c // buffered: the stream may have gone
		}()
	}
}

// expect registers a new token; the connection that writes it arrives on
// the channel. forget drops the registration and closes a connection that
// arrived unclaimed.
func (l *batchListener) expect() (tok [batchTokenLen]byte, ch chan *net.UnixConn, forget func(), err error) {
	if _, err := rand.Read(tok[:]); err != nil {
		return tok, nil, nil, err
	}
	ch = make(chan *net.UnixConn, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return tok, nil, nil, ErrClosed
	}
	l.waiting[tok] = ch
	forget = func() {
		l.mu.Lock()
		delete(l.waiting, tok)
		l.mu.Unlock()
		select {
		case c := <-ch:
			c.Close()
		default:
		}
	}
	return tok, ch, forget, nil
}

func (l *batchListener) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.ln.Close()
	if l.dir != "" {
		os.RemoveAll(l.dir)
	}
}

// readBatchFrame reads one frame into *buf (grown when needed). It
// returns io.EOF at a clean end between frames.
func readBatchFrame(c net.Conn, hdr *[batchFrameHeader]byte, buf *[]byte) error {
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: cut inside a frame's length", errBatchSocket)
		}
		return err
	}
	n := int(binary.LittleEndian.Uint32(hdr[:]))
	if n > maxBatchFrame {
		return fmt.Errorf("%w: a frame of %d bytes", errBatchSocket, n)
	}
	if cap(*buf) < n {
		*buf = make([]byte, n, n+n/4)
	}
	*buf = (*buf)[:n]
	if _, err := io.ReadFull(c, *buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: cut inside a frame of %d bytes", errBatchSocket, n)
		}
		return err
	}
	return nil
}

// batchSender is the plugin's end of one stream's socket.
type batchSender struct {
	c    *net.UnixConn
	hdr  [batchFrameHeader]byte
	bufs net.Buffers
}

// dialBatchSocket connects to the host's socket and writes the token.
// It gives up on a context's end.
func dialBatchSocket(ctx context.Context, path string, tok []byte) (*batchSender, error) {
	if len(tok) != batchTokenLen {
		return nil, fmt.Errorf("%w: a token of %d bytes", errBatchSocket, len(tok))
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	uc := c.(*net.UnixConn)
	if _, err := uc.Write(tok); err != nil {
		uc.Close()
		return nil, err
	}
	return &batchSender{c: uc}, nil
}

// send writes one batch as a frame, with one writev(2) when the socket
// takes it whole.
func (s *batchSender) send(b []byte) error {
	binary.LittleEndian.PutUint32(s.hdr[:], uint32(len(b)))
	s.bufs = append(s.bufs[:0], s.hdr[:], b)
	_, err := s.bufs.WriteTo(s.c)
	return err
}

func (s *batchSender) close() error { return s.c.Close() }

// markBatchSocketUsed sets the trailer that tells the host to read the
// socket.
func markBatchSocketUsed(stream grpc.ServerStream) {
	stream.SetTrailer(metadata.Pairs(batchSocketTrailer, "used"))
}

// usedBatchSocket reads that trailer.
func usedBatchSocket(md metadata.MD) bool {
	v := md.Get(batchSocketTrailer)
	return len(v) > 0 && v[0] == "used"
}
