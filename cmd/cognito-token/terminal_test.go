package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTerminal is a terminal whose user types the lines given, in order,
// and then nothing: a read with no line left waits for its context. It
// records whether each read was hidden (no echo).
type fakeTerminal struct {
	mu     sync.Mutex
	typed  []func() string
	hidden []bool
}

// ctrlD, typed, ends the input, as Ctrl-D does on a terminal.
const ctrlD = "\x04"

func newFakeTerminal(typed ...string) *fakeTerminal {
	f := &fakeTerminal{}
	for _, s := range typed {
		f.then(fixed(s))
	}
	return f
}

// then adds a line that is made when it is read: an answer that depends
// on what the server did first (a code it sent).
func (f *fakeTerminal) then(line func() string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.typed = append(f.typed, line)
}

func (f *fakeTerminal) readLine(ctx context.Context, hidden bool) (string, error) {
	f.mu.Lock()
	f.hidden = append(f.hidden, hidden)
	if len(f.typed) == 0 {
		f.mu.Unlock()
		<-ctx.Done()
		return "", ctx.Err()
	}
	next := f.typed[0]
	f.typed = f.typed[1:]
	f.mu.Unlock()
	if s := next(); s != ctrlD {
		return s, nil
	}
	return "", io.EOF
}

// reads returns, for each read so far, whether it was hidden.
func (f *fakeTerminal) reads() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.hidden...)
}

// TestReadTypedLine: a terminal's line is read without taking the next.
func TestReadTypedLine(t *testing.T) {
	t.Parallel()
	r := strings.NewReader("123456\r\nsecond\nlast")
	for _, want := range []string{"123456", "second", "last"} {
		got, err := readTypedLine(r)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := readTypedLine(r)
	assert.ErrorIs(t, err, io.EOF)
}

// TestStdinLines: --password-stdin's answers are the next lines; a
// missing or empty one is errNoLine.
func TestStdinLines(t *testing.T) {
	t.Parallel()
	in := stdinLines{bufio.NewReader(strings.NewReader("first\r\n\nlast"))}
	ctx := context.Background()
	got, err := in.readLine(ctx, true)
	require.NoError(t, err)
	assert.Equal(t, "first", got)
	_, err = in.readLine(ctx, false)
	assert.ErrorIs(t, err, errNoLine, "an empty line")
	got, err = in.readLine(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, "last", got, "the last line needs no line break")
	_, err = in.readLine(ctx, false)
	assert.ErrorIs(t, err, errNoLine, "the end of stdin")
}
