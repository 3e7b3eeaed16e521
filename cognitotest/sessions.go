package cognitotest

import (
	"container/heap"
	"time"
)

// defaultMaxSessions bounds the sessions of each kind waiting for an
// answer (PASSWORD_VERIFIER challenges, later challenges), so that clients
// that start sign-ins and never finish them cannot grow the server without
// end.
const defaultMaxSessions = 10_000

// storeEntry is what a sessionStore keeps in each session it holds: the
// key it is stored under, when it expires, the order of insertion and
// its index in the expiry heap. Session types embed it.
type storeEntry struct {
	key     string
	expires time.Time
	seq     uint64
	index   int
}

func (e *storeEntry) entry() *storeEntry { return e }

// storable is a session type a sessionStore can hold: a pointer to a
// struct that embeds storeEntry.
type storable interface{ entry() *storeEntry }

// sessionStore holds sessions waiting for their answer: by key (a
// PASSWORD_VERIFIER's SECRET_BLOCK, or the Session string of a later
// challenge), to find the one an answer names, and in a heap ordered by
// expiry, so that the expired ones are dropped, and the oldest evicted when
// the store is full, without looking at the others. Its methods must be
// called with the Server's mu held.
type sessionStore[S storable] struct {
	max   int
	byKey map[string]S
	queue sessionQueue[S]
	seq   uint64 // orders sessions that expire at the same instant
}

func newSessionStore[S storable](maxSessions int) sessionStore[S] {
	return sessionStore[S]{max: maxSessions, byKey: make(map[string]S)}
}

// add keeps sess under key until sess's expires. It first drops the
// sessions expired by now and, when the store is still full, evicts those
// closest to expiry, which are the oldest ones unless the clock went back:
// answering an evicted session fails as answering an expired one does.
func (st *sessionStore[S]) add(key string, sess S, now time.Time) {
	st.dropExpired(now)
	for len(st.queue) >= st.max {
		st.remove(st.queue[0])
	}
	if old, ok := st.byKey[key]; ok {
		st.remove(old) // a repeated random key: never in practice
	}
	e := sess.entry()
	e.key = key
	e.seq = st.seq
	st.seq++
	st.byKey[key] = sess
	heap.Push(&st.queue, sess)
}

// take removes the session of key and returns it, or the zero S (nil)
// and false when there is none or it has expired by now: a session can be
// answered once, whatever the outcome.
func (st *sessionStore[S]) take(key string, now time.Time) (S, bool) {
	var none S
	sess, ok := st.byKey[key]
	if !ok {
		return none, false
	}
	st.remove(sess)
	if !now.Before(sess.entry().expires) {
		return none, false
	}
	return sess, true
}

// get returns the session of key without removing it, or the zero S
// (nil) and false when there is none or it has expired by now.
func (st *sessionStore[S]) get(key string, now time.Time) (S, bool) {
	var none S
	sess, ok := st.byKey[key]
	if !ok || !now.Before(sess.entry().expires) {
		return none, false
	}
	return sess, true
}

// len reports how many sessions the store holds, expired ones not yet
// dropped included.
func (st *sessionStore[S]) len() int { return len(st.queue) }

// dropExpired removes the sessions that have expired by now.
func (st *sessionStore[S]) dropExpired(now time.Time) {
	for len(st.queue) > 0 && !now.Before(st.queue[0].entry().expires) {
		st.remove(st.queue[0])
	}
}

func (st *sessionStore[S]) remove(sess S) {
	e := sess.entry()
	heap.Remove(&st.queue, e.index)
	delete(st.byKey, e.key)
}

// sessionQueue is a min-heap of sessions by expiry (container/heap); each
// session knows its index in it.
type sessionQueue[S storable] []S

func (q sessionQueue[S]) Len() int { return len(q) }

func (q sessionQueue[S]) Less(i, j int) bool {
	a, b := q[i].entry(), q[j].entry()
	if !a.expires.Equal(b.expires) {
		return a.expires.Before(b.expires)
	}
	return a.seq < b.seq
}

func (q sessionQueue[S]) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].entry().index = i
	q[j].entry().index = j
}

func (q *sessionQueue[S]) Push(x any) {
	sess := x.(S)
	sess.entry().index = len(*q)
	*q = append(*q, sess)
}

func (q *sessionQueue[S]) Pop() any {
	old := *q
	var none S
	sess := old[len(old)-1]
	old[len(old)-1] = none
	*q = old[:len(old)-1]
	sess.entry().index = -1
	return sess
}
