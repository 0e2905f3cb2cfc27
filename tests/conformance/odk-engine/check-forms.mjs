#!/usr/bin/env node
// Smoke test and throughput check of the harness on a set of XForms:
//
//   node check-forms.mjs [--sequences N] [--max-answers M] [FORM.xml | DIR ...]
//
// (default: the shared forms, ../../../../shared/forms/public/{xform,odk-web-forms}). For each form it
// makes an empty answer set and N-1 plausible interviews (lib/interview.mjs, seeds 1..N-1), replays them
// all through `odk-eval.mjs --batch` in one child process, and prints a Markdown table: whether ODK's
// engine loads the form (else its error), leaves, load time, and sequences per second once the form is
// cached. Exit 1 if a loadable form's replay fails or an interview's answer is rejected on replay.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve, basename, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadXForm } from './lib/engine.mjs';
import { plausibleInterview } from './lib/interview.mjs';
import { readLeaves } from './lib/state.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SHARED = resolve(here, '../../../../shared/forms/public');
const DEFAULT_INPUTS = [join(SHARED, 'xform'), join(SHARED, 'odk-web-forms')];

const parseArgs = (argv) => {
	const opts = { sequences: 20, maxAnswers: 60, inputs: [] };
	for (let i = 0; i < argv.length; i += 1) {
		if (argv[i] === '--sequences' || argv[i] === '--max-answers') {
			const n = Number(argv[i + 1]);
			if (!Number.isInteger(n) || n < 1) throw new Error(`${argv[i]} takes a positive integer`);
			opts[argv[i] === '--sequences' ? 'sequences' : 'maxAnswers'] = n;
			i += 1;
		} else {
			opts.inputs.push(resolve(argv[i]));
		}
	}
	if (opts.inputs.length === 0) opts.inputs = DEFAULT_INPUTS;
	return opts;
};

const formsIn = (inputs) =>
	inputs.flatMap((p) =>
		statSync(p).isDirectory()
			? readdirSync(p).filter((f) => f.endsWith('.xml')).sort().map((f) => join(p, f))
			: [p]
	);

/** Runs all requests through one `odk-eval.mjs --batch` child; resolves replies with arrival times. */
const runBatch = (requests) =>
	new Promise((resolvePromise, reject) => {
		const child = spawn(process.execPath, [join(here, 'odk-eval.mjs'), '--batch'], {
			stdio: ['pipe', 'pipe', 'inherit'],
		});
		const replies = [];
		const lines = createInterface({ input: child.stdout });
		lines.on('line', (line) => replies.push({ at: performance.now(), reply: JSON.parse(line) }));
		child.on('error', reject);
		child.on('close', (code) => {
			if (code !== 0) reject(new Error(`odk-eval --batch exited with ${code}`));
			else resolvePromise({ replies, started });
		});
		const started = performance.now();
		for (const r of requests) child.stdin.write(JSON.stringify(r) + '\n');
		child.stdin.end();
	});

const main = async () => {
	const opts = parseArgs(process.argv.slice(2));
	const forms = formsIn(opts.inputs);
	const rows = [];
	const requests = [];
	for (const form of forms) {
		const row = { form, name: basename(form), requests: 0 };
		rows.push(row);
		try {
			const t0 = performance.now();
			const loaded = await loadXForm(form);
			row.leaves = readLeaves(loaded.newInstance()).length;
			row.loadMs = performance.now() - t0;
			row.missing = loaded.missingAttachments;
			const sequences = [[]];
			for (let seed = 1; seed < opts.sequences; seed += 1) {
				sequences.push(plausibleInterview(loaded.newInstance(), { maxAnswers: opts.maxAnswers, seed }));
			}
			row.meanAnswers = sequences.reduce((n, s) => n + s.length, 0) / sequences.length;
			for (const [i, answers] of sequences.entries()) requests.push({ id: `${row.name}#${i}`, form, answers });
			row.requests = sequences.length;
		} catch (e) {
			row.loadError = e.message.replace(`${form}: `, '');
			requests.push({ id: `${row.name}#0`, form, answers: {} });
			row.requests = 1;
		}
	}
	const { replies, started } = await runBatch(requests);
	let failed = false;
	let previous = started;
	let at = 0;
	for (const row of rows) {
		const mine = replies.slice(at, at + row.requests);
		at += row.requests;
		row.firstMs = mine[0].at - previous;
		previous = mine.at(-1).at;
		const problems = mine.flatMap(({ reply }) =>
			reply.error != null ? [reply.error] : reply.errors.map((e) => `${reply.id}: ${e.key}: ${e.error}`)
		);
		if (row.loadError == null && problems.length > 0) {
			failed = true;
			row.problems = problems;
		}
		if (mine.length > 1) row.perSecond = (mine.length - 1) / ((mine.at(-1).at - mine[0].at) / 1000);
	}
	const fmt = (x, d = 0) => (x == null ? '' : x.toFixed(d));
	console.log('| form | loads in ODK\'s engine | leaves | load ms | sequences (mean answers) | sequences/s |');
	console.log('| --- | --- | --- | --- | --- | --- |');
	for (const r of rows) {
		const loads = r.loadError ? `no: ${r.loadError.replace(/\|/g, '\\|').replace(/\s+/g, ' ')}` : 'yes';
		const note = r.missing?.length ? ` (missing attachment: ${r.missing.join(', ')})` : '';
		console.log(
			`| ${r.name} | ${loads}${note} | ${r.leaves ?? ''} | ${fmt(r.loadMs)} | ${r.loadError ? '' : `${r.requests} (${fmt(r.meanAnswers, 1)})`} | ${fmt(r.perSecond)} |`
		);
	}
	for (const r of rows.filter((x) => x.problems)) {
		console.error(`${r.name}: ${r.problems.length} problem(s) on replay:\n  ${r.problems.slice(0, 5).join('\n  ')}`);
	}
	process.exitCode = failed ? 1 : 0;
};

main().catch((e) => {
	process.stderr.write(`check-forms: ${e.message}\n`);
	process.exitCode = 1;
});
