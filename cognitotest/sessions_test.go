package cognitotest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// At the cap, a new PASSWORD_VERIFIER session evicts the oldest, whose
// answer then fails as an expired session's does.
func TestSRPSessionCap(t *testing.T) {
	s := newTestServer(t, withMaxSessions(2))
	s.AddUser("erin", "pw")
	type started struct {
		cl *srp.Client
		ch *cip.InitiateAuthOutput
	}
	var all []started
	for range 3 {
		cl, ch, err := srpStart(t, s, "erin")
		require.NoError(t, err)
		all = append(all, started{cl, ch})
		assert.LessOrEqual(t, pendingSessions(s), 2)
	}
	ctx := context.Background()
	answer := func(x started) error {
		_, err := srpRespond(ctx, s, srpProof(t, s, x.cl, x.ch, "pw", srp.Timestamp(time.Now())))
		return err
	}
	requireNotAuthorized(t, answer(all[0]), badCreds)
	require.NoError(t, answer(all[1]))
	require.NoError(t, answer(all[2]))
	assert.Equal(t, 0, pendingSessions(s))
}

// Expired sessions are dropped when the next one starts, unanswered.
func TestSRPExpiredSessionsDropped(t *testing.T) {
	clock := newFakeClock(time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC))
	s := newTestServer(t, WithClock(clock.Now))
	s.AddUser("fred", "pw")
	for range 3 {
		_, _, err := srpStart(t, s, "fred")
		require.NoError(t, err)
		clock.Advance(time.Second)
	}
	require.Equal(t, 3, pendingSessions(s))
	clock.Advance(sessionLifetime - 3*time.Second) // the first has expired
	cl, ch, err := srpStart(t, s, "fred")
	require.NoError(t, err)
	assert.Equal(t, 3, pendingSessions(s))
	clock.Advance(2 * time.Second) // so have the next two
	_, err = srpRespond(context.Background(), s, srpProof(t, s, cl, ch, "pw", srp.Timestamp(clock.Now())))
	require.NoError(t, err)
	_, _, err = srpStart(t, s, "fred")
	require.NoError(t, err)
	assert.Equal(t, 1, pendingSessions(s))
}

// The store stays consistent whatever the order of expiries (a clock may
// go back), takes and evictions.
func TestSessionStore(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC)
	st := newSessionStore[*srpSession](50)
	want := map[string]time.Time{} // what the store should hold
	var order []string             // blocks by insertion, for the oldest
	check := func() {
		t.Helper()
		require.Equal(t, len(want), len(st.queue))
		require.Equal(t, len(want), len(st.byKey))
		for i, sess := range st.queue {
			require.Equal(t, i, sess.index)
			require.Equal(t, want[sess.key], sess.expires)
			if i > 0 {
				require.False(t, st.queue.Less(i, (i-1)/2), "heap order")
			}
		}
	}
	for i := range 2000 {
		now := base.Add(time.Duration(r.IntN(600)) * time.Second)
		switch r.IntN(3) {
		case 0, 1:
			block := fmt.Sprint(i)
			sess := &srpSession{storeEntry: storeEntry{expires: now.Add(sessionLifetime)}}
			st.add(block, sess, now)
			for b, exp := range want {
				if !now.Before(exp) {
					delete(want, b)
				}
			}
			if len(want) == 50 {
				// The one closest to expiry, the first added among equals.
				var first string
				for _, b := range order {
					if _, ok := want[b]; ok && (first == "" || want[b].Before(want[first])) {
						first = b
					}
				}
				delete(want, first)
			}
			want[block] = sess.expires
			order = append(order, block)
		case 2:
			block := fmt.Sprint(r.IntN(i + 1))
			exp, held := want[block]
			got, ok := st.take(block, now)
			if held && now.Before(exp) {
				require.True(t, ok)
				require.Equal(t, block, got.key)
			} else {
				require.False(t, ok)
				require.Nil(t, got)
			}
			delete(want, block)
		}
		check()
	}
}
