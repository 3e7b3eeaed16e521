#!/usr/bin/env node
// amplify-client.js drives AWS Amplify JS v6 (aws-amplify) against any
// Cognito-compatible endpoint, for the Go interop tests: SRP sign-in,
// forced token renewals and a sign-out for each user of a job.
//
// Input: one JSON job on stdin:
//   {"endpoint":"http://127.0.0.1:PORT","userPoolId":"us-east-1_Xyz",
//    "clientId":"...","users":[{"username":"...","password":"...",
//    "expect":"success"|"failure","refreshes":1}],"refresh":true,
//    "timeoutMs":30000}
// refreshes (1-10, default 1) is how many forced renewals follow a user's
// sign-in when the job has refresh.
// Output: one line of JSON on stdout:
//   {"results":[{"username","ok","error","message","accessUsername",
//    "idUsername","email","refreshed","refreshTokenChanges","signedOut",
//    ...}],"meanSignInMs":n}
// refreshed: every renewal gave a new access token for the user;
// refreshTokenChanges: after how many of them the refresh token Amplify
// keeps was a different one (renewals under refresh-token rotation).
//
// Exit status: 0 whenever the job ran (the caller judges the results),
// 2 for a job that cannot be run (bad JSON, missing fields), 1 for an
// internal failure of this script. Nothing secret is ever printed: passwords
// and tokens stay out of stdout and stderr. stdout carries the JSON line and
// nothing else: everything Amplify logs goes to stderr.
//
// Reading and checking the job, the output line, the exit status and the
// redaction of secrets are driver.js's; this file only drives its library.
'use strict';

const { Console } = require('node:console');
const { performance } = require('node:perf_hooks');
const {
	JobError, load, codedError, withDeadline, describe, claim, newResult, fail, judge, runMain,
} = require('./driver');

// Amplify logs through console.log/info/warn/error; under Node console.log
// and console.info write to stdout. Send every console method to stderr
// before Amplify is loaded, so that stdout holds only the result.
const stderrConsole = new Console({ stdout: process.stderr, stderr: process.stderr });
for (const m of ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir', 'table']) {
	console[m] = stderrConsole[m].bind(stderrConsole);
}

const { Amplify } = load('aws-amplify');
const { signIn, signOut, fetchAuthSession } = load('aws-amplify/auth');
const { cognitoUserPoolsTokenProvider } = load('aws-amplify/auth/cognito');
const { ConsoleLogger, Hub } = load('aws-amplify/utils');

// MAX_REFRESHES bounds a job user's refreshes.
const MAX_REFRESHES = 10;

// userFields checks this driver's field of a job user, refreshes.
function userFields(u, i) {
	const refreshes = u.refreshes === undefined ? 1 : u.refreshes;
	if (!Number.isInteger(refreshes) || refreshes < 1 || refreshes > MAX_REFRESHES) {
		throw new JobError(`job.users[${i}].refreshes must be an integer in [1, ${MAX_REFRESHES}]`);
	}
	return { refreshes };
}

// The only warning Amplify gives here is the expected one about a custom
// userPoolEndpoint, on every run: keep errors, drop that noise.
ConsoleLogger.LOG_LEVEL = 'ERROR';

// Storage keys (CognitoIdentityServiceProvider.<client>.<user>.<name>) whose
// values are secret: tokens and a remembered device's password.
const SECRET_KEY_SUFFIXES = ['.accessToken', '.idToken', '.refreshToken', '.randomPasswordKey'];

// MapStorage is a fresh key-value store per user, in place of the store
// Amplify falls back to under Node (one in-memory store shared by the whole
// process). getItem returns null for a missing key, as Amplify's own
// in-memory store does. A fresh store keeps users independent: nothing
// (tokens, last user, device keys) leaks from one to the next, not even when
// a timed-out call of an earlier user finishes late.
class MapStorage {
	constructor() {
		this.items = new Map();
	}
	async setItem(key, value) {
		this.items.set(key, value);
	}
	async getItem(key) {
		return this.items.has(key) ? this.items.get(key) : null;
	}
	async removeItem(key) {
		this.items.delete(key);
	}
	async clear() {
		this.items.clear();
	}
	// refreshToken returns the refresh token held, "" for none.
	refreshToken() {
		for (const [k, v] of this.items) {
			if (k.endsWith('.refreshToken') && typeof v === 'string') return v;
		}
		return '';
	}
	// secretValues returns the secrets currently held, for redaction.
	secretValues() {
		const out = [];
		for (const [k, v] of this.items) {
			if (typeof v === 'string' && SECRET_KEY_SUFFIXES.some(s => k.endsWith(s))) out.push(v);
		}
		return out;
	}
}

// step runs one Amplify call with a deadline: a call that does not settle
// in time fails with the code Timeout. The call itself is left to finish
// on its own; it only touches the storage of the user it was made for.
function step(job, what, fn) {
	return withDeadline(job.timeoutMs, what, (resolve, reject) => {
		Promise.resolve().then(fn).then(resolve, reject);
	});
}

// Amplify names its errors after the Cognito exception (name), so describe
// takes the code from err.name first.
const describeError = (err, secrets) => describe(err, secrets, { prefer: 'name' });

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// signOut does not wait for the local tokens to be removed, so wait for
// that here, briefly.
async function waitSignedOut() {
	for (;;) {
		const session = await fetchAuthSession();
		if (!session.tokens) return;
		await sleep(5);
	}
}

// Amplify reports a failed renewal only through Hub: fetchAuthSession then
// simply returns no tokens (NotAuthorizedException) or rethrows. Keep the
// last failure, so the refresh step can name it.
let lastRefreshFailure = null;
Hub.listen('auth', ({ payload }) => {
	if (payload && payload.event === 'tokenRefresh_failure') {
		lastRefreshFailure = (payload.data && payload.data.error) || codedError('Error', 'token refresh failed');
	}
});

// runUser signs in as u with SRP, forces a renewal when the job asks for
// it, and signs out; ok only when all of that worked. Whatever happens, it
// leaves no signed-in state behind for the next user.
async function runUser(job, u) {
	const result = newResult(u, false, {
		email: '',
		refreshed: false,
		refreshTokenChanges: 0,
		signedOut: false,
		signInMs: 0,
	});
	const storage = new MapStorage();
	cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
	// Every secret seen so far, for redaction: tokens leave the storage on
	// sign-out or a rejected renewal, but may still be echoed afterwards.
	const secrets = new Set([u.password]);
	const remember = () => storage.secretValues().forEach(v => secrets.add(v));
	let phase = '';
	try {
		const t0 = performance.now();
		let out;
		try {
			out = await step(job, 'sign-in', () => signIn({
				username: u.username,
				password: u.password,
				options: { authFlowType: 'USER_SRP_AUTH' },
			}));
		} finally {
			result.signInMs = performance.now() - t0;
			remember();
		}
		if (!out || !out.isSignedIn) {
			const next = (out && out.nextStep && out.nextStep.signInStep) || 'NotSignedIn';
			throw codedError(next, `sign-in stopped at step ${next}, which this driver does not answer`);
		}
		const session = await step(job, 'fetchAuthSession', () => fetchAuthSession());
		const access = session.tokens && session.tokens.accessToken;
		if (!access || !access.toString()) {
			throw codedError('NoAccessToken', 'sign-in succeeded without an access token');
		}
		const idPayload = session.tokens.idToken && session.tokens.idToken.payload;
		result.accessUsername = claim(access.payload, 'username');
		result.idUsername = claim(idPayload, 'cognito:username');
		result.email = claim(idPayload, 'email');

		let previous = access;
		for (let k = 1; job.refresh && k <= u.refreshes; k++) {
			phase = u.refreshes > 1 ? `refresh ${k}: ` : 'refresh: ';
			lastRefreshFailure = null;
			const before = storage.refreshToken();
			const fresh = await step(job, 'refresh', () => fetchAuthSession({ forceRefresh: true }));
			remember();
			const freshAccess = fresh.tokens && fresh.tokens.accessToken;
			if (!freshAccess || !freshAccess.toString()) {
				throw lastRefreshFailure || codedError('NoAccessToken', 'renewal returned no access token');
			}
			if (freshAccess.payload === undefined || freshAccess.payload.exp === undefined) {
				throw codedError('NoAccessToken', 'renewed access token has no exp');
			}
			if (claim(freshAccess.payload, 'username') !== result.accessUsername) {
				throw codedError('UsernameMismatch', 'renewed access token names a different username');
			}
			if (freshAccess.toString() === previous.toString()) {
				throw codedError('TokenUnchanged', 'forced renewal returned the same access token');
			}
			if (storage.refreshToken() !== before) result.refreshTokenChanges++;
			previous = freshAccess;
			result.refreshed = k === u.refreshes;
		}

		phase = 'signOut: ';
		await step(job, 'signOut', () => signOut());
		await step(job, 'signOut to clear tokens', waitSignedOut);
		result.signedOut = true;
		result.ok = true;
	} catch (err) {
		remember();
		const d = describeError(err, secrets);
		fail(result, d.code, phase + d.message);
	}
	if (!result.signedOut) {
		// Leave nothing behind for the next user (a failed sign-in can
		// leave sign-in state, a failed later step tokens). Errors here do
		// not change the result.
		try {
			await step(job, 'cleanup signOut', () => signOut());
		} catch (err) {
			process.stderr.write(`amplify-client: cleanup signOut failed: ${describeError(err, secrets).code}\n`);
		}
	}
	return { result: judge(result), signInMs: result.signInMs, signIns: 1 };
}

runMain({
	tag: 'amplify-client',
	// No repeat: one sign-in per user. No empty password: Amplify rejects
	// one before sending anything.
	jobOptions: { withRepeat: false, allowEmptyPassword: false, userFields },
	// A call abandoned after its step timed out may fail later; it has been
	// reported already, so such an error is only noted.
	strays: { failPending: false },
	prepare: job => Amplify.configure({
		Auth: {
			Cognito: {
				userPoolId: job.userPoolId,
				userPoolClientId: job.clientId,
				userPoolEndpoint: job.endpoint,
			},
		},
	}),
	runUser,
});
