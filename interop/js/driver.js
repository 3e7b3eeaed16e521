// driver.js holds what the Node drivers in this folder (srp-client.js,
// amplify-client.js, challenge-client.js) share, so that each of them only
// drives its library:
//
//   - runMain: read the job from stdin, check it, run it user by user, print
//     {"results":[...],"meanSignInMs":n} as one line, and exit 0 (the job
//     ran), 2 (a job that cannot be run) or 1 (an internal failure); in
//     interactive mode the job is stdin's first line, and a driver may ask
//     the caller questions (see asker) while it runs;
//   - parseJob: the job format and its checks, with the options in which
//     the drivers differ;
//   - withDeadline and catchStrayErrors: a step that fails with the code
//     Timeout when it does not finish in time, and what to do with errors
//     that escape every step;
//   - describe: an error as a code and a message with every known secret cut
//     out, for the no-secrets-printed guarantee;
//   - claim, newResult, fail, judge: reading token claims and keeping the
//     per-user result.
'use strict';

const path = require('node:path');
const readline = require('node:readline');

const EXIT_RAN = 0;
const EXIT_INTERNAL = 1;
const EXIT_BAD_JOB = 2;
const DEFAULT_TIMEOUT_MS = 30000;
const MAX_REPEAT = 10000;

// A secret shorter than this is not redacted: cutting out "p" or "0" would
// mangle every message and hide nothing.
const MIN_SECRET_LENGTH = 4;
const REDACTED = '[REDACTED]';

// load requires a module the usual way (node_modules next to this folder)
// or, failing that, from the interop folder explicitly.
function load(name) {
	try {
		return require(name);
	} catch (err) {
		return require(require.resolve(name, { paths: [path.join(__dirname, '..')] }));
	}
}

// JobError marks a job that cannot be run; its message names the problem
// and never echoes a password.
class JobError extends Error {}

function isNonEmptyString(v) {
	return typeof v === 'string' && v.length > 0;
}

// readStdin resolves to all of stdin, decoded as UTF-8.
function readStdin() {
	return new Promise((resolve, reject) => {
		const chunks = [];
		process.stdin.on('data', chunk => chunks.push(chunk));
		process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		process.stdin.on('error', reject);
	});
}

// stdinLines returns a function that resolves to the next line of stdin,
// without its line ending, or to null once stdin has ended.
function stdinLines() {
	const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
	const lines = [];
	const waiters = [];
	let ended = false;
	rl.on('line', line => {
		const w = waiters.shift();
		if (w) w(line);
		else lines.push(line);
	});
	rl.on('close', () => {
		ended = true;
		while (waiters.length > 0) waiters.shift()(null);
	});
	return () => new Promise(resolve => {
		if (lines.length > 0) resolve(lines.shift());
		else if (ended) resolve(null);
		else waiters.push(resolve);
	});
}

// asker returns the ask function of interactive mode: ask(question) writes
// {"ask":question} as one line on stdout and resolves to the "answer"
// string of the next line of stdin, {"answer":"..."}. It rejects (code
// NoAnswer or BadAnswer) when stdin ends first or the line is not such an
// object. Questions are asked one at a time.
function asker(nextLine) {
	return async question => {
		process.stdout.write(`${JSON.stringify({ ask: question })}\n`);
		const line = await nextLine();
		if (line === null) {
			throw codedError('NoAnswer', 'stdin ended before the answer to a question');
		}
		let reply;
		try {
			reply = JSON.parse(line);
		} catch (err) {
			throw codedError('BadAnswer', 'an answer line is not valid JSON');
		}
		if (reply === null || typeof reply !== 'object' || typeof reply.answer !== 'string') {
			throw codedError('BadAnswer', 'an answer line has no "answer" string');
		}
		return reply.answer;
	};
}

// parseUser checks job.users[i] and returns it with expect defaulted to
// "success". allowEmptyPassword accepts "" as a password.
function parseUser(u, i, allowEmptyPassword) {
	if (u === null || typeof u !== 'object') {
		throw new JobError(`job.users[${i}] must be an object`);
	}
	if (!isNonEmptyString(u.username)) {
		throw new JobError(`job.users[${i}].username must be a non-empty string`);
	}
	if (allowEmptyPassword) {
		if (typeof u.password !== 'string') {
			throw new JobError(`job.users[${i}].password must be a string`);
		}
	} else if (!isNonEmptyString(u.password)) {
		throw new JobError(`job.users[${i}].password must be a non-empty string`);
	}
	const expect = u.expect === undefined ? 'success' : u.expect;
	if (expect !== 'success' && expect !== 'failure') {
		throw new JobError(`job.users[${i}].expect must be "success" or "failure"`);
	}
	return { username: u.username, password: u.password, expect };
}

// parseJob parses and checks a job (the text of stdin):
//   {"endpoint":"http(s)://...","userPoolId":"<region>_<name>","clientId":"...",
//    "users":[{"username":"...","password":"...","expect":"success"|"failure"}],
//    "refresh":bool,"timeoutMs":n}
// and returns it with the defaults filled in (refresh false, timeoutMs
// 30000, expect "success"). Options, for the ways the drivers differ:
//   withRepeat: the job may have "repeat", an integer in [1, 10000] (default
//     1), returned as repeat; without it, "repeat" is ignored like any
//     unknown field and not returned.
//   allowEmptyPassword: a password may be "" (otherwise it must be a
//     non-empty string).
//   userFields: a function (u, i) that checks the driver's own fields of
//     job.users[i] and returns them, to be added to the parsed user; it
//     throws a JobError for a bad one.
// A job that cannot be run throws a JobError, checked in the order above.
function parseJob(text, { withRepeat = false, allowEmptyPassword = false, userFields } = {}) {
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
		// The rule of amazon-cognito-identity-js's CognitoUserPool
		// constructor, checked here so that a bad ID is reported as a bad
		// job rather than as a crash; Amplify takes the region from the part
		// before "_" and fails later, and less clearly, without one.
		throw new JobError('job.userPoolId must look like <region>_<name>');
	}
	if (!isNonEmptyString(job.clientId)) {
		throw new JobError('job.clientId must be a non-empty string');
	}
	if (!Array.isArray(job.users) || job.users.length === 0) {
		throw new JobError('job.users must be a non-empty array');
	}
	const users = job.users.map((u, i) => {
		const parsed = parseUser(u, i, allowEmptyPassword);
		return userFields ? { ...parsed, ...userFields(u, i) } : parsed;
	});
	let repeat = 1;
	if (withRepeat && job.repeat !== undefined) {
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
	const parsed = {
		endpoint: job.endpoint,
		userPoolId: job.userPoolId,
		clientId: job.clientId,
		users,
		refresh: job.refresh === true,
	};
	if (withRepeat) parsed.repeat = repeat;
	parsed.timeoutMs = timeoutMs;
	return parsed;
}

// codedError returns an Error whose name and code are both code, so that
// describe reports code whichever of the two it prefers.
function codedError(code, message) {
	const err = new Error(message);
	err.name = code;
	err.code = code;
	return err;
}

// The reject function of the step currently running under withDeadline, or
// null: catchStrayErrors({failPending: true}) fails that step with an error
// that escaped it.
let pendingReject = null;

// withDeadline runs one step: start(resolve, reject) is called at once and
// the returned promise settles as the first of these happens: start calls
// resolve or reject, start throws (a rejection), or timeoutMs pass (a
// rejection with the code Timeout and the message "<what> did not finish
// within <timeoutMs> ms"). Anything later is ignored: a step that timed out
// is left to finish on its own.
function withDeadline(timeoutMs, what, start) {
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
			finish(reject, codedError('Timeout', `${what} did not finish within ${timeoutMs} ms`));
		}, timeoutMs);
		pendingReject = err => finish(reject, err);
		try {
			start(v => finish(resolve, v), e => finish(reject, e));
		} catch (err) {
			finish(reject, err);
		}
	});
}

// catchStrayErrors handles uncaught exceptions and unhandled rejections,
// so that they neither kill nor hang the driver. With failPending, such an
// error fails the step running under withDeadline (a library that throws
// from one of its own callbacks), and one outside any step is only noted on
// stderr. Without it, every such error is taken to come from a call
// abandoned when its step timed out, which has been reported already, and
// is only noted on stderr. The note gives the error's name, nothing more.
function catchStrayErrors(tag, { failPending = false } = {}) {
	const onStray = err => {
		if (failPending && pendingReject) {
			pendingReject(err instanceof Error ? err : new Error(String(err)));
			return;
		}
		const where = failPending ? 'outside any operation' : 'after its step ended';
		process.stderr.write(`${tag}: stray error ${where}: ${err && err.name}\n`);
	};
	process.on('uncaughtException', onStray);
	process.on('unhandledRejection', onStray);
}

// redact returns text with every secret of at least MIN_SECRET_LENGTH
// characters replaced by [REDACTED]. secrets is any iterable; entries that
// are not strings are skipped.
function redact(text, secrets) {
	let out = String(text);
	for (const s of secrets) {
		if (typeof s === 'string' && s.length >= MIN_SECRET_LENGTH) {
			out = out.split(s).join(REDACTED);
		}
	}
	return out;
}

// describe turns an error into a code and a message that are safe to
// print: the secrets the driver knows of (passwords, tokens) are cut out of
// both, in case a server or the library echoes them. The code is err.code,
// else err.name (prefer: 'name' tries err.name first), else "Error"; the
// message is err.message, else err itself as a string.
function describe(err, secrets, { prefer = 'code' } = {}) {
	const [first, second] = prefer === 'name' ? ['name', 'code'] : ['code', 'name'];
	const code = (err && (err[first] || err[second])) || 'Error';
	const message = (err && err.message) || String(err);
	return { code: redact(code, secrets), message: redact(message, secrets) };
}

// claim returns the string claim name of a decoded JWT payload, or "" when
// there is no payload or the claim is missing or not a string.
function claim(payload, name) {
	if (!payload || typeof payload !== 'object') return '';
	const v = payload[name];
	return typeof v === 'string' ? v : '';
}

// newResult starts the result of job user u: the fields every driver
// reports, with ok as given, then the driver's own fields, in output order.
// judge adds asExpected last.
function newResult(u, ok, fields) {
	return {
		username: u.username,
		expect: u.expect,
		ok,
		error: '',
		message: '',
		accessUsername: '',
		idUsername: '',
		...fields,
	};
}

// fail marks result as failed with an error code and a message that are
// already safe to print (see describe).
function fail(result, code, message) {
	result.ok = false;
	result.error = code;
	result.message = message;
}

// judge sets result.asExpected: whether ok is what the user's expect asked
// for. It returns result.
function judge(result) {
	result.asExpected = (result.expect === 'success') === result.ok;
	return result;
}

// mean returns total / count, or 0 when count is 0.
function mean(total, count) {
	return count > 0 ? total / count : 0;
}

// runMain is a driver's main program. It installs catchStrayErrors(tag,
// strays), reads and checks the job (parseJob with jobOptions), calls
// prepare(job) if given, then runUser(job, u) for each job user in turn.
// With interactive, the job is the first line of stdin (the rest carries
// answers) and runUser is called as runUser(job, u, ask), ask being
// asker's function.
// runUser resolves to {result, signInMs, signIns}: the user's result (see
// newResult and judge), the total time of its sign-ins and their number.
// It prints {"results":[...],"meanSignInMs":n} on stdout, n being the mean
// over all sign-ins, and exits 0. A bad job is named on stderr with exit
// status 2; anything thrown is an internal error, exit status 1, on stderr
// with the error's name and message.
function runMain({ tag, jobOptions, strays, prepare, runUser, interactive = false }) {
	catchStrayErrors(tag, strays);
	const main = async () => {
		let job;
		let ask;
		try {
			let text;
			if (interactive) {
				const nextLine = stdinLines();
				text = await nextLine();
				if (text === null) throw new JobError('stdin ended before the job line');
				ask = asker(nextLine);
			} else {
				text = await readStdin();
			}
			job = parseJob(text, jobOptions);
		} catch (err) {
			if (err instanceof JobError) {
				process.stderr.write(`${tag}: bad job: ${err.message}\n`);
				process.exitCode = EXIT_BAD_JOB;
				return;
			}
			throw err;
		}
		if (prepare) prepare(job);
		const results = [];
		let totalMs = 0;
		let count = 0;
		for (const u of job.users) {
			const r = await runUser(job, u, ask);
			results.push(r.result);
			totalMs += r.signInMs;
			count += r.signIns;
		}
		const out = JSON.stringify({ results, meanSignInMs: mean(totalMs, count) });
		// Exit explicitly once stdout is flushed: a timed-out request may
		// still hold the event loop open.
		process.stdout.write(`${out}\n`, () => process.exit(EXIT_RAN));
	};
	main().catch(err => {
		process.stderr.write(`${tag}: internal error: ${err && err.name}: ${err && err.message}\n`);
		process.exit(EXIT_INTERNAL);
	});
}

module.exports = {
	JobError,
	load,
	codedError,
	withDeadline,
	describe,
	claim,
	newResult,
	fail,
	judge,
	mean,
	runMain,
};
