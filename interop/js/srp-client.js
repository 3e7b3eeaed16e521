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
//
// Reading and checking the job, the output line, the exit status and the
// redaction of secrets are driver.js's; this file only drives its library.
'use strict';

const { performance } = require('node:perf_hooks');
const {
	load, codedError, withDeadline, describe, claim, newResult, fail, judge, mean, runMain,
} = require('./driver');

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = load('amazon-cognito-identity-js');

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

// challengeError fails a sign-in that stopped at a challenge (MFA, a new
// password, ...): the error code is the challenge's name.
function challengeError(name) {
	return codedError(name, `sign-in stopped at challenge ${name}, which this driver does not answer`);
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
	return withDeadline(job.timeoutMs, 'sign-in', (resolve, reject) => {
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
	return withDeadline(job.timeoutMs, 'refresh', (resolve, reject) => {
		user.refreshSession(session.getRefreshToken(), (err, newSession) => {
			if (err) reject(err);
			else resolve(newSession);
		});
	});
}

// runUser signs in as u job.repeat times, each time with a fresh store,
// and refreshes once, after the first successful sign-in, when the job asks
// for it. The first failure is the one reported.
async function runUser(job, u) {
	const result = newResult(u, true, {
		refreshed: false,
		refreshChangedToken: false,
		signIns: 0,
		failedSignIns: 0,
		signInMs: 0,
	});
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
				fail(result, d.code, d.message);
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
			result.accessUsername = claim(access.payload, 'username');
			result.idUsername = claim(session.getIdToken().payload, 'cognito:username');
		}
		if (!access.getJwtToken()) {
			if (result.ok) fail(result, 'NoAccessToken', 'sign-in succeeded without an access token');
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
					fail(result, 'NoAccessToken', 'refresh returned no usable access token');
				} else if (claim(freshAccess.payload, 'username') !== result.accessUsername) {
					fail(result, 'UsernameMismatch', 'refreshed access token names a different username');
				} else {
					result.refreshed = true;
					result.refreshChangedToken = tok !== access.getJwtToken();
				}
			} catch (err) {
				const d = describe(err, secrets);
				fail(result, d.code, `refresh: ${d.message}`);
			}
		}
	}
	result.signInMs = mean(totalMs, result.signIns);
	return { result: judge(result), signInMs: totalMs, signIns: result.signIns };
}

runMain({
	tag: 'srp-client',
	jobOptions: { withRepeat: true, allowEmptyPassword: true },
	// The library throws from inside its own callbacks (a malformed
	// response): that fails the sign-in or refresh running, instead of
	// killing the process or hanging it.
	strays: { failPending: true },
	runUser,
});
