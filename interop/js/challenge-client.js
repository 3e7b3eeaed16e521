#!/usr/bin/env node
// challenge-client.js drives amazon-cognito-identity-js (the reference
// Cognito client) through the challenges of a sign-in, for the Go interop
// tests: every callback of authenticateUser that the library has, each
// answered the way the library's documentation says, then a refresh.
//
//   newPasswordRequired  completeNewPasswordChallenge(newPassword, the
//                        required attributes from the job's attributes)
//   mfaRequired          sendMFACode(code), code asked of the caller
//   totpRequired         sendMFACode(code, callbacks, 'SOFTWARE_TOKEN_MFA'),
//                        code asked of the caller
//   selectMFAType        sendMFASelectionAnswer(the job's selectMFA)
//   mfaSetup             associateSoftwareToken, then
//                        verifySoftwareToken(TOTP of the secret, computed
//                        here, deviceName)
//   customChallenge      sendCustomChallengeAnswer(answer), answer asked of
//                        the caller
//
// On a pool with device tracking the library confirms the device itself
// (ConfirmDevice, when a result carries NewDeviceMetadata); when the pool
// asks the user (UserConfirmationNecessary) and the job user has
// rememberDevice, the script calls setDeviceStatusRemembered. A job user
// with signIns n > 1 signs in n times in a row, each time with a new
// CognitoUser sharing the first one's storage, so that later sign-ins use
// the device remembered there (DEVICE_SRP_AUTH); the refresh follows the
// last one.
//
// Protocol (interactive, see driver.js): the job is the first line of
// stdin:
//   {"endpoint":"http://127.0.0.1:PORT","userPoolId":"us-east-1_Xyz",
//    "clientId":"...","refresh":true,"timeoutMs":30000,
//    "users":[{"username":"...","password":"...","expect":"success",
//      "flow":"USER_SRP_AUTH"|"CUSTOM_AUTH","newPassword":"...",
//      "attributes":{"name":"..."},"selectMFA":"SMS_MFA","deviceName":"...",
//      "signIns":1,"rememberDevice":false}]}
// When a code is needed the script writes one line on stdout,
//   {"ask":{"user":i,"username":"...","challenge":"SMS_MFA","parameters":{...}}}
// and reads the answer from the next line of stdin, {"answer":"123456"}.
// The last line on stdout is the result:
//   {"results":[{"username","ok","error","message","accessUsername",
//    "idUsername","steps":[{"event","challenge","parameters"}],
//    "secretCodeLength","userConfirmationNecessary","deviceKey",
//    "refreshed","refreshChangedToken",...}],"meanSignInMs":n}
// steps lists the callbacks the library called, in order, with the
// challenge's name and parameters as it passed them (for
// newPasswordRequired: userAttributes and requiredAttributes), each
// sign-in ending with onSuccess or onFailure; setDeviceStatusRemembered
// marks that call, and signIn the start of each sign-in after the first.
// userConfirmationNecessary is what the library passed to onSuccess (true,
// or false when it passed nothing) at the first sign-in; deviceKey is the
// device key in the storage after the last one ("" for none: it is not a
// secret, the device's password is).
//
// Exit status as srp-client.js's. Nothing secret is printed: passwords,
// codes, the authenticator secret (only its length is reported) and tokens
// stay out of the results and of stderr.
'use strict';

const crypto = require('node:crypto');
const { Console } = require('node:console');
const { performance } = require('node:perf_hooks');
const {
	JobError, load, codedError, withDeadline, describe, claim, newResult, fail, judge, runMain,
} = require('./driver');

// stdout carries the protocol: anything the library logs goes to stderr.
const stderrConsole = new Console({ stdout: process.stderr, stderr: process.stderr });
for (const m of ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir', 'table']) {
	console[m] = stderrConsole[m].bind(stderrConsole);
}

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = load('amazon-cognito-identity-js');

// MAX_STEPS bounds the callbacks of one sign-in, so that a server that
// keeps asking cannot loop the script forever.
const MAX_STEPS = 20;

// MAX_SIGN_INS bounds a job user's signIns.
const MAX_SIGN_INS = 5;

// MapStorage is a fresh store per sign-in (see srp-client.js).
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

function optionalString(u, i, key) {
	const v = u[key];
	if (v !== undefined && typeof v !== 'string') {
		throw new JobError(`job.users[${i}].${key} must be a string`);
	}
	return v === undefined ? '' : v;
}

// userFields checks this driver's fields of a job user.
function userFields(u, i) {
	const flow = u.flow === undefined ? 'USER_SRP_AUTH' : u.flow;
	if (flow !== 'USER_SRP_AUTH' && flow !== 'CUSTOM_AUTH') {
		throw new JobError(`job.users[${i}].flow must be "USER_SRP_AUTH" or "CUSTOM_AUTH"`);
	}
	const attributes = u.attributes === undefined ? {} : u.attributes;
	if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)
		|| Object.values(attributes).some(v => typeof v !== 'string')) {
		throw new JobError(`job.users[${i}].attributes must be an object of strings`);
	}
	const signIns = u.signIns === undefined ? 1 : u.signIns;
	if (!Number.isInteger(signIns) || signIns < 1 || signIns > MAX_SIGN_INS) {
		throw new JobError(`job.users[${i}].signIns must be an integer in [1, ${MAX_SIGN_INS}]`);
	}
	if (u.rememberDevice !== undefined && typeof u.rememberDevice !== 'boolean') {
		throw new JobError(`job.users[${i}].rememberDevice must be a boolean`);
	}
	return {
		flow,
		attributes,
		newPassword: optionalString(u, i, 'newPassword'),
		selectMFA: optionalString(u, i, 'selectMFA'),
		deviceName: optionalString(u, i, 'deviceName'),
		signIns,
		rememberDevice: u.rememberDevice === true,
	};
}

// base32Decode decodes RFC 4648 base32, any letter case, padding optional.
function base32Decode(text) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	const out = [];
	let bits = 0;
	let value = 0;
	for (const ch of text.replace(/=+$/, '').toUpperCase()) {
		const v = alphabet.indexOf(ch);
		if (v < 0) throw codedError('BadSecret', 'the secret code is not base32');
		value = ((value << 5) | v) & 0xffff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out.push((value >>> bits) & 0xff);
		}
	}
	return Buffer.from(out);
}

// totp returns the RFC 6238 code of a base32 secret at time ms: HMAC-SHA-1,
// 30-second steps, 6 digits, as authenticator apps compute it.
function totp(secret, ms) {
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)));
	const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
	const off = mac[mac.length - 1] & 0x0f;
	const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
	return String(bin % 1000000).padStart(6, '0');
}

// signIn runs one sign-in of job user u (the i-th) through its challenges,
// keeping tokens and devices in storage. secrets collects what must never
// be printed. It resolves to {user, session, userConfirmationNecessary}.
function signIn(job, u, i, ask, result, secrets, storage) {
	const pool = new CognitoUserPool({
		UserPoolId: job.userPoolId,
		ClientId: job.clientId,
		endpoint: job.endpoint,
		Storage: storage,
	});
	const user = new CognitoUser({ Username: u.username, Pool: pool, Storage: storage });
	if (u.flow === 'CUSTOM_AUTH') user.setAuthenticationFlowType('CUSTOM_AUTH');
	const details = new AuthenticationDetails({ Username: u.username, Password: u.password });
	return withDeadline(job.timeoutMs, 'sign-in', (resolve, reject) => {
		// record notes a callback; false means the sign-in has gone on for
		// too long and has been failed.
		let steps = 0;
		const record = (event, challenge, parameters) => {
			result.steps.push({ event, challenge, parameters: parameters || {} });
			if (++steps > MAX_STEPS) {
				reject(codedError('TooManySteps', `more than ${MAX_STEPS} callbacks in one sign-in`));
				return false;
			}
			return true;
		};
		// askFor asks the caller the answer to a challenge, then calls
		// then(answer); a failure fails the sign-in.
		const askFor = (challenge, parameters, then) => {
			ask({ user: i, username: u.username, challenge, parameters: parameters || {} })
				.then(answer => {
					secrets.push(answer);
					then(answer);
				})
				.catch(reject);
		};
		const callbacks = {
			onSuccess: (session, userConfirmationNecessary) => {
				record('onSuccess', '', {});
				resolve({ user, session, userConfirmationNecessary: userConfirmationNecessary === true });
			},
			onFailure: err => {
				record('onFailure', '', {});
				reject(err);
			},
			newPasswordRequired: (userAttributes, requiredAttributes) => {
				if (!record('newPasswordRequired', 'NEW_PASSWORD_REQUIRED', { userAttributes, requiredAttributes })) return;
				const given = {};
				for (const name of requiredAttributes || []) {
					if (u.attributes[name] !== undefined) given[name] = u.attributes[name];
				}
				user.completeNewPasswordChallenge(u.newPassword, given, callbacks);
			},
			mfaRequired: (challenge, parameters) => {
				if (!record('mfaRequired', challenge, parameters)) return;
				askFor(challenge, parameters, code => user.sendMFACode(code, callbacks));
			},
			totpRequired: (challenge, parameters) => {
				if (!record('totpRequired', challenge, parameters)) return;
				askFor(challenge, parameters, code => user.sendMFACode(code, callbacks, 'SOFTWARE_TOKEN_MFA'));
			},
			selectMFAType: (challenge, parameters) => {
				if (!record('selectMFAType', challenge, parameters)) return;
				user.sendMFASelectionAnswer(u.selectMFA, callbacks);
			},
			mfaSetup: (challenge, parameters) => {
				if (!record('mfaSetup', challenge, parameters)) return;
				user.associateSoftwareToken({
					associateSecretCode: secret => {
						secrets.push(secret);
						result.secretCodeLength = secret.length;
						if (!record('associateSecretCode', '', {})) return;
						let code;
						try {
							code = totp(secret, Date.now());
						} catch (err) {
							reject(err);
							return;
						}
						secrets.push(code);
						user.verifySoftwareToken(code, u.deviceName, callbacks);
					},
					onFailure: callbacks.onFailure,
				});
			},
			customChallenge: parameters => {
				if (!record('customChallenge', 'CUSTOM_CHALLENGE', parameters)) return;
				askFor('CUSTOM_CHALLENGE', parameters, answer => user.sendCustomChallengeAnswer(answer, callbacks));
			},
		};
		user.authenticateUser(details, callbacks);
	});
}

// rememberDevice marks the device of user's sign-in remembered, as an app
// does when its user says yes to "remember this device?".
function rememberDevice(job, user) {
	return withDeadline(job.timeoutMs, 'setDeviceStatusRemembered', (resolve, reject) => {
		user.setDeviceStatusRemembered({ onSuccess: resolve, onFailure: reject });
	});
}

// storedDevice returns the device key and password that the library keeps
// in storage for the last user signed in, "" for none.
function storedDevice(job, storage) {
	const prefix = `CognitoIdentityServiceProvider.${job.clientId}`;
	const last = storage.getItem(`${prefix}.LastAuthUser`);
	if (!last) return { key: '', password: '' };
	return {
		key: storage.getItem(`${prefix}.${last}.deviceKey`) || '',
		password: storage.getItem(`${prefix}.${last}.randomPasswordKey`) || '',
	};
}

function refresh(job, user, session) {
	return withDeadline(job.timeoutMs, 'refresh', (resolve, reject) => {
		user.refreshSession(session.getRefreshToken(), (err, newSession) => {
			if (err) reject(err);
			else resolve(newSession);
		});
	});
}

// runUser signs in as u once, through its challenges, and refreshes when
// the job asks for it.
async function runUser(job, u, ask) {
	const i = job.users.indexOf(u);
	const result = newResult(u, true, {
		steps: [],
		secretCodeLength: 0,
		userConfirmationNecessary: false,
		deviceKey: '',
		refreshed: false,
		refreshChangedToken: false,
		signInMs: 0,
	});
	const secrets = [u.password, u.newPassword];
	const storage = new MapStorage();
	const t0 = performance.now();
	let signedIn;
	let n = 0;
	try {
		for (n = 1; n <= u.signIns; n++) {
			if (n > 1) result.steps.push({ event: 'signIn', challenge: '', parameters: {} });
			signedIn = await signIn(job, u, i, ask, result, secrets, storage);
			secrets.push(storedDevice(job, storage).password);
			if (n === 1) result.userConfirmationNecessary = signedIn.userConfirmationNecessary;
			if (signedIn.userConfirmationNecessary && u.rememberDevice) {
				result.steps.push({ event: 'setDeviceStatusRemembered', challenge: '', parameters: {} });
				await rememberDevice(job, signedIn.user);
			}
		}
	} catch (err) {
		secrets.push(storedDevice(job, storage).password);
		result.signInMs = (performance.now() - t0) / n;
		const d = describe(err, secrets);
		fail(result, d.code, d.message);
		return { result: judge(result), signInMs: performance.now() - t0, signIns: n };
	}
	const elapsed = performance.now() - t0;
	result.signInMs = elapsed / u.signIns;
	result.deviceKey = storedDevice(job, storage).key;
	const { user, session } = signedIn;
	const access = session.getAccessToken();
	secrets.push(access.getJwtToken(), session.getIdToken().getJwtToken(), session.getRefreshToken().getToken());
	result.accessUsername = claim(access.payload, 'username');
	result.idUsername = claim(session.getIdToken().payload, 'cognito:username');
	if (!access.getJwtToken()) {
		fail(result, 'NoAccessToken', 'sign-in succeeded without an access token');
	} else if (job.refresh) {
		try {
			const fresh = await refresh(job, user, session);
			const tok = fresh.getAccessToken().getJwtToken();
			if (!tok || claim(fresh.getAccessToken().payload, 'username') !== result.accessUsername) {
				fail(result, 'NoAccessToken', 'refresh returned no access token for the user');
			} else {
				result.refreshed = true;
				result.refreshChangedToken = tok !== access.getJwtToken();
			}
		} catch (err) {
			const d = describe(err, secrets);
			fail(result, d.code, `refresh: ${d.message}`);
		}
	}
	return { result: judge(result), signInMs: elapsed, signIns: u.signIns };
}

runMain({
	tag: 'challenge-client',
	interactive: true,
	jobOptions: { userFields },
	strays: { failPending: true },
	runUser,
});
