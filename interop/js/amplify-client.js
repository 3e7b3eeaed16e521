#!/usr/bin/env node
// amplify-client.js drives AWS Amplify JS v6 (aws-amplify) against any
// Cognito-compatible endpoint, for the Go interop tests: SRP sign-in, a
// forced token renewal and a sign-out for each user of a job.
//
// Input: one JSON job on stdin:
//   {"endpoint":"http://127.0.0.1:PORT","userPoolId":"us-east-1_Xyz",
//    "clientId":"...","users":[{"username":"...","password":"...",
//    "expect":"success"|"failure"}],"refresh":true,"timeoutMs":30000}
// Output: one line of JSON on stdout:
//   {"results":[{"username","ok","error","message","accessUsername",
//    "idUsername","email","refreshed","signedOut",...}],"meanSignInMs":n}
//
// Exit status: 0 whenever the job ran (the caller judges the results),
// 2 for a job that cannot be run (bad JSON, missing fields), 1 for an
// internal failure of this script. Nothing secret is ever printed: passwords
// and tokens stay out of stdout and stderr. stdout carries the JSON line and
// nothing else: everything Amplify logs goes to stderr.
'use strict';

const path = require('node:path');
const { Console } = require('node:console');
const { performance } = require('node:perf_hooks');

// Amplify logs through console.log/info/warn/error; under Node console.log
// and console.info write to stdout. Send every console method to stderr
// before Amplify is loaded, so that stdout holds only the result.
const stderrConsole = new Console({ stdout: process.stderr, stderr: process.stderr });
for (const m of ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir', 'table']) {
	console[m] = stderrConsole[m].bind(stderrConsole);
}

// load requires a module the usual way (node_modules next to this script's
// folder) or, failing that, from the interop folder explicitly.
function load(name) {
	try {
		return require(name);
	} catch (err) {
		return require(require.resolve(name, { paths: [path.join(__dirname, '..')] }));
	}
}

const { Amplify } = load('aws-amplify');
const { signIn, signOut, fetchAuthSession } = load('aws-amplify/auth');
const { cognitoUserPoolsTokenProvider } = load('aws-amplify/auth/cognito');
const { ConsoleLogger, Hub } = load('aws-amplify/utils');

// The only warning Amplify gives here is the expected one about a custom
// userPoolEndpoint, on every run: keep errors, drop that noise.
ConsoleLogger.LOG_LEVEL = 'ERROR';

const EXIT_BAD_JOB = 2;
const EXIT_INTERNAL = 1;
const DEFAULT_TIMEOUT_MS = 30000;

// Storage keys (CognitoIdentityServiceProvider.<client>.<user>.<name>) whose
// values are secret: tokens and a remembered device's password.
const SECRET_KEY_SUFFIXES = ['.accessToken', '.idToken', '.refreshToken', '.randomPasswordKey'];

// JobError marks a job that cannot be run; its message names the problem
// and never echoes a password.
class JobError extends Error {}

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
	// secretValues returns the secrets currently held, for redaction.
	secretValues() {
		const out = [];
		for (const [k, v] of this.items) {
			if (typeof v === 'string' && SECRET_KEY_SUFFIXES.some(s => k.endsWith(s))) out.push(v);
		}
		return out;
	}
}

function readStdin() {
	return new Promise((resolve, reject) => {
		const chunks = [];
		process.stdin.on('data', chunk => chunks.push(chunk));
		process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		process.stdin.on('error', reject);
	});
}

function isNonEmptyString(v) {
	return typeof v === 'string' && v.length > 0;
}

function parseJob(text) {
	let job;
	try {
		job = JSON.parse(text);
	} catch (err) {
		throw new JobError(`job is not valid JSON: ${err.message}`);
	}
	if (job === null || typeof job !== 'object' || Array.isArray(job)) {
		throw new JobError('job must be a JSON object');
	}
	if (!isNonEmptyString(job.endpoint) || !/^https?:\/\//.test(job.endpoint)) {
		throw new JobError('job.endpoint must be an http(s) URL');
	}
	if (!isNonEmptyString(job.userPoolId) || !/^[\w-]+_[0-9a-zA-Z]+$/.test(job.userPoolId)) {
		// Amplify takes the region from the part before "_" and fails
		// later, and less clearly, without one.
		throw new JobError('job.userPoolId must look like <region>_<name>');
	}
	if (!isNonEmptyString(job.clientId)) {
		throw new JobError('job.clientId must be a non-empty string');
	}
	if (!Array.isArray(job.users) || job.users.length === 0) {
		throw new JobError('job.users must be a non-empty array');
	}
	const users = job.users.map((u, i) => {
		if (u === null || typeof u !== 'object') {
			throw new JobError(`job.users[${i}] must be an object`);
		}
		if (!isNonEmptyString(u.username)) {
			throw new JobError(`job.users[${i}].username must be a non-empty string`);
		}
		if (!isNonEmptyString(u.password)) {
			// Amplify rejects an empty password before sending anything.
			throw new JobError(`job.users[${i}].password must be a non-empty string`);
		}
		const expect = u.expect === undefined ? 'success' : u.expect;
		if (expect !== 'success' && expect !== 'failure') {
			throw new JobError(`job.users[${i}].expect must be "success" or "failure"`);
		}
		return { username: u.username, password: u.password, expect };
	});
	if (job.refresh !== undefined && typeof job.refresh !== 'boolean') {
		throw new JobError('job.refresh must be a boolean');
	}
	let timeoutMs = DEFAULT_TIMEOUT_MS;
	if (job.timeoutMs !== undefined) {
		if (!Number.isInteger(job.timeoutMs) || job.timeoutMs < 1) {
			throw new JobError('job.timeoutMs must be a positive integer');
		}
		timeoutMs = job.timeoutMs;
	}
	return {
		endpoint: job.endpoint,
		userPoolId: job.userPoolId,
		clientId: job.clientId,
		users,
		refresh: job.refresh === true,
		timeoutMs,
	};
}

function codedError(code, message) {
	const err = new Error(message);
	err.name = code;
	return err;
}

// step runs one Amplify call with a deadline: a call that does not settle
// in time fails with the code Timeout. The call itself is left to finish
// on its own; it only touches the storage of the user it was made for.
function step(job, what, fn) {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(
			() => reject(codedError('Timeout', `${what} did not finish within ${job.timeoutMs} ms`)),
			job.timeoutMs);
		Promise.resolve()
			.then(fn)
			.then(resolve, reject)
			.finally(() => clearTimeout(timer));
	});
}

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

function claim(payload, name) {
	if (!payload || typeof payload !== 'object') return '';
	const v = payload[name];
	return typeof v === 'string' ? v : '';
}

// describe turns an error into a code (the Cognito error name for service
// errors) and a message that is safe to print: secrets the driver knows of
// are cut out in case a server or the library echoes them.
function describe(err, secrets) {
	let code = (err && (err.name || err.code)) || 'Error';
	let message = (err && err.message) || String(err);
	for (const s of secrets) {
		if (typeof s === 'string' && s.length >= 4) {
			code = String(code).split(s).join('[REDACTED]');
			message = String(message).split(s).join('[REDACTED]');
		}
	}
	return { code: String(code), message: String(message) };
}

async function runUser(job, u) {
	const result = {
		username: u.username,
		expect: u.expect,
		ok: false,
		error: '',
		message: '',
		accessUsername: '',
		idUsername: '',
		email: '',
		refreshed: false,
		signedOut: false,
		signInMs: 0,
	};
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

		if (job.refresh) {
			phase = 'refresh: ';
			lastRefreshFailure = null;
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
			if (freshAccess.toString() === access.toString()) {
				throw codedError('TokenUnchanged', 'forced renewal returned the same access token');
			}
			result.refreshed = true;
		}

		phase = 'signOut: ';
		await step(job, 'signOut', () => signOut());
		await step(job, 'signOut to clear tokens', waitSignedOut);
		result.signedOut = true;
		result.ok = true;
	} catch (err) {
		remember();
		const d = describe(err, secrets);
		result.error = d.code;
		result.message = phase + d.message;
	}
	if (!result.signedOut) {
		// Leave nothing behind for the next user (a failed sign-in can
		// leave sign-in state, a failed later step tokens). Errors here do
		// not change the result.
		try {
			await step(job, 'cleanup signOut', () => signOut());
		} catch (err) {
			process.stderr.write(`amplify-client: cleanup signOut failed: ${describe(err, secrets).code}\n`);
		}
	}
	result.asExpected = (u.expect === 'success') === result.ok;
	return result;
}

function onStray(err) {
	// A call abandoned after a timeout may fail later; it has been
	// reported already.
	process.stderr.write(`amplify-client: stray error after its step ended: ${err && err.name}\n`);
}
process.on('uncaughtException', onStray);
process.on('unhandledRejection', onStray);

async function main() {
	let job;
	try {
		job = parseJob(await readStdin());
	} catch (err) {
		if (err instanceof JobError) {
			process.stderr.write(`amplify-client: bad job: ${err.message}\n`);
			process.exitCode = EXIT_BAD_JOB;
			return;
		}
		throw err;
	}
	Amplify.configure({
		Auth: {
			Cognito: {
				userPoolId: job.userPoolId,
				userPoolClientId: job.clientId,
				userPoolEndpoint: job.endpoint,
			},
		},
	});
	const results = [];
	let totalMs = 0;
	for (const u of job.users) {
		const r = await runUser(job, u);
		results.push(r);
		totalMs += r.signInMs;
	}
	const out = JSON.stringify({ results, meanSignInMs: results.length > 0 ? totalMs / results.length : 0 });
	// Exit explicitly once stdout is flushed: a timed-out request may still
	// hold the event loop open.
	process.stdout.write(`${out}\n`, () => process.exit(0));
}

main().catch(err => {
	process.stderr.write(`amplify-client: internal error: ${err && err.name}: ${err && err.message}\n`);
	process.exit(EXIT_INTERNAL);
});
