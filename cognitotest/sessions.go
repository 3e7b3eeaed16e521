package cognitotest

import (
	"container/heap"
	"time"
)

// defaultMaxSessions bounds the PASSWORD_VERIFIER sessions waiting for an
// answer, so that clients that start sign-ins and never finish them cannot
// grow the server without end.
const defaultMaxSessions = 10_000

// sessionStore holds the PASSWORD_VERIFIER sessions waiting for their
// answer: by SECRET_BLOCK, to find the one an answer names, and in a heap
// ordered by expiry, so that the expired ones are dropped, and the oldest
// evicted when the store is full, without looking at the others. Its
// methods must be called with the Server's mu held.
type sessionStore struct {
	max     int
	byBlock map[string]*srpSession
	queue   sessionQueue
	seq     uint64 // orders sessions that expire at the same instant
}

func newSessionStore(maxSessions int) sessionStore {
	return sessionStore{max: maxSessions, byBlock: make(map[string]*srpSession)}
}

// add keeps sess under block until sess.expires. It first drops the
// sessions expired by now and, when the store is still full, evicts those
// closest to expiry, which are the oldest ones unless the clock went back:
// answering an evicted session fails as answering an expired one does.
func (st *sessionStore) add(block string, sess *srpSession, now time.Time) {
	st.dropExpired(now)
	for len(st.queue) >= st.max {
		st.remove(st.queue[0])
	}
	if old, ok := st.byBlock[block]; ok {
		st.remove(old) // a repeated random block: never in practice
	}
	sess.block = block
	sess.seq = st.seq
	st.seq++
	st.byBlock[block] = sess
	heap.Push(&st.queue, sess)
}

// take removes the session of block and returns it, or nil when there is
// none or it has expired by now: a block can be answered once, whatever the
// outcome.
func (st *sessionStore) take(block string, now time.Time) *srpSession {
	sess, ok := st.byBlock[block]
	if !ok {
		return nil
	}
	st.remove(sess)
	if !now.Before(sess.expires) {
		return nil
	}
	return sess
}

// dropExpired removes the sessions that have expired by now.
func (st *sessionStore) dropExpired(now time.Time) {
	for len(st.queue) > 0 && !now.Before(st.queue[0].expires) {
		st.remove(st.queue[0])
	}
}

func (st *sessionStore) remove(sess *srpSession) {
	heap.Remove(&st.queue, sess.index)
	delete(st.byBlock, sess.block)
}

// sessionQueue is a min-heap of sessions by expiry (container/heap); each
// session knows its index in it.
type sessionQueue []*srpSession

func (q sessionQueue) Len() int { return len(q) }

func (q sessionQueue) Less(i, j int) bool {
	if !q[i].expires.Equal(q[j].expires) {
		return q[i].expires.Before(q[j].expires)
	}
	return q[i].seq < q[j].seq
}

func (q sessionQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *sessionQueue) Push(x any) {
	sess := x.(*srpSession)
	sess.index = len(*q)
	*q = append(*q, sess)
}

func (q *sessionQueue) Pop() any {
	old := *q
	sess := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	sess.index = -1
	return sess
}
