#!/usr/bin/env node
// srp-client.js drives amazon-cognito-identity-js (the reference Cognito
// client) against any Cognito-compatible endpoint, for the Go interop tests.
//
// Input: one JSON job on stdin:
//   {"endpoint":"http://127.0.0.1:PORT","userPoolId":"us-east-1_Xyz",
//    "clientId":"...","users":[{"username":"...","password":"...",
//    "expect":"success"|"failure"}],"refresh":true,"repeat":1,
//    "timeoutMs":30000}
// Output: one JSON document on stdout:
//   {"results":[{"username","ok","error","message","accessUsername",
//    "refreshed",...,"signInMs"}],"meanSignInMs":n}
//
// Exit status: 0 whenever the job ran (the caller judges the results),
// 2 for a job that cannot be run (bad JSON, missing fields), 1 for an
// internal failure of this script. Nothing secret is ever printed: passwords
// and tokens stay out of stdout and stderr.
'use strict';

const path = require('node:path');
const { performance } = require('node:perf_hooks');

let cognito;
try {
	cognito = require('amazon-cognito-identity-js');
} catch (err) {
	// Fall back to the interop folder's own node_modules when the script is
	// run from somewhere that does not resolve it (it normally does).
	cognito = require(path.join(__dirname, '..', 'node_modules', 'amazon-cognito-identity-js'));
}
const { AuthenticationDetails, CognitoUser, CognitoUserPool } = cognito;

const EXIT_BAD_JOB = 2;
const EXIT_INTERNAL = 1;
const DEFAULT_TIMEOUT_MS = 30000;
const MAX_REPEAT = 10000;

// JobError marks a job that cannot be run; its message names the problem
// and never echoes a password.
class JobError extends Error {}

// MapStorage is a fresh per-sign-in replacement for the library's
// module-global MemoryStorage (the fallback it uses when there is no
// window.localStorage, as under Node). It has the same semantics:
// getItem returns undefined, not null, for a missing key, so the library
// leaves DEVICE_KEY out of refresh requests exactly as it does by default.
// A fresh store per sign-in keeps repeated sign-ins independent: nothing
// (tokens, LastAuthUser, remembered device keys) leaks from one to the next.
class MapStorage {
	constructor() {
		this.items = new Map();
	}
	setItem(key, value) {
		this.items.set(key, value);
		return value;
	}
	getItem(key) {
		return this.items.has(key) ? this.items.get(key) : undefined;
	}
	removeItem(key) {
		return this.items.delete(key);
	}
	clear() {
		this.items.clear();
		return {};
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
		// Same rule as CognitoUserPool's constructor, checked here so that a
		// bad ID is reported as a bad job rather than as a crash.
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
		if (typeof u.password !== 'string') {
			throw new JobError(`job.users[${i}].password must be a string`);
		}
		const expect = u.expect === undefined ? 'success' : u.expect;
		if (expect !== 'success' && expect !== 'failure') {
			throw new JobError(`job.users[${i}].expect must be "success" or "failure"`);
		}
		return { username: u.username, password: u.password, expect };
	});
	let repeat = 1;
	if (job.repeat !== undefined) {
		if (!Number.isInteger(job.repeat) || job.repeat < 1 || job.repeat > MAX_REPEAT) {
			throw new JobError(`job.repeat must be an integer in [1, ${MAX_REPEAT}]`);
		}
		repeat = job.repeat;
	}
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
		repeat,
		timeoutMs,
	};
}

// The operation currently running, so that an exception the library throws
// from inside one of its own callbacks fails that operation instead of
// killing the process or hanging it.
let pendingReject = null;

function guarded(timeoutMs, what, start) {
	return new Promise((resolve, reject) => {
		let done = false;
		const finish = (fn, v) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			pendingReject = null;
			fn(v);
		};
		const timer = setTimeout(() => {
			const err = new Error(`${what} did not finish within ${timeoutMs} ms`);
			err.code = 'Timeout';
			finish(reject, err);
		}, timeoutMs);
		pendingReject = err => finish(reject, err);
		try {
			start(v => finish(resolve, v), e => finish(reject, e));
		} catch (err) {
			finish(reject, err);
		}
	});
}

function onStray(err) {
	if (pendingReject) {
		pendingReject(err instanceof Error ? err : new Error(String(err)));
		return;
	}
	process.stderr.write(`srp-client: stray error outside any operation: ${err && err.name}\n`);
}
process.on('uncaughtException', onStray);
process.on('unhandledRejection', onStray);

function challengeError(name) {
	const err = new Error(`sign-in stopped at challenge ${name}, which this driver does not answer`);
	err.code = name;
	return err;
}

function signIn(job, username, password) {
	const storage = new MapStorage();
	const pool = new CognitoUserPool({
		UserPoolId: job.userPoolId,
		ClientId: job.clientId,
		endpoint: job.endpoint,
		Storage: storage,
	});
	const user = new CognitoUser({ Username: username, Pool: pool, Storage: storage });
	const details = new AuthenticationDetails({ Username: username, Password: password });
	return guarded(job.timeoutMs, 'sign-in', (resolve, reject) => {
		const stopAt = name => () => reject(challengeError(name));
		user.authenticateUser(details, {
			onSuccess: session => resolve({ user, session }),
			onFailure: err => reject(err),
			newPasswordRequired: stopAt('NEW_PASSWORD_REQUIRED'),
			mfaRequired: stopAt('SMS_MFA'),
			totpRequired: stopAt('SOFTWARE_TOKEN_MFA'),
			selectMFAType: stopAt('SELECT_MFA_TYPE'),
			mfaSetup: stopAt('MFA_SETUP'),
			customChallenge: stopAt('CUSTOM_CHALLENGE'),
		});
	});
}

function refresh(job, user, session) {
	return guarded(job.timeoutMs, 'refresh', (resolve, reject) => {
		user.refreshSession(session.getRefreshToken(), (err, newSession) => {
			if (err) reject(err);
			else resolve(newSession);
		});
	});
}

function claim(token, name) {
	const payload = token && token.payload;
	if (!payload || typeof payload !== 'object') return '';
	const v = payload[name];
	return typeof v === 'string' ? v : '';
}

// describe turns an error into a code and a message that is safe to print:
// secrets the driver knows of are cut out in case a server echoes them.
function describe(err, secrets) {
	let code = (err && (err.code || err.name)) || 'Error';
	let message = (err && err.message) || String(err);
	for (const s of secrets) {
		if (typeof s === 'string' && s.length >= 4) {
			code = code.split(s).join('[REDACTED]');
			message = message.split(s).join('[REDACTED]');
		}
	}
	return { code: String(code), message: String(message) };
}

async function runUser(job, u) {
	const result = {
		username: u.username,
		expect: u.expect,
		ok: true,
		error: '',
		message: '',
		accessUsername: '',
		idUsername: '',
		refreshed: false,
		refreshChangedToken: false,
		signIns: 0,
		failedSignIns: 0,
		signInMs: 0,
	};
	let totalMs = 0;
	const secrets = [u.password];
	for (let i = 0; i < job.repeat; i++) {
		const t0 = performance.now();
		let signedIn;
		try {
			signedIn = await signIn(job, u.username, u.password);
		} catch (err) {
			totalMs += performance.now() - t0;
			result.signIns++;
			result.failedSignIns++;
			if (result.ok) {
				const d = describe(err, secrets);
				result.ok = false;
				result.error = d.code;
				result.message = d.message;
			}
			continue;
		}
		totalMs += performance.now() - t0;
		result.signIns++;
		const { user, session } = signedIn;
		const access = session.getAccessToken();
		secrets.push(access.getJwtToken(), session.getIdToken().getJwtToken(),
			session.getRefreshToken().getToken());
		if (i === 0 || !result.accessUsername) {
			result.accessUsername = claim(access, 'username');
			result.idUsername = claim(session.getIdToken(), 'cognito:username');
		}
		if (!access.getJwtToken()) {
			if (result.ok) {
				result.ok = false;
				result.error = 'NoAccessToken';
				result.message = 'sign-in succeeded without an access token';
			}
			continue;
		}
		// Refresh once per user, after its first successful sign-in, so that
		// repeat > 1 measures sign-ins and not refreshes.
		if (job.refresh && !result.refreshed && result.ok) {
			try {
				const fresh = await refresh(job, user, session);
				const freshAccess = fresh.getAccessToken();
				const tok = freshAccess.getJwtToken();
				if (!tok || !freshAccess.payload || freshAccess.payload.exp === undefined) {
					result.ok = false;
					result.error = 'NoAccessToken';
					result.message = 'refresh returned no usable access token';
				} else if (claim(freshAccess, 'username') !== result.accessUsername) {
					result.ok = false;
					result.error = 'UsernameMismatch';
					result.message = 'refreshed access token names a different username';
				} else {
					result.refreshed = true;
					result.refreshChangedToken = tok !== access.getJwtToken();
				}
			} catch (err) {
				const d = describe(err, secrets);
				result.ok = false;
				result.error = d.code;
				result.message = `refresh: ${d.message}`;
			}
		}
	}
	result.signInMs = result.signIns > 0 ? totalMs / result.signIns : 0;
	result.asExpected = (u.expect === 'success') === result.ok;
	return { result, totalMs };
}

async function main() {
	let job;
	try {
		job = parseJob(await readStdin());
	} catch (err) {
		if (err instanceof JobError) {
			process.stderr.write(`srp-client: bad job: ${err.message}\n`);
			process.exitCode = EXIT_BAD_JOB;
			return;
		}
		throw err;
	}
	const results = [];
	let totalMs = 0;
	let count = 0;
	for (const u of job.users) {
		const r = await runUser(job, u);
		results.push(r.result);
		totalMs += r.totalMs;
		count += r.result.signIns;
	}
	const out = JSON.stringify({ results, meanSignInMs: count > 0 ? totalMs / count : 0 });
	// Exit explicitly once stdout is flushed: a timed-out request may still
	// hold the event loop open.
	process.stdout.write(`${out}\n`, () => process.exit(0));
}

main().catch(err => {
	process.stderr.write(`srp-client: internal error: ${err && err.name}: ${err && err.message}\n`);
	process.exit(EXIT_INTERNAL);
});
